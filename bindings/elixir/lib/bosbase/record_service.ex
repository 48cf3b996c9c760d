defmodule Bosbase.RecordService do
  @moduledoc """
  Calls on one collection, from `Bosbase.Client.collection/2`.

  Every function returns `{:ok, term}` (JSON with string keys, `null` as `nil`) or
  `{:error, %Bosbase.ClientResponseError{}}`, for every failure including arguments of the
  wrong type (`kind: "invalid_argument"`) and a closed client (`kind: "closed"`); an
  `{:error, _}` given in place of the service is returned unchanged. `opts` is a map or
  keyword list with any of `:body` (extra body fields), `:query`, `:headers`, `:expand`,
  `:fields`, `:mfa_id` (finishes an MFA login) and `:timeout` (milliseconds, this call's
  deadline instead of the client's).
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
    with {:ok, ref, collection} <- unpack(service),
         {:ok, path} <- Call.string(path, "path"),
         {:ok, options} <- Call.options_json(opts, true) do
      Call.result(Native.collection_send(ref, collection, path, options))
    end
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
    with {:ok, ref, collection} <- unpack(service),
         {:ok, [email, password, token]} <-
           Call.strings([{email, "email"}, {password, "password"}, {token, "token"}]),
         {:ok, options} <- Call.options_json(opts, false) do
      Call.result(native_fun.(ref, collection, email, password, token, options))
    end
  end

  @doc """
  Signs in with a bound custom token: `{:ok, %{"token" => ..., "record" => %{...}}}`, also
  saved in the client's auth store. An MFA-enabled collection answers
  `{:error, %{kind: "mfa_required", mfa_id: id}}`; finish with another method and `mfa_id: id`.
  """
  @spec auth_with_token(t(), String.t(), map() | keyword()) :: result
  def auth_with_token(service, token, opts \\ %{}) do
    with {:ok, ref, collection} <- unpack(service),
         {:ok, token} <- Call.string(token, "token"),
         {:ok, options} <- Call.options_json(opts, false) do
      Call.result(Native.auth_with_token(ref, collection, token, options))
    end
  end

  @doc "Signs in with email and password; result and auth store as for `auth_with_token/3`."
  @spec auth_with_password(t(), String.t(), String.t(), map() | keyword()) :: result
  def auth_with_password(service, identity, password, opts \\ %{}) do
    with {:ok, ref, collection} <- unpack(service),
         {:ok, [identity, password]} <-
           Call.strings([{identity, "identity"}, {password, "password"}]),
         {:ok, options} <- Call.options_json(opts, false) do
      Call.result(Native.auth_with_password(ref, collection, identity, password, options))
    end
  end

  @doc "Refreshes the stored token and saves the answer in the auth store."
  @spec auth_refresh(t(), map() | keyword()) :: result
  def auth_refresh(service, opts \\ %{}) do
    with {:ok, ref, collection} <- unpack(service),
         {:ok, options} <- Call.options_json(opts, false) do
      Call.result(Native.auth_refresh(ref, collection, options))
    end
  end

  defp unpack(%__MODULE__{client: client, collection: collection}) do
    with {:ok, ref} <- Call.ref(client),
         {:ok, collection} <- Call.string(collection, "collection") do
      {:ok, ref, collection}
    end
  end

  defp unpack({:error, %Bosbase.ClientResponseError{}} = error), do: error

  defp unpack(other) do
    Call.invalid(
      "expected a %Bosbase.RecordService{} from Bosbase.Client.collection/2, got #{Call.type_name(other)}"
    )
  end
end
