defmodule Bosbase.RecordService do
  @moduledoc """
  Calls on one collection, from `Bosbase.Client.collection/2`.

  Every function returns `{:ok, term}` (JSON with string keys, `null` as `nil`) or
  `{:error, %Bosbase.ClientResponseError{}}`, for every failure including arguments of the
  wrong type (`kind: "invalid_argument"`) and a closed client (`kind: "closed"`); an
  `{:error, _}` given in place of the service is returned unchanged. `opts` is a map or
  keyword list with any of `:body` (extra body fields), `:query`, `:headers`, `:expand`,
  `:fields`, `:filter` (build it with `Bosbase.filter/2`), `:sort` (`"-created,title"`),
  `:skip_total` (list pages without counting), `:mfa_id` (finishes an MFA login),
  `:timeout` (milliseconds, this call's deadline instead of the client's), `:retries`
  (this call's, instead of the client's: see `Bosbase.Client.new/2`), `:idempotent`
  (`true` lets a call other than GET/HEAD be retried) and `:files`
  (file parts sent as multipart, see `Bosbase.Call.run/4`:
  `files: [{:bytes, "attachment", "a.txt", "hi"}, {:file, "attachment", "/tmp/b.png"}]`).

  The per-operation functions (`auth_with_token/3`, `bind_custom_token/5`, ...) are
  generated from the core's operation table (`lib/bosbase/operations_gen.ex`, `make generate`)
  and each runs its row through `Bosbase.Call.run/4`; `send/3` is the raw form.
  """

  alias Bosbase.Call

  @enforce_keys [:client, :collection]
  defstruct [:client, :collection]

  @type t :: %__MODULE__{client: Bosbase.Client.t(), collection: String.t()}
  @type result :: Call.result()

  use Bosbase.Operations, :records

  @doc """
  Sends a request to `path` under `/api/collections/{collection}` (e.g. `"/bind-token"`).
  `opts` may also set `:method` (`:post`, `"PATCH"`, ...; default GET). Never touches the
  auth store: use the typed functions for that.
  """
  @spec send(t(), String.t(), map() | keyword()) :: result
  def send(service, path, opts \\ %{}) do
    with {:ok, client, collection} <- unpack(service),
         do: Call.send(client, collection, path, opts)
  end

  @doc """
  Subscribes to this collection's record changes over the realtime stream: `topic` is
  `"*"` (every record the signed-in user may list) or a record id (that record, if the
  user may view it). `opts[:pid]` (default: the caller) gets one `{:bosbase_ready, ref}`
  message per batch and takes the entries with `Bosbase.Realtime.next/2` (or
  `receive_event/3`); see `Bosbase.Realtime` for the entries, the other options
  (`:filter`, `:expand`, `:fields`, `:query`, `:headers`) and how it ends.
  """
  @spec subscribe(t(), String.t(), keyword()) ::
          {:ok, reference()} | {:error, Bosbase.ClientResponseError.t()}
  def subscribe(service, topic, opts \\ []) do
    with {:ok, client, collection} <- unpack(service),
         do: Bosbase.Realtime.subscribe_collection(client, collection, topic, opts)
  end

  @doc """
  Signs in with the OAuth2 `provider` (a name from `list_auth_methods/2`, e.g. `"google"`)
  as the JS SDK's `authWithOAuth2` does, and saves the login in the client's auth store;
  returns `{:ok, %{"token" => ..., "record" => ..., "meta" => ...}}`.

  `open_url` gets the provider's authorization URL once, in the calling process: open it
  in a browser (`System.cmd("xdg-open", [url])`) or show it. The provider sends the browser
  to the server's `/api/oauth2-redirect`, which hands the code to this client over realtime.
  If `open_url` returns `{:error, reason}` or raises, the flow is cancelled
  (`kind: "cancelled"`). Besides the usual options (`:body`, `:query`, `:headers` of the
  code exchange, and `:timeout`, which bounds the whole flow, default 300_000 ms),
  `opts` takes `:scopes` (a list replacing the provider's), `:create_data` (fields of an
  account created on a first sign-in) and `:url_query` (extra parameters of the URL).
  A refusal by the provider is `kind: "oauth2"`, an unknown provider `"invalid_argument"`,
  no redirect in time `"timeout"`; on any failure the auth store is unchanged. A caller
  that dies or is killed meanwhile cancels the flow. Run one flow per client at a time.
  """
  @spec auth_with_oauth2(t(), String.t(), (String.t() -> term()), map() | keyword()) :: result
  def auth_with_oauth2(service, provider, open_url, opts \\ []),
    do: Bosbase.OAuth2.run(service, provider, open_url, opts)

  defp unpack(%__MODULE__{client: client, collection: collection}) do
    with {:ok, collection} <- Call.string(collection, "collection"),
         do: {:ok, client, collection}
  end

  defp unpack({:error, %Bosbase.ClientResponseError{}} = error), do: error

  defp unpack(other) do
    Call.invalid(
      "expected a %Bosbase.RecordService{} from Bosbase.Client.collection/2, got #{Call.type_name(other)}"
    )
  end
end
