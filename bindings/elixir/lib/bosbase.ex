defmodule Bosbase do
  @moduledoc """
  Elixir client for BosBase, a binding to the native core (`include/bosbase.h`).

  Start with `Bosbase.Client.new/2`, then `Bosbase.Client.collection/2` and the functions
  of `Bosbase.RecordService`. Login state is in `Bosbase.AuthStore`.
  """

  @doc "A new random custom token (256 bits from the OS CSPRNG, 43 URL-safe characters)."
  @spec generate_token() :: String.t()
  def generate_token do
    case Bosbase.Native.generate_token() do
      {:ok, token} -> token
      {:error, code, json} -> raise Bosbase.ClientResponseError.from_native(code, json)
    end
  end

  @doc "The native core's version."
  @spec version() :: String.t()
  def version, do: List.to_string(Bosbase.Native.version())

  @doc """
  Number of native clients alive in this VM (created and not yet freed). A debugging aid:
  it proves that dropped `%Bosbase.Client{}` structs release their native handle.
  """
  @spec live_clients() :: non_neg_integer()
  def live_clients, do: Bosbase.Native.live_clients()
end
