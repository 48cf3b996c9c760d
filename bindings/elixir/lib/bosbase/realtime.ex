defmodule Bosbase.Realtime do
  @moduledoc """
  Realtime subscriptions (the server's `/api/realtime` event stream), delivered as
  messages to a process.

      {:ok, ref} = Bosbase.RecordService.subscribe(Bosbase.Client.collection(pb, "posts"), "*")

      receive do
        {:bosbase_event, ^ref, %{"type" => "subscribed"}} -> :ok
      end

      receive do
        {:bosbase_event, ^ref, %{"type" => "event", "event" => action, "record" => record}} ->
          IO.puts("\#{action}: \#{record["id"]}")
      end

  Messages (maps with string keys, as every answer of this binding):

    * `{:bosbase_event, ref, %{"type" => "subscribed", "topic" => topic}}` — the server
      accepted the subscription; first, once;
    * `{:bosbase_event, ref, %{"type" => "event", "topic" => t, "event" => "create" |
      "update" | "delete", "record" => record}}` — a record topic's change;
    * `{:bosbase_event, ref, %{"type" => "event", "topic" => t, "data" => data}}` — a
      custom topic's message;
    * `{:bosbase_event, ref, %{"type" => "error", "topic" => t, "error" => error}}` — the
      server refused the subscription (nothing follows; `error` is the error JSON);
    * `{:bosbase_state, ref, %{"state" => "connected" | "disconnected" | "reconnected"}}`
      (`"disconnected"` with a `"cause"`) for a listener of `on_state/2`: after
      `"reconnected"`, events sent meanwhile were missed, so refetch.

  Each subscription's messages arrive in the server's order. The core reads the stream on
  its own thread and calls this binding on its dispatch thread, which only sends a message
  (no scheduler is held, no BEAM process waits for the network); a small process per
  subscription (the relay) decodes the JSON and forwards it in order. The relay monitors
  the subscriber: the subscription ends when that process exits. A subscriber slower than
  the events lets the core's queue of 1024 undelivered events per subscription fill: the
  oldest is then dropped and counted (`dropped/2`).

  The connection reconnects by itself (backoff 250 ms doubling up to 10 s, with jitter)
  and submits every subscription again; after a login, re-login or logout it reconnects at
  once under the new identity, so events follow the new user's access rules.
  """

  alias Bosbase.{Call, Native, Subscription}

  @type error :: {:error, Bosbase.ClientResponseError.t()}

  # Subscribe option → {options JSON name, check}.
  @options %{
    filter: {"filter", :string},
    expand: {"expand", :string},
    fields: {"fields", :string},
    query: {"query", :map},
    headers: {"headers", :map}
  }

  @doc """
  Subscribes the process `opts[:pid]` (default: the caller) to `topic`: `"COLLECTION/*"`,
  `"COLLECTION/RECORD_ID"` or a custom topic. Returns `{:ok, ref}` once the subscription
  is registered (the server's confirmation comes as the `"subscribed"` message).

  Options (keyword list): `:filter` (only events whose record matches; build it with
  `Bosbase.filter/2`), `:expand`, `:fields` (strings), `:query` and `:headers` (maps the
  server's access rules see as if sent with a request), `:pid`.
  """
  @spec subscribe(Bosbase.Client.t(), String.t(), keyword()) :: {:ok, reference()} | error
  def subscribe(client, topic, opts \\ []) do
    with {:ok, topic} <- Call.string(topic, "topic"),
         {:ok, pid, options} <- options(opts) do
      Subscription.start(client, pid, :bosbase_event, fn native, relay, tag ->
        Native.realtime_subscribe(native, relay, tag, topic, options)
      end)
    end
  end

  @doc false
  # Bosbase.RecordService.subscribe/3.
  def subscribe_collection(client, collection, topic, opts) do
    with {:ok, [collection, topic]} <-
           Call.strings([{collection, "collection"}, {topic, "topic"}]),
         {:ok, pid, options} <- options(opts) do
      Subscription.start(client, pid, :bosbase_event, fn native, relay, tag ->
        Native.collection_subscribe(native, relay, tag, collection, topic, options)
      end)
    end
  end

  @doc false
  def options(opts) do
    if is_list(opts) and Keyword.keyword?(opts) do
      {pid, opts} = Keyword.pop(opts, :pid, self())

      opts
      |> Enum.reduce_while({:ok, %{}}, fn {key, value}, {:ok, acc} ->
        case Map.fetch(@options, key) do
          {:ok, {name, :string}} when is_binary(value) ->
            {:cont, {:ok, Map.put(acc, name, value)}}

          {:ok, {name, :map}} when is_map(value) and not is_struct(value) ->
            {:cont, {:ok, Map.put(acc, name, value)}}

          {:ok, {_name, check}} ->
            {:halt, Call.invalid("subscribe option #{inspect(key)} must be a #{check}")}

          :error ->
            {:halt, Call.invalid("unknown subscribe option #{inspect(key)}")}
        end
      end)
      |> case do
        {:ok, fields} when fields == %{} ->
          {:ok, pid, nil}

        {:ok, fields} ->
          with {:ok, json} <- Bosbase.JSON.encode(fields, "subscribe options"),
               do: {:ok, pid, json}

        error ->
          error
      end
    else
      Call.invalid("expected subscribe options to be a keyword list")
    end
  end

  @doc """
  Ends subscriptions: with a `ref` from `subscribe/3` (or `on_state/2`) that one, with a
  string every subscription of the client to exactly that topic (whatever its options).
  Once it returns no message of them is sent (messages sent before stay in the
  subscriber's mailbox; `flush: true` drops them from the caller's mailbox). Returns `:ok`,
  also for a subscription that already ended.
  """
  @spec unsubscribe(Bosbase.Client.t(), reference() | String.t(), keyword()) :: :ok | error
  def unsubscribe(client, ref_or_topic, opts \\ [])

  def unsubscribe(client, ref, opts) when is_reference(ref),
    do: Subscription.stop(client, ref, opts)

  def unsubscribe(client, topic, opts) do
    with {:ok, native} <- Call.ref(client),
         {:ok, topic} <- Call.string(topic, "topic") do
      native |> Native.realtime_unsubscribe(topic, false) |> Subscription.stop_relays(opts)
    end
  end

  @doc """
  Ends every subscription of the client whose topic starts with `prefix` (e.g. `"posts/"`
  for all of a collection's), like `unsubscribe/3`.
  """
  @spec unsubscribe_by_prefix(Bosbase.Client.t(), String.t(), keyword()) :: :ok | error
  def unsubscribe_by_prefix(client, prefix, opts \\ []) do
    with {:ok, native} <- Call.ref(client),
         {:ok, prefix} <- Call.string(prefix, "prefix") do
      native |> Native.realtime_unsubscribe(prefix, true) |> Subscription.stop_relays(opts)
    end
  end

  @doc """
  Sends the connection's state changes to `pid` (default: the caller) as
  `{:bosbase_state, ref, %{"state" => state}}` while the client has subscriptions:
  `"connected"`, `"disconnected"` (with `"cause"`, reconnecting), `"reconnected"`.
  Returns `{:ok, ref}`; ends with `remove_state_listener/2` or when `pid` exits.
  """
  @spec on_state(Bosbase.Client.t(), pid()) :: {:ok, reference()} | error
  def on_state(client, pid \\ self()) do
    Subscription.start(client, pid, :bosbase_state, fn native, relay, tag ->
      Native.realtime_on_state(native, relay, tag)
    end)
  end

  @doc "Ends a state listener of `on_state/2`; no message of it is sent once it returns."
  @spec remove_state_listener(Bosbase.Client.t(), reference(), keyword()) :: :ok | error
  def remove_state_listener(client, ref, opts \\ []) when is_reference(ref),
    do: Subscription.stop(client, ref, opts)

  @doc """
  Events of subscription `ref` the core dropped because its queue (1024 events) was full
  (the oldest go first). 0 for an ended subscription.
  """
  @spec dropped(Bosbase.Client.t(), reference()) :: non_neg_integer() | error
  def dropped(client, ref), do: Subscription.dropped(client, ref)

  @doc """
  True while subscription `ref` delivers: not unsubscribed (by ref, topic or prefix), its
  subscriber alive, the client not closed, and not refused by the server.
  """
  @spec active?(Bosbase.Client.t(), reference()) :: boolean()
  def active?(client, ref), do: Subscription.active?(client, ref)
end
