defmodule Bosbase do
  @moduledoc """
  Elixir client for BosBase, a binding to the native core (`include/bosbase.h`).

  Start with `Bosbase.Client.new/2`, then `Bosbase.Client.collection/2` and the functions
  of `Bosbase.RecordService`. Login state is in `Bosbase.AuthStore`.
  """

  @doc """
  A new random custom token (256 bits from the OS CSPRNG, 43 URL-safe characters), or
  `{:error, %Bosbase.ClientResponseError{kind: "panic"}}` if the OS has no randomness.
  """
  @spec generate_token() :: String.t() | {:error, Bosbase.ClientResponseError.t()}
  def generate_token do
    case Bosbase.Native.generate_token() do
      {:ok, token} -> token
      error -> Bosbase.Call.result(error)
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

  @doc """
  Number of network calls of this binding alive in this VM: started and not yet answered,
  or answered but their handle not yet garbage collected. A debugging aid: it proves that
  callers that time out or die leave no call handle behind.
  """
  @spec live_calls() :: non_neg_integer()
  def live_calls, do: Bosbase.Native.live_calls()
end
