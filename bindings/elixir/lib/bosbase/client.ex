defmodule Bosbase.Client do
  @moduledoc """
  A BosBase client: a handle on the native core's client (connection pool, auth store).

      pb = Bosbase.Client.new("http://127.0.0.1:8090")

      {:ok, auth} =
        Bosbase.Client.collection(pb, "users")
        |> Bosbase.RecordService.send("/auth-with-token", %{method: :post, body: %{"token" => token}})

  The struct holds a NIF resource; the native client is freed when the last copy of the
  struct (and the last call on it) is garbage collected, or by `close/1` once the calls
  in flight have ended. One client may be used by many processes at once. No network call
  holds a scheduler: the call runs on the core's worker pool and the calling process waits
  for its answer in a `receive` (see `Bosbase.Call`), so a slow server never delays other
  processes, file I/O or timers.

  Failures are always `{:error, %Bosbase.ClientResponseError{}}` (see its `:kind`), never
  a raise. A failed `new/2` returns such an error in place of the client; passed on to
  `collection/2`, `send/3`, the `Bosbase.RecordService` and `Bosbase.AuthStore` functions,
  it comes back unchanged, so a pipeline reports the first failure.
  """

  alias Bosbase.Call

  @enforce_keys [:ref, :base_url]
  defstruct [:ref, :base_url, timeout: 30_000]

  @type t :: %__MODULE__{ref: reference(), base_url: String.t(), timeout: pos_integer()}

  @version Mix.Project.config()[:version]

  # Elixir option → {options JSON name, check}.
  @client_options %{
    lang: {"lang", :string},
    user_agent: {"userAgent", :string},
    timeout: {"timeoutMs", :pos_integer},
    connect_timeout: {"connectTimeoutMs", :pos_integer},
    max_response_bytes: {"maxResponseBytes", :non_neg_integer},
    max_idle_connections: {"maxIdleConnections", :non_neg_integer},
    pool_size: {"poolSize", :pos_integer},
    ca_pem: {"caPem", :string},
    ca_file: {"caFile", :string},
    danger_accept_invalid_certs: {"dangerAcceptInvalidCerts", :boolean},
    proxy: {"proxy", :string},
    auth_file: {"authFile", :string},
    retries: {"retries", :retries}
  }

  @doc """
  Creates a client for the server at `base_url` (`http://` or `https://`, host, optional
  port and path). Returns the client, or `{:error, %Bosbase.ClientResponseError{kind:
  "invalid_argument"}}` for an unusable URL (userinfo such as `user:password@`, a bad port,
  a query or fragment are refused) or option; the error never contains the URL's userinfo
  or an option's value.

  Options (a keyword list; every one optional):

    * `:timeout` — deadline of each call in milliseconds, from connecting to the last byte
      of the answer (default `30_000`); a call can override it with its own `:timeout`
    * `:connect_timeout` — milliseconds to establish a connection (default `10_000`)
    * `:max_response_bytes` — largest answer body read (default `10_485_760`, 10 MiB); a
      larger answer is an error that keeps its HTTP status
    * `:max_idle_connections` — keep-alive connections kept for reuse (default `64`)
    * `:pool_size` — the core's worker threads for this client's calls (default `256`,
      started on demand); more calls than that at once queue for a worker, their deadline
      running
    * `:lang` — the `Accept-Language` header (default `"en-US"`)
    * `:user_agent` — the `User-Agent` header (default `"bosbase-elixir/#{@version}"`)
    * `:ca_pem` — PEM text of extra CA certificates to trust for `https://` (e.g. a private
      CA), on top of the platform's trust store, which is always used
    * `:ca_file` — path of such a PEM file
    * `:danger_accept_invalid_certs` — **development only**: `true` accepts any server
      certificate (no verification at all); default `false`
    * `:proxy` — the HTTP proxy every connection (calls, realtime, pub/sub) goes through as
      a `CONNECT` tunnel, `"http://[user:password@]host[:port]"` (credentials never appear in
      errors), or `"none"` to connect directly; either way `HTTP_PROXY`/`HTTPS_PROXY`/
      `ALL_PROXY`/`NO_PROXY` are then ignored. Default: those variables, read when the client
      is created (lower case first, `NO_PROXY` honoured, loopback not exempt unless listed).
      SOCKS and `https://` proxies are `invalid_argument`
    * `:auth_file` — path of a file keeping the auth store across restarts (default: none,
      the store lives in memory): the client starts with the login it holds, and every
      change (auth calls, `Bosbase.AuthStore.save/3`, `clear/1`, `import_json/2`, record
      refreshes) replaces it atomically, owner-only (`0600`), never half-written. A missing
      file is an empty store; a file that cannot be used does not fail `new/2`: the store
      starts empty and `Bosbase.AuthStore.file_error/1` says why. Clients from
      `impersonate` keep their store in memory; two clients on one file: the last change wins
    * `:retries` — retries of idempotent calls (default `0`: one attempt): a number of retries,
      or `%{max_attempts: 3, base_delay: 200, max_delay: 5_000}` (milliseconds; each
      optional, these are the defaults). Only GET/HEAD calls, and calls given
      `idempotent: true`, are retried: when the connection was reset before any byte of the
      answer, or on 502/503/504 and 429 (waiting its `Retry-After`), with exponential backoff
      and jitter, all inside the call's deadline. A call may pass its own `:retries`; the
      error's `:attempts` counts the attempts

  Failed certificate verification or TLS handshakes are `kind: "tls"` errors.
  """
  @spec new(String.t(), keyword()) :: t() | {:error, Bosbase.ClientResponseError.t()}
  def new(base_url, opts \\ []) do
    with {:ok, url} <- Call.string(base_url, "base_url"),
         {:ok, options} <- client_options(opts),
         {:ok, json} <- Bosbase.JSON.encode(options, "client options"),
         {:ok, ref} <- native_new(url, json) do
      %__MODULE__{ref: ref, base_url: url, timeout: Map.get(options, "timeoutMs", 30_000)}
    end
  end

  defp native_new(url, json) do
    case Bosbase.Native.client_new(url, json) do
      {:ok, ref} when is_reference(ref) -> {:ok, ref}
      error -> Call.result(error)
    end
  end

  defp client_options(opts) do
    if is_list(opts) and Keyword.keyword?(opts) do
      Enum.reduce_while(opts, {:ok, %{"userAgent" => "bosbase-elixir/#{@version}"}}, fn
        {key, value}, {:ok, acc} ->
          case client_option(key, value) do
            {:ok, name, value} -> {:cont, {:ok, Map.put(acc, name, value)}}
            error -> {:halt, error}
          end
      end)
    else
      Call.invalid("expected client options to be a keyword list")
    end
  end

  defp client_option(key, value) do
    case Map.fetch(@client_options, key) do
      {:ok, {name, :retries}} ->
        with {:ok, json} <- Call.retries(value), do: {:ok, name, json}

      {:ok, {name, check}} ->
        if valid_option?(check, value),
          do: {:ok, name, value},
          else: Call.invalid("client option #{inspect(key)} must be #{describe(check)}")

      :error ->
        Call.invalid("unknown client option #{inspect(key)}")
    end
  end

  defp valid_option?(:string, v), do: is_binary(v)
  defp valid_option?(:pos_integer, v), do: is_integer(v) and v > 0
  defp valid_option?(:non_neg_integer, v), do: is_integer(v) and v >= 0
  defp valid_option?(:boolean, v), do: is_boolean(v)

  defp describe(:string), do: "a string"
  defp describe(:pos_integer), do: "a positive integer"
  defp describe(:non_neg_integer), do: "a non-negative integer"
  defp describe(:boolean), do: "a boolean"

  @doc """
  Closes the client: later network calls on it return
  `{:error, %Bosbase.ClientResponseError{kind: "closed"}}` without sending anything, and
  `close/1` returns once the calls already running on the client have finished (each is
  bounded by its deadline) and the native client is freed. After it returns, the
  `Bosbase.AuthStore` functions return `kind: "closed"` too (while it waits they still
  answer). The one function that waits inside a NIF, so it runs on a dirty I/O scheduler
  (for at most the longest deadline of the calls in flight). Calling it again, also
  concurrently, is fine.
  """
  @spec close(t()) :: :ok | {:error, Bosbase.ClientResponseError.t()}
  def close(client) do
    with {:ok, ref} <- Call.ref(client) do
      case Bosbase.Native.client_close(ref) do
        # The core ended every subscription: their relays end too.
        :ok -> ref |> Bosbase.Native.client_relays() |> Bosbase.Subscription.stop_relays([])
        error -> Call.result(error)
      end
    end
  end

  @doc """
  A record service for `collection` (e.g. `\"users\"`, `\"_superusers\"`). For anything
  but a client and a string it returns `{:error, %Bosbase.ClientResponseError{}}`, which
  the `Bosbase.RecordService` functions pass through.
  """
  @spec collection(t(), String.t()) ::
          Bosbase.RecordService.t() | {:error, Bosbase.ClientResponseError.t()}
  def collection(client, collection) do
    with {:ok, _ref} <- Call.ref(client),
         {:ok, collection} <- Call.string(collection, "collection") do
      %Bosbase.RecordService{client: client, collection: collection}
    end
  end

  @doc """
  Sends a request to any `path` of the server (e.g. `"/api/health"`).

  `opts` (map or keyword list): `:method` (atom or string, default GET), `:body`,
  `:query`, `:headers`, `:timeout` (milliseconds, this call's deadline).
  """
  @spec send(t(), String.t(), map() | keyword()) ::
          {:ok, term()} | {:error, Bosbase.ClientResponseError.t()}
  def send(client, path, opts \\ %{}) do
    Call.send(client, nil, path, opts)
  end

  defimpl Inspect do
    # The core refuses URLs with userinfo, so there is none to hide; strip it anyway so a
    # struct built by hand cannot leak a password either.
    def inspect(%{base_url: url}, _opts) when is_binary(url),
      do: "#Bosbase.Client<#{String.replace(url, ~r{\A([^:/?#]*://)[^/?#]*@}, "\\1")}>"

    def inspect(_client, _opts), do: "#Bosbase.Client<?>"
  end
end
