defmodule Bosbase.Native do
  @moduledoc false
  # Stubs replaced by c_src/bosbase_nif.c at load time. Strings are binaries, options are
  # JSON text or nil. Every NIF returns in microseconds except client_close (dirty I/O: it
  # waits for calls in flight); network calls only start the call (call_start, send_start)
  # and the reply is sent to the caller later. Nothing raises. Results: {:ok, json | nil} |
  # {:error, status_code, error_json | nil} (a closed client: BOSBASE_STATUS_CLOSED, nil) |
  # {:error, :badarg} (not a client resource, or not a binary: Elixir checks types first) |
  # {:error, :stale} (a reference that is no handle of the library loaded now: one made
  # before a code upgrade loaded another NIF library, which never touches the old one's).

  @on_load :load_nif
  @external_resource Path.expand("../../c_src/bosbase_nif.c", __DIR__)

  @type ref :: reference()
  @type reply ::
          {:ok, binary() | nil}
          | {:error, non_neg_integer(), binary() | nil}
          | {:error, :badarg | :stale}

  def load_nif do
    path = :filename.join(:code.priv_dir(:bosbase), ~c"bosbase_nif")
    :erlang.load_nif(path, 0)
  end

  @spec client_new(binary(), binary() | nil) :: {:ok, ref} | reply
  def client_new(_url, _options_json), do: :erlang.nif_error(:not_loaded)
  @spec client_close(ref) :: :ok | {:error, :badarg}
  def client_close(_ref), do: :erlang.nif_error(:not_loaded)
  @spec live_clients() :: non_neg_integer()
  def live_clients, do: :erlang.nif_error(:not_loaded)
  @spec version() :: charlist()
  def version, do: :erlang.nif_error(:not_loaded)
  # The build id of the loaded library (the crate version unless built with NIF_BUILD).
  @spec build() :: binary()
  def build, do: :erlang.nif_error(:not_loaded)
  @spec status_name(non_neg_integer()) :: String.t()
  def status_name(_code), do: :erlang.nif_error(:not_loaded)
  @spec generate_token() :: reply
  def generate_token, do: :erlang.nif_error(:not_loaded)

  # Network calls: both return at once (both on the core's worker pool, call_start with
  # bosbase_call_async, send_start with bosbase_send_async); {tag, reply} arrives later,
  # exactly once, in the calling process's mailbox. Dropping the call handle cancels it.
  @spec call_start(ref, binary(), binary(), binary() | nil) :: {:ok, ref, reference()} | reply
  def call_start(_ref, _op, _args_json, _options), do: :erlang.nif_error(:not_loaded)

  # As call_start, with file parts ({:bytes, field, filename, content_type | nil, binary} or
  # {:path, field, path, filename | nil, content_type | nil}) through
  # bosbase_call_async_with_files; large bytes parts are copied on a dirty CPU scheduler.
  @spec call_start_files(ref, binary(), binary(), binary() | nil, [tuple()]) ::
          {:ok, ref, reference()} | reply
  def call_start_files(_ref, _op, _args_json, _options, _parts),
    do: :erlang.nif_error(:not_loaded)

  # As call_start_files/5; with `true` last, {:bosbase_progress, tag, done, total} messages
  # report the upload before the reply.
  @spec call_start_files(ref, binary(), binary(), binary() | nil, [tuple()], boolean()) ::
          {:ok, ref, reference()} | reply
  def call_start_files(_ref, _op, _args_json, _options, _parts, _progress),
    do: :erlang.nif_error(:not_loaded)

  # bosbase_files_download_async: record JSON, filename, path, options JSON or nil, and
  # whether to send {:bosbase_progress, tag, done, total} messages before the reply.
  @spec download_start(ref, binary(), binary(), binary(), binary() | nil, boolean()) ::
          {:ok, ref, reference()} | reply
  def download_start(_ref, _record, _filename, _path, _options, _progress),
    do: :erlang.nif_error(:not_loaded)

  @spec send_start(ref, binary() | nil, binary(), binary() | nil) ::
          {:ok, ref, reference()} | reply
  def send_start(_ref, _collection, _path, _options), do: :erlang.nif_error(:not_loaded)
  # The all-in-one OAuth2 sign-in (bosbase_auth_with_oauth2_async): as call_start, with
  # {tag, {:url, url}} (the provider's URL) before {tag, reply}.
  @spec oauth2_start(ref, binary(), binary(), binary() | nil, binary() | nil) ::
          {:ok, ref, reference()} | reply
  def oauth2_start(_ref, _collection, _provider, _oauth2_json, _options),
    do: :erlang.nif_error(:not_loaded)

  @spec call_cancel(ref) :: :sent | :wait | {:error, :badarg}
  def call_cancel(_call), do: :erlang.nif_error(:not_loaded)
  @spec live_calls() :: non_neg_integer()
  def live_calls, do: :erlang.nif_error(:not_loaded)
  # Clients the GC collected whose bosbase_client_release has not completed yet.
  @spec pending_frees() :: non_neg_integer()
  def pending_frees, do: :erlang.nif_error(:not_loaded)

  @spec auth_store_token(ref) :: reply
  def auth_store_token(_ref), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_record(ref) :: reply
  def auth_store_record(_ref), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_valid(ref) :: {:ok, boolean()} | reply
  def auth_store_valid(_ref), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_clear(ref) :: reply
  def auth_store_clear(_ref), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_save(ref, binary(), binary() | nil) :: reply
  def auth_store_save(_ref, _token, _record_json), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_export(ref) :: reply
  def auth_store_export(_ref), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_import(ref, binary()) :: reply
  def auth_store_import(_ref, _json), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_superuser(ref) :: {:ok, boolean()} | reply
  def auth_store_superuser(_ref), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_export_cookie(ref, binary() | nil) :: reply
  def auth_store_export_cookie(_ref, _options_json), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_load_cookie(ref, binary(), binary() | nil) :: reply
  def auth_store_load_cookie(_ref, _header, _key), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_file_error(ref) :: reply
  def auth_store_file_error(_ref), do: :erlang.nif_error(:not_loaded)

  # Change listeners: the core's callback sends {:bosbase_auth_change_raw, tag, seq, token,
  # record_json} to the relay pid (Bosbase.AuthStore.subscribe/2); unsubscribe removes it
  # from the core (no callback runs once it returns) and gives the relay's pid back.
  @spec auth_store_subscribe(ref, pid(), reference()) :: :ok | reply
  def auth_store_subscribe(_ref, _relay, _tag), do: :erlang.nif_error(:not_loaded)
  @spec auth_store_unsubscribe(ref, reference()) :: {:ok, pid()} | {:error, :not_found | :badarg}
  def auth_store_unsubscribe(_ref, _tag), do: :erlang.nif_error(:not_loaded)

  # Subscriptions of this client still registered in the core (a debugging aid for tests).
  @spec auth_store_listeners(ref) :: non_neg_integer() | {:error, :badarg}
  def auth_store_listeners(_ref), do: :erlang.nif_error(:not_loaded)

  # Subscriptions (Bosbase.Subscription), realtime and pub/sub: pull mode. Subscribing
  # returns at once; {:bosbase_ready, tag} goes to `pid` when the core queued entries after
  # `pid` last drained them; sub_next takes the oldest (never waits; :none re-arms the
  # message). The NIF monitors `pid` ({:error, :noproc} when it is not alive) and ends the
  # subscription when it exits. A state listener (realtime_on_state) sends
  # {:bosbase_event_raw, tag, seq, json} to its relay pid instead. sub_stop: no message of
  # it is sent once it returns. The *_unsubscribe functions and client_relays return
  # {tag, relay | nil} for the subscriptions they ended (relay: a state listener's).
  @spec realtime_subscribe(ref, pid(), reference(), binary(), binary() | nil) ::
          {:ok, ref} | reply | {:error, :noproc}
  def realtime_subscribe(_ref, _pid, _tag, _topic, _options),
    do: :erlang.nif_error(:not_loaded)

  @spec collection_subscribe(ref, pid(), reference(), binary(), binary(), binary() | nil) ::
          {:ok, ref} | reply | {:error, :noproc}
  def collection_subscribe(_ref, _pid, _tag, _collection, _topic, _options),
    do: :erlang.nif_error(:not_loaded)

  @spec pubsub_subscribe(ref, pid(), reference(), binary()) ::
          {:ok, ref} | reply | {:error, :noproc}
  def pubsub_subscribe(_ref, _pid, _tag, _topic), do: :erlang.nif_error(:not_loaded)
  @spec realtime_on_state(ref, pid(), reference()) :: {:ok, ref} | reply | {:error, :noproc}
  def realtime_on_state(_ref, _relay, _tag), do: :erlang.nif_error(:not_loaded)

  @spec sub_next(ref) ::
          :none
          | {:ok, :event | :subscribed | :error | :state, pos_integer(), binary()}
          | reply
  def sub_next(_sub), do: :erlang.nif_error(:not_loaded)
  @spec sub_stop(ref) :: boolean() | {:error, :badarg | :stale}
  def sub_stop(_sub), do: :erlang.nif_error(:not_loaded)
  @spec sub_dropped(ref) :: non_neg_integer() | {:error, :badarg | :stale}
  def sub_dropped(_sub), do: :erlang.nif_error(:not_loaded)
  @spec sub_active(ref) :: boolean() | {:error, :badarg | :stale}
  def sub_active(_sub), do: :erlang.nif_error(:not_loaded)

  @spec sub_lookup(ref, reference()) ::
          {:ok, ref, pid() | nil} | {:error, :not_found | :badarg | :stale}
  def sub_lookup(_ref, _tag), do: :erlang.nif_error(:not_loaded)

  @spec realtime_unsubscribe(ref, binary(), boolean()) ::
          {:ok, [{reference(), pid() | nil}]} | reply
  def realtime_unsubscribe(_ref, _topic, _prefix?), do: :erlang.nif_error(:not_loaded)

  @spec pubsub_unsubscribe_topic(ref, binary()) :: {:ok, [{reference(), pid() | nil}]} | reply
  def pubsub_unsubscribe_topic(_ref, _topic), do: :erlang.nif_error(:not_loaded)
  @spec pubsub_connected(ref) :: boolean() | {:error, :badarg}
  def pubsub_connected(_ref), do: :erlang.nif_error(:not_loaded)
  @spec client_relays(ref) :: [{reference(), pid() | nil}] | {:error, :badarg | :stale}
  def client_relays(_ref), do: :erlang.nif_error(:not_loaded)
  # Subscription resources alive in this VM (a debugging aid for tests).
  @spec live_subs() :: non_neg_integer()
  def live_subs, do: :erlang.nif_error(:not_loaded)

  # In memory (microseconds): a client with ref's settings and its own auth store.
  @spec client_fork(ref, binary() | nil) :: {:ok, ref} | reply
  def client_fork(_ref, _auth_json), do: :erlang.nif_error(:not_loaded)
  @spec filter(binary(), binary()) :: reply
  def filter(_expr, _params_json), do: :erlang.nif_error(:not_loaded)
end
