defmodule Bosbase.AuthStore do
  @moduledoc """
  The client's auth store. The state lives in the native core (auth calls fill it and
  every request sends its token), so these functions read and change it there: the
  `%Bosbase.Client{}` struct holds no copy.

  On a closed client every function raises `ArgumentError`.
  """

  alias Bosbase.{Call, Client, Native}

  @doc "The stored auth token, `\"\"` when none."
  @spec token(Client.t()) :: String.t()
  def token(%Client{ref: ref}), do: Call.value!(Native.auth_store_token(ref))
  def token(other), do: Client.not_a_client!(other)

  @doc "The stored auth record (a map with string keys), `nil` when none."
  @spec record(Client.t()) :: map() | nil
  def record(%Client{ref: ref}),
    do: ref |> Native.auth_store_record() |> Call.value!() |> decode()

  def record(other), do: Client.not_a_client!(other)

  @doc "True when the store holds a token whose `exp` is still in the future."
  @spec valid?(Client.t()) :: boolean()
  def valid?(%Client{ref: ref}), do: Call.value!(Native.auth_store_valid(ref))
  def valid?(other), do: Client.not_a_client!(other)

  @doc "Forgets the token and the record."
  @spec clear(Client.t()) :: :ok
  def clear(%Client{ref: ref}) do
    Call.value!(Native.auth_store_clear(ref))
    :ok
  end

  def clear(other), do: Client.not_a_client!(other)

  @doc "Stores `token` and `record` (a map or `nil`), e.g. a login obtained elsewhere."
  @spec save(Client.t(), String.t(), map() | nil) ::
          :ok | {:error, Bosbase.ClientResponseError.t()}
  def save(%Client{ref: ref}, token, record) do
    token = Call.string!(token, "token")
    record_json = if record == nil, do: nil, else: Bosbase.JSON.encode!(record, "record")
    ok(Native.auth_store_save(ref, token, record_json))
  end

  def save(other, _token, _record), do: Client.not_a_client!(other)

  @doc """
  The login as JSON text (`{"token": ..., "record": ...}`) for an app to persist; load it
  back with `import_json/2`. It contains the auth token: store it like a password.
  """
  @spec export(Client.t()) :: String.t()
  def export(%Client{ref: ref}), do: Call.value!(Native.auth_store_export(ref))
  def export(other), do: Client.not_a_client!(other)

  @doc """
  Restores what `export/1` wrote. (`import` is an Elixir special form, so it cannot be
  the name of a function.)
  """
  @spec import_json(Client.t(), String.t()) :: :ok | {:error, Bosbase.ClientResponseError.t()}
  def import_json(%Client{ref: ref}, json) do
    ok(Native.auth_store_import(ref, Call.string!(json, "json")))
  end

  def import_json(other, _json), do: Client.not_a_client!(other)

  defp ok({:error, :closed}), do: raise(ArgumentError, "the client is closed")

  defp ok(reply) do
    case Call.result(reply) do
      {:ok, _} -> :ok
      error -> error
    end
  end

  defp decode(json), do: Bosbase.JSON.decode!(json)
end
