defmodule Bosbase do
  @moduledoc """
  Elixir client for BosBase, a binding to the native core (`include/bosbase.h`).

  Start with `Bosbase.Client.new/2`, then `Bosbase.Client.collection/2` and the functions
  of `Bosbase.RecordService`. Login state is in `Bosbase.AuthStore`. Realtime record changes
  (`Bosbase.RecordService.subscribe/3`, `Bosbase.Realtime`) and pub/sub
  (`Bosbase.Pubsub.Subscriber`, `Bosbase.Pubsub.publish/4`) arrive as messages to a process.
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

  @doc """
  Fills the `{:name}` placeholders of a filter expression with `params` (a map with atom
  or string keys), quoted by the core so that hostile input stays a literal: strings are
  single-quoted with `'` escaped, numbers, booleans and `nil` (`null`) are bare, lists and
  maps become quoted JSON, and `DateTime`, `NaiveDateTime` and `Date` values become
  PocketBase's date strings (`"2024-01-02 03:04:05.000Z"`, UTC). Returns `{:ok, filter}`,
  or `{:error, %Bosbase.ClientResponseError{kind: "invalid_argument"}}` — e.g. for a
  string ending in a backslash, which PocketBase's filter syntax cannot express.

      {:ok, f} = Bosbase.filter("title ~ {:q} && created > {:since}", %{q: q, since: since})
      Bosbase.RecordService.get_list(posts, 1, 20, query: %{"filter" => f})
  """
  @spec filter(String.t(), map()) :: {:ok, String.t()} | {:error, Bosbase.ClientResponseError.t()}
  def filter(expr, params) when is_map(params) do
    with {:ok, expr} <- Bosbase.Call.string(expr, "filter expression"),
         {:ok, json} <- Bosbase.JSON.encode(filter_params(params), "filter params") do
      case Bosbase.Native.filter(expr, json) do
        {:ok, filter} when is_binary(filter) -> {:ok, filter}
        error -> Bosbase.Call.result(error)
      end
    end
  end

  def filter(_expr, params),
    do:
      Bosbase.Call.invalid(
        "expected filter params to be a map, got #{Bosbase.Call.type_name(params)}"
      )

  defp filter_params(params) do
    Map.new(params, fn {key, value} -> {to_string(key), filter_value(value)} end)
  end

  defp filter_value(%DateTime{} = dt),
    do: dt |> DateTime.shift_zone!("Etc/UTC") |> DateTime.to_naive() |> filter_value()

  defp filter_value(%NaiveDateTime{} = dt) do
    {micro, _} = dt.microsecond
    ms = dt |> Map.put(:microsecond, {div(micro, 1000) * 1000, 3}) |> NaiveDateTime.to_iso8601()
    String.replace(ms, "T", " ") <> "Z"
  end

  defp filter_value(%Date{} = d), do: Date.to_iso8601(d) <> " 00:00:00.000Z"
  defp filter_value(value), do: value

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
