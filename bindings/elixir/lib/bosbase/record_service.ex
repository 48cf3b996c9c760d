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
  `:timeout` (milliseconds, this call's deadline instead of the client's) and `:files`
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
  user may view it). The events come as `{:bosbase_event, ref, event}` messages to
  `opts[:pid]` (default: the caller); see `Bosbase.Realtime` for the messages, the other
  options (`:filter`, `:expand`, `:fields`, `:query`, `:headers`) and how it ends.
  """
  @spec subscribe(t(), String.t(), keyword()) ::
          {:ok, reference()} | {:error, Bosbase.ClientResponseError.t()}
  def subscribe(service, topic, opts \\ []) do
    with {:ok, client, collection} <- unpack(service),
         do: Bosbase.Realtime.subscribe_collection(client, collection, topic, opts)
  end

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
