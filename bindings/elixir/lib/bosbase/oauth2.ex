defmodule Bosbase.OAuth2 do
  @moduledoc """
  The all-in-one OAuth2 sign-in behind `Bosbase.RecordService.auth_with_oauth2/4`.

  The NIF starts the core's flow (`bosbase_auth_with_oauth2_async`) on its worker pool and
  returns at once; the core hands the provider's URL to the calling process as a message,
  and `open_url` runs there (in the caller's process, never on a NIF or core thread), then
  the caller waits for the reply in a `receive`, as every call does.
  """

  alias Bosbase.{Call, ClientResponseError, Native, RecordService}

  @flow_keys %{
    "scopes" => "scopes",
    "create_data" => "createData",
    "createData" => "createData",
    "url_query" => "urlQuery",
    "urlQuery" => "urlQuery"
  }

  @doc false
  @spec run(
          RecordService.t() | Call.error(),
          String.t(),
          (String.t() -> term()),
          map() | keyword()
        ) ::
          Call.result()
  def run({:error, %ClientResponseError{}} = error, _provider, _open_url, _opts), do: error

  def run(%RecordService{client: client, collection: collection}, provider, open_url, opts) do
    with {:ok, ref} <- Call.ref(client),
         {:ok, [collection, provider]} <-
           Call.strings([{collection, "collection"}, {provider, "provider"}]),
         :ok <- fun(open_url),
         {:ok, flow, rest} <- split(opts),
         {:ok, flow_json} <- Bosbase.JSON.encode(flow, "OAuth2 options"),
         {:ok, options} <- Call.options_json(rest, false) do
      ref |> Native.oauth2_start(collection, provider, flow_json, options) |> await(open_url)
    end
  end

  def run(other, _provider, _open_url, _opts),
    do: Call.invalid("expected a %Bosbase.RecordService{}, got #{Call.type_name(other)}")

  defp fun(f) when is_function(f, 1), do: :ok
  defp fun(_), do: Call.invalid("expected open_url to be a function of one argument")

  # Splits the flow's own options (scopes, create_data, url_query) from the call options.
  defp split(opts) when is_map(opts) or is_list(opts) do
    if is_list(opts) and not Keyword.keyword?(opts) do
      Call.invalid("expected options to be a map or a keyword list")
    else
      {flow, rest} =
        Enum.split_with(opts, fn {key, _} ->
          Map.has_key?(@flow_keys, if(is_atom(key), do: Atom.to_string(key), else: key))
        end)

      flow =
        Map.new(flow, fn {key, value} ->
          {@flow_keys[if(is_atom(key), do: Atom.to_string(key), else: key)], value}
        end)

      {:ok, flow, if(is_map(opts), do: Map.new(rest), else: rest)}
    end
  end

  defp split(opts),
    do:
      Call.invalid("expected options to be a map or a keyword list, got #{Call.type_name(opts)}")

  # The URL message comes first (unless the flow failed before it), then the reply. An
  # open_url that returns {:error, _} or raises cancels the flow.
  defp await({:ok, call, tag}, open_url) do
    receive do
      {^tag, {:url, url}} ->
        case open(open_url, url) do
          :ok ->
            reply(call, tag)

          {:error, reason} ->
            _ = Native.call_cancel(call)
            _ = reply(call, tag)

            {:error,
             %ClientResponseError{
               kind: "cancelled",
               is_abort: true,
               message: "open_url failed: " <> reason
             }}
        end

      {^tag, reply} ->
        _ = Native.call_cancel(call)
        Call.result(reply)
    end
  end

  defp await(reply, _open_url), do: Call.result(reply)

  defp reply(call, tag) do
    reply =
      receive do
        {^tag, reply} -> reply
      end

    # Keeps `call` referenced until the reply is in (a collected handle cancels its call).
    _ = Native.call_cancel(call)
    Call.result(reply)
  end

  defp open(open_url, url) do
    case open_url.(url) do
      {:error, reason} -> {:error, inspect(reason, printable_limit: 200)}
      _ -> :ok
    end
  rescue
    e -> {:error, Exception.message(e)}
  catch
    kind, reason -> {:error, "#{kind} #{inspect(reason, printable_limit: 200)}"}
  end
end
