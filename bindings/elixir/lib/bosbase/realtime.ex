defmodule Bosbase.Realtime do
  @moduledoc """
  Realtime subscriptions (the server's `/api/realtime` event stream), read by the
  subscribing process when the core says entries are ready.

      {:ok, ref} = Bosbase.RecordService.subscribe(Bosbase.Client.collection(pb, "posts"), "*")

      {:ok, %{kind: :subscribed}} = Bosbase.Realtime.receive_event(pb, ref, 5_000)

      {:ok, %{kind: :event, data: %{"event" => action, "record" => record}}} =
        Bosbase.Realtime.receive_event(pb, ref, 5_000)

  ## Delivery: one ready message, then pull

  The core queues each subscription's entries: at most 1024 (or 16 MiB), and when full the
  oldest *event* is dropped and counted (`dropped/2`); notices (`:subscribed`, `:error`,
  `:state`) are never dropped. That queue is the only one. When it gets an entry after the
  subscriber last found it empty, the subscriber (`opts[:pid]`, default the caller) gets
  ONE message, `{:bosbase_ready, ref}`; it then takes the entries with `next/2` until that
  returns `:empty` (which re-arms the message). So however fast events arrive, the
  subscriber's mailbox holds at most one message per subscription, and a subscriber slower
  than the events loses the oldest ones, counted, instead of growing its mailbox without
  bound. `receive_event/3` does both steps for a process that simply waits for the next
  entry. In a GenServer:

      def handle_info({:bosbase_ready, ref}, state), do: {:noreply, drain(ref, state)}

      defp drain(ref, state) do
        case Bosbase.Realtime.next(state.pb, ref) do
          {:ok, entry} -> drain(ref, handle_entry(entry, state))
          :empty -> state
        end
      end

  Each entry is `%{kind: kind, sequence: n, data: map}` (string keys, as every answer of
  this binding); `sequence` counts 1, 2, ... per subscription as the core queued them, so a
  gap means that many events were dropped:

    * `kind: :subscribed`, `data: %{"type" => "subscribed", "topic" => topic}` — the server
      accepted the subscription; first, once;
    * `kind: :event`, `data: %{"type" => "event", "topic" => t, "event" => "create" |
      "update" | "delete", "record" => record}` — a record topic's change, or
      `%{"type" => "event", "topic" => t, "data" => data}` — a custom topic's message;
    * `kind: :error`, `data: %{"type" => "error", "topic" => t, "error" => error}` — the
      server refused the subscription (nothing follows; `error` is the error JSON);
    * `kind: :state`, `data: %{"type" => "state", "state" => "connected" | "disconnected"
      | "reconnected"}` (`"disconnected"` with a `"cause"`) — the stream's state, in every
      subscription of the client: after `"reconnected"`, events sent meanwhile were missed,
      so refetch.

  `on_state/2` also sends the state changes as messages,
  `{:bosbase_state, ref, %{"state" => ...}}`, to a listener without a subscription.

  The core reads the stream on its own threads; no scheduler is held and no BEAM process
  waits for the network. The NIF monitors the subscriber: the subscription ends when that
  process exits.

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
  `"COLLECTION/RECORD_ID"` or a custom topic. Returns `{:ok, ref}` at once (the server's
  confirmation comes as the `:subscribed` entry); `{:bosbase_ready, ref}` messages go to
  that process (see "Delivery").

  Options (keyword list): `:filter` (only events whose record matches; build it with
  `Bosbase.filter/2`), `:expand`, `:fields` (strings), `:query` and `:headers` (maps the
  server's access rules see as if sent with a request), `:pid`.
  """
  @spec subscribe(Bosbase.Client.t(), String.t(), keyword()) :: {:ok, reference()} | error
  def subscribe(client, topic, opts \\ []) do
    with {:ok, topic} <- Call.string(topic, "topic"),
         {:ok, pid, options} <- options(opts) do
      Subscription.start(client, pid, fn native, pid, tag ->
        Native.realtime_subscribe(native, pid, tag, topic, options)
      end)
    end
  end

  @doc false
  # Bosbase.RecordService.subscribe/3.
  def subscribe_collection(client, collection, topic, opts) do
    with {:ok, [collection, topic]} <-
           Call.strings([{collection, "collection"}, {topic, "topic"}]),
         {:ok, pid, options} <- options(opts) do
      Subscription.start(client, pid, fn native, pid, tag ->
        Native.collection_subscribe(native, pid, tag, collection, topic, options)
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
  Once it returns no message of them is sent and `next/2` returns `:empty` (messages sent
  before stay in the subscriber's mailbox; `flush: true` drops them from the caller's
  mailbox). Returns `:ok`, also for a subscription that already ended.
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
    Subscription.start_listener(client, pid, :bosbase_state, fn native, relay, tag ->
      Native.realtime_on_state(native, relay, tag)
    end)
  end

  @doc "Ends a state listener of `on_state/2`; no message of it is sent once it returns."
  @spec remove_state_listener(Bosbase.Client.t(), reference(), keyword()) :: :ok | error
  def remove_state_listener(client, ref, opts \\ []) when is_reference(ref),
    do: Subscription.stop(client, ref, opts)

  @doc """
  Takes the oldest queued entry of subscription `ref`: `{:ok, %{kind: kind, sequence: n,
  data: map}}`, or `:empty` when none is queued (the next one brings a new
  `{:bosbase_ready, ref}`; an ended subscription stays `:empty`). Never waits. Any process
  may call it; the ready messages go to the subscriber.
  """
  @spec next(Bosbase.Client.t(), reference()) ::
          {:ok, Subscription.entry()} | :empty | error
  def next(client, ref), do: Subscription.next(client, ref)

  @doc """
  The next entry of subscription `ref`, waiting up to `timeout` milliseconds (or
  `:infinity`) for one: `next/2`, then `{:bosbase_ready, ref}` while the queue is empty.
  Call it from the subscribing process (the one that gets the ready messages). Returns
  `{:ok, entry}` or `{:error, %Bosbase.ClientResponseError{kind: "timeout"}}`.
  """
  @spec receive_event(Bosbase.Client.t(), reference(), timeout()) ::
          {:ok, Subscription.entry()} | error
  def receive_event(client, ref, timeout), do: Subscription.receive_entry(client, ref, timeout)

  @doc """
  Events of subscription `ref` the core dropped because its queue (1024 entries or 16 MiB)
  was full (the oldest event goes first; notices are kept). 0 for an ended subscription.
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
