defmodule Bosbase.JSON do
  @moduledoc false
  # The core speaks JSON text; this picks a codec once, at compile time, from what the
  # running Elixir/OTP offers: Elixir's JSON (1.18+), else OTP's :json (27+), else :jiffy
  # (Debian's erlang-jiffy, which the make targets install). Keys stay strings, null is nil.
  # Encoding errors never echo the value: it may be a password or a custom token.

  cond do
    Code.ensure_loaded?(JSON) ->
      def codec, do: JSON
      def decode!(json), do: JSON.decode!(json)
      defp do_encode(term), do: JSON.encode!(term)

    Code.ensure_loaded?(:json) ->
      def codec, do: :json

      def decode!(json) do
        {term, :ok, ""} = :json.decode(json, :ok, %{null: nil})
        term
      end

      defp do_encode(term), do: IO.iodata_to_binary(:json.encode(term, &encode_value/2))

      # :json writes atoms other than true/false/null as strings; nil must be null.
      defp encode_value(nil, _encoder), do: "null"
      defp encode_value(value, encoder), do: :json.encode_value(value, encoder)

    true ->
      def codec, do: :jiffy
      def decode!(json), do: :jiffy.decode(json, [:return_maps, {:null_term, nil}])
      defp do_encode(term), do: IO.iodata_to_binary(:jiffy.encode(term, [:use_nil]))
  end

  @doc false
  # `{:ok, json}`, or `{:error, %ClientResponseError{kind: "invalid_argument"}}` naming
  # `what` (never the value) when the term is not JSON (invalid UTF-8, tuples, pids, ...).
  @spec encode(term(), String.t()) :: {:ok, binary()} | {:error, Bosbase.ClientResponseError.t()}
  def encode(term, what) do
    {:ok, do_encode(term)}
  catch
    # Codecs raise or throw with the offending value attached; keep it out of the message.
    _kind, _reason ->
      {:error,
       Bosbase.ClientResponseError.invalid_argument(
         "#{what} cannot be encoded as JSON (invalid UTF-8 or a non-JSON term)"
       )}
  end
end
