defmodule Bosbase.AuthStore do
  @moduledoc """
  The client's auth store. The state lives in the native core (auth calls fill it and
  every request sends its token whenever it holds one), so these functions read and change
  it there: the `%Bosbase.Client{}` struct holds no copy.

  Every failure is `{:error, %Bosbase.ClientResponseError{}}`: `kind: "closed"` once
  `Bosbase.Client.close/1` has returned, `"invalid_argument"` for bad arguments. An `{:error, _}` given
  in place of the client (from a failed `Bosbase.Client.new/2`) is returned unchanged.
  """

  alias Bosbase.{Call, Client, ClientResponseError, Native}

  @type error :: {:error, ClientResponseError.t()}

  @doc "The stored auth token, `\"\"` when none."
  @spec token(Client.t()) :: String.t() | error
  def token(client) do
    with {:ok, ref} <- Call.ref(client), do: ref |> Native.auth_store_token() |> raw_value()
  end

  @doc "The stored auth record (a map with string keys), `nil` when none."
  @spec record(Client.t()) :: map() | nil | error
  def record(client) do
    with {:ok, ref} <- Call.ref(client),
         {:ok, json} <- ref |> Native.auth_store_record() |> raw() do
      Bosbase.JSON.decode!(json)
    end
  end

  @doc """
  True when the store holds a token whose `exp` is still in the future. `false` for a
  closed client and for anything that is not a client (like the C function for NULL).
  """
  @spec valid?(Client.t()) :: boolean()
  def valid?(%Client{ref: ref}), do: Native.auth_store_valid(ref) == {:ok, true}
  def valid?(_other), do: false

  @doc "Forgets the token and the record."
  @spec clear(Client.t()) :: :ok | error
  def clear(client) do
    with {:ok, ref} <- Call.ref(client), do: ok(Native.auth_store_clear(ref))
  end

  @doc "Stores `token` and `record` (a map or `nil`), e.g. a login obtained elsewhere."
  @spec save(Client.t(), String.t(), map() | nil) :: :ok | error
  def save(client, token, record) do
    with {:ok, ref} <- Call.ref(client),
         {:ok, token} <- Call.string(token, "token"),
         {:ok, record_json} <- record_json(record) do
      ok(Native.auth_store_save(ref, token, record_json))
    end
  end

  defp record_json(nil), do: {:ok, nil}
  defp record_json(record) when is_map(record), do: Bosbase.JSON.encode(record, "record")

  defp record_json(other),
    do: Call.invalid("expected record to be a map or nil, got #{Call.type_name(other)}")

  @doc """
  The login as JSON text (`{"token": ..., "record": ...}`) for an app to persist; load it
  back with `import_json/2`. It contains the auth token: store it like a password.
  """
  @spec export(Client.t()) :: String.t() | error
  def export(client) do
    with {:ok, ref} <- Call.ref(client), do: ref |> Native.auth_store_export() |> raw_value()
  end

  @doc """
  Restores what `export/1` wrote (a JSON object; anything else is `invalid_argument` and
  leaves the store unchanged). (`import` is an Elixir special form, so it cannot be the
  name of a function.)
  """
  @spec import_json(Client.t(), String.t()) :: :ok | error
  def import_json(client, json) do
    with {:ok, ref} <- Call.ref(client),
         {:ok, json} <- Call.string(json, "json") do
      ok(Native.auth_store_import(ref, json))
    end
  end

  # The store functions return text that is not JSON (the token, the export): no decoding.
  defp raw({:ok, text}) when is_binary(text), do: {:ok, text}
  defp raw(reply), do: Call.result(reply)

  defp raw_value(reply), do: reply |> raw() |> Call.value()

  defp ok(reply) do
    case Call.result(reply) do
      {:ok, _} -> :ok
      error -> error
    end
  end
end
