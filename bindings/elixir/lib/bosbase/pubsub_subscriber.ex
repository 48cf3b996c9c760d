defmodule Bosbase.Pubsub.Subscriber do
  @moduledoc """
  Pub/sub subscriptions over BosBase's WebSocket (`/api/pubsub`, BosBase only: PocketBase
  has no such route), delivered as messages to a process. Publishing is
  `Bosbase.Pubsub.publish/4` (it returns the server's acknowledgement).

      {:ok, ref} = Bosbase.Pubsub.Subscriber.subscribe(pb, "chat")
      {:ok, %{kind: :subscribed}} = Bosbase.Pubsub.Subscriber.receive_event(pb, ref, 5_000)
      {:ok, %{"id" => _}} = Bosbase.Pubsub.publish(other_pb, "chat", %{"text" => "hi"})

      {:ok, %{kind: :event, data: %{"type" => "message", "data" => %{"text" => text}}}} =
        Bosbase.Pubsub.Subscriber.receive_event(pb, ref, 5_000)

  Entries: `:subscribed` with `%{"type" => "subscribed", "topic" => t}` (once per
  connection: again after a reconnect), `:event` with `%{"type" => "message", "topic",
  "id", "created", "data"}`, `:error` with `%{"type" => "error", "topic", "error"}` (the
  server refused the topic), `:state` with the WebSocket's state. Delivery (one
  `{:bosbase_ready, ref}` message, then `next/2`), order and the overflow policy (1024
  entries or 16 MiB queued per subscription, the oldest event dropped and counted by
  `dropped/2`) are those of `Bosbase.Realtime`: the same subscription family in the core. The WebSocket opens with the first subscription (or publish),
  reconnects by itself (backoff 200 ms doubling to 5 s, with jitter) subscribing every
  topic again, and reconnects under the new identity after a login change; the token goes
  in the `Authorization` header, never in the URL.
  """

  alias Bosbase.{Call, Native, Subscription}

  @type error :: {:error, Bosbase.ClientResponseError.t()}

  @doc """
  Subscribes `opts[:pid]` (default: the caller) to `topic` (a non-empty string). Returns
  `{:ok, ref}` at once; the `:subscribed` entry follows once the server confirmed it.
  """
  @spec subscribe(Bosbase.Client.t(), String.t(), keyword()) :: {:ok, reference()} | error
  def subscribe(client, topic, opts \\ []) do
    with {:ok, topic} <- Call.string(topic, "topic"),
         {:ok, pid} <- pid_option(opts) do
      Subscription.start(client, pid, fn native, pid, tag ->
        Native.pubsub_subscribe(native, pid, tag, topic)
      end)
    end
  end

  defp pid_option(opts) do
    case opts do
      [] -> {:ok, self()}
      [pid: pid] -> {:ok, pid}
      _ -> Call.invalid("expected pub/sub subscribe options to be [] or [pid: pid]")
    end
  end

  @doc """
  Ends subscription `ref`, or with a string every subscription of the client to that
  topic. Once it returns no message of them is sent (`flush: true` also drops those
  already in the caller's mailbox). Returns `:ok`, also for an ended subscription.
  """
  @spec unsubscribe(Bosbase.Client.t(), reference() | String.t(), keyword()) :: :ok | error
  def unsubscribe(client, ref_or_topic, opts \\ [])

  def unsubscribe(client, ref, opts) when is_reference(ref),
    do: Subscription.stop(client, ref, opts)

  def unsubscribe(client, topic, opts) do
    with {:ok, native} <- Call.ref(client),
         {:ok, topic} <- Call.string(topic, "topic") do
      native |> Native.pubsub_unsubscribe_topic(topic) |> Subscription.stop_relays(opts)
    end
  end

  @doc "True while the client's pub/sub WebSocket is open."
  @spec connected?(Bosbase.Client.t()) :: boolean()
  def connected?(%Bosbase.Client{ref: ref}), do: Native.pubsub_connected(ref) == true
  def connected?(_other), do: false

  @doc "The oldest queued entry of `ref`, or `:empty`: as `Bosbase.Realtime.next/2`."
  @spec next(Bosbase.Client.t(), reference()) ::
          {:ok, Bosbase.Subscription.entry()} | :empty | error
  def next(client, ref), do: Subscription.next(client, ref)

  @doc "The next entry of `ref`, waiting: as `Bosbase.Realtime.receive_event/3`."
  @spec receive_event(Bosbase.Client.t(), reference(), timeout()) ::
          {:ok, Bosbase.Subscription.entry()} | error
  def receive_event(client, ref, timeout), do: Subscription.receive_entry(client, ref, timeout)

  @doc "Messages of subscription `ref` dropped because its queue was full (oldest first)."
  @spec dropped(Bosbase.Client.t(), reference()) :: non_neg_integer() | error
  def dropped(client, ref), do: Subscription.dropped(client, ref)
end
