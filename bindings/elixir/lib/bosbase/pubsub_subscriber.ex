defmodule Bosbase.Pubsub.Subscriber do
  @moduledoc """
  Pub/sub subscriptions over BosBase's WebSocket (`/api/pubsub`, BosBase only: PocketBase
  has no such route), delivered as messages to a process. Publishing is
  `Bosbase.Pubsub.publish/4` (it returns the server's acknowledgement).

      {:ok, ref} = Bosbase.Pubsub.Subscriber.subscribe(pb, "chat")
      {:ok, %{"id" => _}} = Bosbase.Pubsub.publish(other_pb, "chat", %{"text" => "hi"})

      receive do
        {:bosbase_event, ^ref, %{"type" => "message", "data" => %{"text" => text}}} -> text
      end

  Messages: `{:bosbase_event, ref, %{"type" => "subscribed", "topic" => t}}` (once per
  connection: again after a reconnect), `%{"type" => "message", "topic", "id",
  "created", "data"}`, `%{"type" => "error", "topic", "error"}` (the server refused the
  topic). Delivery, order, the relay process and the overflow policy (1024 queued per
  subscription, oldest dropped and counted by `dropped/2`) are those of
  `Bosbase.Realtime`. The WebSocket opens with the first subscription (or publish),
  reconnects by itself (backoff 200 ms doubling to 5 s, with jitter) subscribing every
  topic again, and reconnects under the new identity after a login change; the token goes
  in the `Authorization` header, never in the URL.
  """

  alias Bosbase.{Call, Native, Subscription}

  @type error :: {:error, Bosbase.ClientResponseError.t()}

  @doc """
  Subscribes `opts[:pid]` (default: the caller) to `topic` (a non-empty string). Returns
  `{:ok, ref}` at once; the `"subscribed"` message follows once the server confirmed it.
  """
  @spec subscribe(Bosbase.Client.t(), String.t(), keyword()) :: {:ok, reference()} | error
  def subscribe(client, topic, opts \\ []) do
    with {:ok, topic} <- Call.string(topic, "topic"),
         {:ok, pid} <- pid_option(opts) do
      Subscription.start(client, pid, :bosbase_event, fn native, relay, tag ->
        Native.pubsub_subscribe(native, relay, tag, topic)
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

  @doc "Messages of subscription `ref` dropped because 1024 were queued (oldest first)."
  @spec dropped(Bosbase.Client.t(), reference()) :: non_neg_integer() | error
  def dropped(client, ref), do: Subscription.dropped(client, ref)
end
