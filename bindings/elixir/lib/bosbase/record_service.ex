defmodule Bosbase.RecordService do
  @moduledoc """
  Calls on one collection, from `Bosbase.Client.collection/2`.

  Every function returns `{:ok, term}` (JSON with string keys, `null` as `nil`) or
  `{:error, %Bosbase.ClientResponseError{}}`, and raises `ArgumentError` for arguments of
  the wrong type. `opts` is a map or keyword list with any of `:body` (extra body fields),
  `:query`, `:headers`, `:expand`, `:fields` and `:mfa_id` (finishes an MFA login).
  """

  alias Bosbase.{Call, Native}

  @enforce_keys [:client, :collection]
  defstruct [:client, :collection]

  @type t :: %__MODULE__{client: Bosbase.Client.t(), collection: String.t()}
  @type result :: {:ok, term()} | {:error, Bosbase.ClientResponseError.t()}

  @doc """
  Sends a request to `path` under `/api/collections/{collection}` (e.g. `"/bind-token"`).
  `opts` may also set `:method` (`:post`, `"PATCH"`, ...; default GET). Never touches the
  auth store: use the typed functions for that.
  """
  @spec send(t(), String.t(), map() | keyword()) :: result
  def send(service, path, opts \\ %{}) do
    {ref, collection} = unpack!(service)
    path = Call.string!(path, "path")
    Call.result(Native.collection_send(ref, collection, path, Call.options_json(opts, true)))
  end

  @doc "Binds `token` to the account `email`/`password`; `{:ok, true}`. Leaves the auth store alone."
  @spec bind_custom_token(t(), String.t(), String.t(), String.t(), map() | keyword()) :: result
  def bind_custom_token(service, email, password, token, opts \\ %{}) do
    token_binding(&Native.bind_custom_token/6, service, {email, password, token}, opts)
  end

  @doc "Stops accepting `token` for the account; `{:ok, true}`, also when it was not bound."
  @spec unbind_custom_token(t(), String.t(), String.t(), String.t(), map() | keyword()) :: result
  def unbind_custom_token(service, email, password, token, opts \\ %{}) do
    token_binding(&Native.unbind_custom_token/6, service, {email, password, token}, opts)
  end

  # bind and unbind take the same arguments; only the native function differs.
  defp token_binding(native_fun, service, {email, password, token}, opts) do
    {ref, collection} = unpack!(service)
    {email, password, token} = credentials!(email, password, token)

    Call.result(
      native_fun.(ref, collection, email, password, token, Call.options_json(opts, false))
    )
  end

  @doc """
  Signs in with a bound custom token: `{:ok, %{"token" => ..., "record" => %{...}}}`, also
  saved in the client's auth store. An MFA-enabled collection answers
  `{:error, %{kind: "mfa_required", mfa_id: id}}`; finish with another method and `mfa_id: id`.
  """
  @spec auth_with_token(t(), String.t(), map() | keyword()) :: result
  def auth_with_token(service, token, opts \\ %{}) do
    {ref, collection} = unpack!(service)
    token = Call.string!(token, "token")
    Call.result(Native.auth_with_token(ref, collection, token, Call.options_json(opts, false)))
  end

  @doc "Signs in with email and password; result and auth store as for `auth_with_token/3`."
  @spec auth_with_password(t(), String.t(), String.t(), map() | keyword()) :: result
  def auth_with_password(service, identity, password, opts \\ %{}) do
    {ref, collection} = unpack!(service)
    identity = Call.string!(identity, "identity")
    password = Call.string!(password, "password")

    Call.result(
      Native.auth_with_password(
        ref,
        collection,
        identity,
        password,
        Call.options_json(opts, false)
      )
    )
  end

  @doc "Refreshes the stored token and saves the answer in the auth store."
  @spec auth_refresh(t(), map() | keyword()) :: result
  def auth_refresh(service, opts \\ %{}) do
    {ref, collection} = unpack!(service)
    Call.result(Native.auth_refresh(ref, collection, Call.options_json(opts, false)))
  end

  defp unpack!(%__MODULE__{client: %Bosbase.Client{ref: ref}, collection: collection}),
    do: {ref, Call.string!(collection, "collection")}

  defp unpack!(other) do
    raise ArgumentError,
          "expected a %Bosbase.RecordService{} from Bosbase.Client.collection/2, got #{inspect(other, limit: 3)}"
  end

  defp credentials!(email, password, token) do
    {Call.string!(email, "email"), Call.string!(password, "password"),
     Call.string!(token, "token")}
  end
end
