defmodule Bosbase.Client do
  @moduledoc """
  A BosBase client: a handle on the native core's client (connection pool, auth store).

      pb = Bosbase.Client.new("http://127.0.0.1:8090")

      {:ok, auth} =
        Bosbase.Client.collection(pb, "users")
        |> Bosbase.RecordService.send("/auth-with-token", %{method: :post, body: %{"token" => token}})

  The struct holds a NIF resource; the native client is freed when the last copy of the
  struct is garbage collected, or at once by `close/1`. One client may be used by many
  processes at once; every network call runs on a dirty I/O scheduler, so it never
  blocks the normal schedulers.
  """

  alias Bosbase.Call

  @enforce_keys [:ref, :base_url]
  defstruct [:ref, :base_url]

  @type t :: %__MODULE__{ref: reference(), base_url: String.t()}

  @version Mix.Project.config()[:version]

  @doc """
  Creates a client for the server at `base_url`.

  Options: `:lang` (`Accept-Language`, default `"en-US"`), `:timeout_ms` (per request,
  `0` waits forever). Raises `ArgumentError` for an unusable URL or option.
  """
  @spec new(String.t(), keyword()) :: t()
  def new(base_url, opts \\ []) do
    Call.string!(base_url, "base_url")
    options = client_options(opts)

    case Bosbase.Native.client_new(base_url, Bosbase.JSON.encode!(options, "client options")) do
      {:ok, ref} ->
        %__MODULE__{ref: ref, base_url: base_url}

      {:error, code, json} ->
        raise ArgumentError, Bosbase.ClientResponseError.from_native(code, json).message
    end
  end

  defp client_options(opts) do
    unless Keyword.keyword?(opts),
      do: raise(ArgumentError, "expected options to be a keyword list")

    Enum.reduce(opts, %{"userAgent" => "bosbase-elixir/#{@version}"}, fn
      {:lang, lang}, acc -> Map.put(acc, "lang", Call.string!(lang, ":lang"))
      {:timeout_ms, ms}, acc when is_integer(ms) and ms >= 0 -> Map.put(acc, "timeoutMs", ms)
      {key, _}, _acc -> raise ArgumentError, "unknown or invalid client option #{inspect(key)}"
    end)
  end

  @doc """
  Frees the native client now instead of at garbage collection. Calls already running
  finish first; later calls return `{:error, %Bosbase.ClientResponseError{kind: "invalid_argument"}}`
  (auth store functions raise `ArgumentError`). Calling it twice is fine.
  """
  @spec close(t()) :: :ok
  def close(%__MODULE__{ref: ref}), do: Bosbase.Native.client_close(ref)

  @doc "A record service for `collection` (e.g. `\"users\"`, `\"_superusers\"`)."
  @spec collection(t(), String.t()) :: Bosbase.RecordService.t()
  def collection(%__MODULE__{} = client, collection) do
    %Bosbase.RecordService{client: client, collection: Call.string!(collection, "collection")}
  end

  def collection(other, _collection), do: not_a_client!(other)

  @doc """
  Sends a request to any `path` of the server (e.g. `"/api/health"`).

  `opts`: `:method` (atom or string, default GET), `:body`, `:query`, `:headers`.
  """
  @spec send(t(), String.t(), map() | keyword()) ::
          {:ok, term()} | {:error, Bosbase.ClientResponseError.t()}
  def send(client, path, opts \\ %{})

  def send(%__MODULE__{ref: ref}, path, opts) do
    path = Call.string!(path, "path")
    Call.result(Bosbase.Native.send(ref, path, Call.options_json(opts, true)))
  end

  def send(other, _path, _opts), do: not_a_client!(other)

  @doc false
  def not_a_client!(other) do
    raise ArgumentError, "expected a %Bosbase.Client{}, got #{inspect(other, limit: 3)}"
  end

  defimpl Inspect do
    def inspect(%{base_url: url}, _opts), do: "#Bosbase.Client<#{url}>"
  end
end
