defmodule Bosbase.Call do
  @moduledoc false
  # Shared by the public modules: argument checks, options → JSON, NIF reply → result.
  # Messages name the argument, never its value (it may be a password or a token).

  alias Bosbase.ClientResponseError

  # Option keys accepted from Elixir (atoms or strings) and their names in options JSON.
  @option_keys %{
    "method" => "method",
    "body" => "body",
    "query" => "query",
    "headers" => "headers",
    "expand" => "expand",
    "fields" => "fields",
    "mfa_id" => "mfaId",
    "mfaId" => "mfaId"
  }

  @spec string!(term(), String.t()) :: binary()
  def string!(value, _name) when is_binary(value), do: value

  def string!(value, name) do
    raise ArgumentError, "expected #{name} to be a string (binary), got #{type_name(value)}"
  end

  @doc "Options map or keyword → options JSON (nil when empty). `method` only for send."
  @spec options_json(map() | keyword(), boolean()) :: binary() | nil
  def options_json(opts, allow_method?) when is_map(opts) or is_list(opts) do
    if is_list(opts) and not Keyword.keyword?(opts) do
      raise ArgumentError, "expected options to be a map or a keyword list"
    end

    fields = Map.new(opts, fn {key, value} -> option(key, value, allow_method?) end)
    if fields == %{}, do: nil, else: Bosbase.JSON.encode!(fields, "options")
  end

  def options_json(opts, _allow_method?) do
    raise ArgumentError, "expected options to be a map or a keyword list, got #{type_name(opts)}"
  end

  defp option(key, value, allow_method?) do
    name = if is_atom(key), do: Atom.to_string(key), else: key

    case Map.fetch(@option_keys, name) do
      {:ok, "method"} when allow_method? -> {"method", method(value)}
      {:ok, "method"} -> raise ArgumentError, "option :method is only accepted by send/3"
      {:ok, json_name} -> {json_name, value}
      :error -> raise ArgumentError, "unknown option #{inspect(key)}"
    end
  end

  defp method(m) when is_atom(m) and m not in [nil, true, false],
    do: m |> Atom.to_string() |> String.upcase()

  defp method(m) when is_binary(m), do: String.upcase(m)

  defp method(m),
    do: raise(ArgumentError, "expected :method to be an atom or a string, got #{type_name(m)}")

  @doc "Turns a NIF reply into `{:ok, term}` / `{:error, %ClientResponseError{}}`."
  @spec result({:ok, binary() | nil} | {:error, term()} | {:error, term(), term()}) ::
          {:ok, term()} | {:error, ClientResponseError.t()}
  def result({:ok, nil}), do: {:ok, nil}
  def result({:ok, json}), do: {:ok, Bosbase.JSON.decode!(json)}
  def result({:error, :closed}), do: {:error, ClientResponseError.closed()}
  def result({:error, code, json}), do: {:error, ClientResponseError.from_native(code, json)}

  @doc "For calls with no error channel: the value, or ArgumentError for a closed client."
  @spec value!({:ok, term()} | {:error, term()} | {:error, term(), term()}) :: term()
  def value!({:ok, value}), do: value
  def value!({:error, :closed}), do: raise(ArgumentError, "the client is closed")

  def value!({:error, code, json}) do
    raise ArgumentError, ClientResponseError.from_native(code, json).message
  end

  defp type_name(value) when is_atom(value), do: "an atom"
  defp type_name(value) when is_integer(value), do: "an integer"
  defp type_name(value) when is_float(value), do: "a float"
  defp type_name(value) when is_list(value), do: "a list"
  defp type_name(value) when is_map(value), do: "a map"
  defp type_name(value) when is_tuple(value), do: "a tuple"
  defp type_name(_value), do: "another term"
end
