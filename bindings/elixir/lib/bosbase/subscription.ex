defmodule Bosbase.Subscription do
  @moduledoc false
  # What realtime subscriptions, pub/sub subscriptions and realtime state listeners share
  # (Bosbase.Realtime, Bosbase.RecordService.subscribe/3, Bosbase.Pubsub.Subscriber).
  #
  # Subscriptions (realtime and pub/sub alike) are read in the core's pull mode: the core
  # keeps the only queue (bounded, oldest event dropped and counted, notices kept); when it
  # gets an entry after the subscriber last drained it, the NIF sends ONE
  # `{:bosbase_ready, ref}` to the subscriber, which takes the entries with `next/2` (decoded
  # here, in the caller). The NIF monitors the subscriber: the subscription ends when it
  # exits. State listeners (`Bosbase.Realtime.on_state/2`, rare messages) keep a push
  # callback and a relay process (Bosbase.Subscription.Relay) that decodes them.

  alias Bosbase.{Call, ClientResponseError, Native}
  alias Bosbase.Subscription.Relay

  @typedoc "One entry of a subscription's queue."
  @type entry :: %{
          kind: :event | :subscribed | :error | :state,
          sequence: pos_integer(),
          data: map()
        }

  @doc false
  # Subscribes `pid`: `start` gets (native, pid, tag) and calls the NIF. Returns {:ok, tag}.
  def start(client, pid, start) do
    with {:ok, native} <- Call.ref(client),
         :ok <- check_pid(pid) do
      tag = make_ref()

      case start.(native, pid, tag) do
        {:ok, _sub} -> {:ok, tag}
        {:error, :noproc} -> Call.invalid("the subscriber process is not alive")
        error -> Call.result(error)
      end
    end
  end

  @doc false
  # Registers a state listener for `pid` through a relay; `start` gets (native, relay, tag).
  def start_listener(client, pid, message_tag, start) do
    with {:ok, native} <- Call.ref(client),
         :ok <- check_pid(pid) do
      tag = make_ref()
      relay = spawn(fn -> Relay.init(tag, message_tag) end)

      case start.(native, relay, tag) do
        {:ok, sub} ->
          send(relay, {:start, pid, sub})
          {:ok, tag}

        error ->
          Process.exit(relay, :kill)
          Call.result(error)
      end
    end
  end

  defp check_pid(pid) when is_pid(pid) and node(pid) == node(), do: :ok

  defp check_pid(pid),
    do: Call.invalid("expected a local pid to deliver to, got #{Call.type_name(pid)}")

  @doc false
  # The oldest queued entry of subscription `tag`, or :empty (then the next entry brings a
  # new {:bosbase_ready, tag}). An ended subscription is :empty.
  @spec next(Bosbase.Client.t(), reference()) ::
          {:ok, entry()} | :empty | {:error, ClientResponseError.t()}
  def next(client, tag) do
    with {:ok, native} <- Call.ref(client) do
      case Native.sub_lookup(native, tag) do
        {:ok, sub, _relay} -> sub |> Native.sub_next() |> entry()
        {:error, :not_found} -> :empty
        error -> Call.result(error)
      end
    end
  end

  defp entry(:none), do: :empty

  defp entry({:ok, kind, sequence, json}),
    do: {:ok, %{kind: kind, sequence: sequence, data: Bosbase.JSON.decode!(json)}}

  defp entry(error), do: Call.result(error)

  @doc false
  # next/2, waiting up to `timeout` ms for {:bosbase_ready, tag} (the caller must be the
  # subscriber) while the queue is empty.
  @spec receive_entry(Bosbase.Client.t(), reference(), timeout()) ::
          {:ok, entry()} | {:error, ClientResponseError.t()}
  def receive_entry(client, tag, timeout)
      when timeout == :infinity or (is_integer(timeout) and timeout >= 0) do
    deadline = if timeout == :infinity, do: :infinity, else: now() + timeout
    await(client, tag, deadline, timeout)
  end

  def receive_entry(_client, _tag, _timeout),
    do: Call.invalid("expected the timeout to be a non-negative integer or :infinity")

  defp await(client, tag, deadline, timeout) do
    case next(client, tag) do
      :empty ->
        wait = if deadline == :infinity, do: :infinity, else: max(deadline - now(), 0)

        receive do
          {:bosbase_ready, ^tag} -> await(client, tag, deadline, timeout)
        after
          wait -> {:error, ClientResponseError.no_event(timeout)}
        end

      other ->
        other
    end
  end

  defp now, do: System.monotonic_time(:millisecond)

  @doc false
  # Ends the subscription `tag` of `client`: no message of it is sent once this returns.
  def stop(client, tag, opts) do
    with {:ok, native} <- Call.ref(client) do
      case Native.sub_lookup(native, tag) do
        {:ok, sub, relay} ->
          _ = Native.sub_stop(sub)
          if is_pid(relay), do: Relay.stop(relay)
          finish(tag, opts)

        {:error, :not_found} ->
          finish(tag, opts)

        # e.g. a client made by the NIF library a code upgrade replaced
        error ->
          Call.result(error)
      end
    end
  end

  defp finish(tag, opts) do
    if flush?(opts), do: flush(tag)
    :ok
  end

  @doc false
  # Stops the relays of subscriptions the core ended (by topic, prefix or close).
  def stop_relays({:ok, pairs}, opts) when is_list(pairs) do
    Enum.each(pairs, fn {tag, relay} ->
      if is_pid(relay), do: Relay.stop(relay)
      if flush?(opts), do: flush(tag)
    end)

    :ok
  end

  def stop_relays(pairs, opts) when is_list(pairs), do: stop_relays({:ok, pairs}, opts)
  def stop_relays(error, _opts), do: Call.result(error)

  defp flush?(opts), do: is_list(opts) and Keyword.get(opts, :flush, false) == true

  defp flush(tag) do
    receive do
      {:bosbase_ready, ^tag} -> flush(tag)
      {:bosbase_state, ^tag, _} -> flush(tag)
    after
      0 -> :ok
    end
  end

  @doc false
  def dropped(client, tag) do
    with {:ok, native} <- Call.ref(client) do
      case Native.sub_lookup(native, tag) do
        {:ok, sub, _relay} -> Native.sub_dropped(sub)
        _not_found -> 0
      end
    end
  end

  @doc false
  def active?(client, tag) do
    with {:ok, native} <- Call.ref(client),
         {:ok, sub, relay} <- Native.sub_lookup(native, tag) do
      (relay == nil or Process.alive?(relay)) and Native.sub_active(sub) == true
    else
      _ -> false
    end
  end
end
