defmodule Bosbase.Subscription do
  @moduledoc false
  # What realtime subscriptions, pub/sub subscriptions and realtime state listeners share
  # (Bosbase.Realtime, Bosbase.RecordService.subscribe/3, Bosbase.Pubsub.Subscriber).
  #
  # Each is a NIF resource held by a relay process (Bosbase.Subscription.Relay). The core
  # calls the NIF on its dispatch thread; the NIF sends the raw JSON, numbered, to the
  # relay; the relay decodes it and sends `{message_tag, ref, map}` to the subscriber in
  # the core's order. The relay monitors the subscriber and ends the subscription when it
  # exits; the resource's destructor unsubscribes in the core, so a relay that dies for
  # any reason leaves nothing registered.

  alias Bosbase.{Call, ClientResponseError, Native}
  alias Bosbase.Subscription.Relay

  # How long past the client's timeout a caller waits for a start queued on the binding's
  # threads (they also free collected clients, each bounded by its calls' deadlines).
  @margin_ms 1_000

  @doc false
  # Starts a subscription: `start` gets (native, relay, tag) and calls the NIF. Returns
  # {:ok, tag} once the core registered it (not yet confirmed by the server).
  def start(client, pid, message_tag, start) do
    with {:ok, native} <- Call.ref(client),
         :ok <- check_pid(pid) do
      tag = make_ref()
      relay = spawn(fn -> Relay.init(client, tag, message_tag) end)

      case start.(native, relay, tag) do
        {:ok, sub, start_tag} when is_reference(start_tag) ->
          send(relay, {:start, pid, sub})
          await_start(client, relay, start_tag, tag)

        {:ok, sub} ->
          send(relay, {:start, pid, sub})
          {:ok, tag}

        error ->
          Process.exit(relay, :kill)
          Call.result(error)
      end
    end
  end

  defp await_start(client, relay, start_tag, tag) do
    wait_ms = client.timeout + @margin_ms

    receive do
      {^start_tag, :ok} ->
        {:ok, tag}

      {^start_tag, error} ->
        Relay.stop(relay)
        Call.result(error)
    after
      wait_ms ->
        # The start finishes later on its own; the relay's end frees it (unsubscribed).
        Relay.stop(relay)
        {:error, ClientResponseError.gave_up(wait_ms, nil)}
    end
  end

  defp check_pid(pid) when is_pid(pid) and node(pid) == node(), do: :ok

  defp check_pid(pid),
    do: Call.invalid("expected a local pid to deliver to, got #{Call.type_name(pid)}")

  @doc false
  # Ends the subscription `tag` of `client`: no message of it is sent once this returns.
  def stop(client, tag, opts) do
    with {:ok, native} <- Call.ref(client) do
      case Native.sub_lookup(native, tag) do
        {:ok, sub, relay} ->
          _ = Native.sub_stop(sub)
          Relay.stop(relay)

        # The client was made by the NIF library a code upgrade replaced.
        {:error, :stale} = stale ->
          Call.result(stale)

        _not_found ->
          :ok
      end
      |> case do
        {:error, _} = error ->
          error

        _ ->
          if flush?(opts), do: flush(tag)
          :ok
      end
    end
  end

  @doc false
  # Stops the relays of subscriptions the core ended (by topic, prefix or close).
  def stop_relays({:ok, pairs}, opts) when is_list(pairs) do
    Enum.each(pairs, fn {tag, relay} ->
      Relay.stop(relay)
      if flush?(opts), do: flush(tag)
    end)

    :ok
  end

  def stop_relays(pairs, opts) when is_list(pairs), do: stop_relays({:ok, pairs}, opts)
  def stop_relays(error, _opts), do: Call.result(error)

  defp flush?(opts), do: is_list(opts) and Keyword.get(opts, :flush, false) == true

  defp flush(tag) do
    receive do
      {kind, ^tag, _} when kind in [:bosbase_event, :bosbase_state] -> flush(tag)
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
      Process.alive?(relay) and Native.sub_active(sub) == true
    else
      _ -> false
    end
  end
end
