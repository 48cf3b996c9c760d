defmodule Bosbase.Call do
  @moduledoc """
  The one primitive every network call goes through: `run/4` runs an operation of the
  core's operation table by name (the generated functions in `Bosbase.RecordService`,
  `Bosbase.Health`, `Bosbase.Collections`, ... are one-line calls of it), `send/4` sends
  a raw request (the seed's `send/3`).

  Neither holds a scheduler while the request is on the network: the NIF starts the call
  on the core's worker pool (`bosbase_call_async`, or `bosbase_send_async` for `send/4`)
  and returns at once; the completion,
  on a core thread, sends `{tag, reply}` to the calling process, which waits for it in a
  `receive`. The core bounds the wait: the call's deadline (its `:timeout`, else the
  client's) runs from the start, time queued for a worker included, and a call past it
  ends with `kind: "timeout"` from the core.
  A caller that dies mid-call leaves nothing behind: the call's handle is a resource
  whose destructor cancels the call (a cancelled login never reaches the auth store) and
  frees it.
  """

  # Shared by the public modules: argument checks, options → JSON, NIF reply → result.
  # Nothing here raises: every problem is {:error, %ClientResponseError{}}. Messages name
  # the argument, never its value (it may be a password or a token).

  alias Bosbase.{Client, ClientResponseError, Native, RecordService}

  @type error :: {:error, ClientResponseError.t()}
  @typedoc "`{:ok, term}` (JSON with string keys, `null` as `nil`) or an error."
  @type result :: {:ok, term()} | error
  @typedoc "Per-call options, a map or keyword list (see `Bosbase.RecordService`)."
  @type opts :: map() | keyword()

  @doc """
  Runs operation `op` (a name of the operation table, e.g. `"records.authWithToken"`) on
  `target` — a `%Bosbase.Client{}`, or a `%Bosbase.RecordService{}`, which adds its
  collection as the `"collection"` argument — with the named `args` (strings, numbers,
  booleans, maps, lists, or `nil` for the row's default) and per-call `opts`. An
  `{:error, _}` given as `target` is returned unchanged.

  `opts` may carry `:files`, a list of file parts sent with the call as
  `multipart/form-data` (for `records.create`, `records.update`, `backups.upload`):

    * `{:file, field, path}` or `{:file, field, path, filename: name, content_type: type}`
      — streamed from disk when the call runs, never read whole into memory;
    * `{:bytes, field, filename, binary}` or
      `{:bytes, field, filename, binary, content_type: type}` — from memory.

  The content type defaults to the filename's extension's, else
  `application/octet-stream`. With files, `:progress` (a `fn done, total -> ... end` run
  in the calling process, or a pid) gets the upload's progress as in
  `Bosbase.Transfers.download/5` (`total` is the whole multipart body).
  """
  @spec run(Client.t() | RecordService.t() | error, String.t(), map(), opts) :: result
  def run(target, op, args, opts) do
    with {:ok, client, args} <- target(target, args),
         {:ok, ref} <- ref(client),
         :ok <- check_args(args),
         {:ok, args_json} <- Bosbase.JSON.encode(args, "arguments"),
         {:ok, parts, opts} <- take_files(opts),
         {progress, opts} = take_progress(opts),
         :ok <- Bosbase.Transfers.check_progress(progress),
         {:ok, options} <- options_json(opts, false) do
      case {parts, progress} do
        {[_ | _], p} when p != nil ->
          ref
          |> Native.call_start_files(op, args_json, options, parts, true)
          |> Bosbase.Transfers.await(p)

        _ ->
          ref |> start(op, args_json, options, parts) |> await()
      end
    end
  end

  # Splits `:progress` (upload progress of `:files`, see `Bosbase.Transfers`) off the options.
  defp take_progress(opts) when is_list(opts), do: Keyword.pop(opts, :progress)
  defp take_progress(opts) when is_map(opts), do: Map.pop(opts, :progress)
  defp take_progress(opts), do: {nil, opts}

  @doc """
  Like `run/4` for an operation whose answer is a login (`{token, record}`, e.g.
  `records.impersonate`): returns a new `%Bosbase.Client{}` with the settings of the
  target's client (connections shared) and an auth store of its own holding that login,
  while the target's client keeps its own. The new client is closed and freed like any
  other (`Bosbase.Client.close/1`, or when it is garbage collected).
  """
  @spec run_new_client(Client.t() | RecordService.t() | error, String.t(), map(), opts) ::
          {:ok, Client.t()} | error
  def run_new_client(target, op, args, opts) do
    with {:ok, client, _} <- target(target, args),
         {:ok, ref} <- ref(client),
         {:ok, auth} <- run(target, op, args, opts),
         {:ok, json} <- Bosbase.JSON.encode(auth, "auth"),
         {:ok, new_ref} <- fork(ref, json) do
      {:ok, %Client{client | ref: new_ref}}
    end
  end

  defp fork(ref, json) do
    case Native.client_fork(ref, json) do
      {:ok, new_ref} when is_reference(new_ref) -> {:ok, new_ref}
      error -> result(error)
    end
  end

  defp start(ref, op, args_json, options, []), do: Native.call_start(ref, op, args_json, options)

  defp start(ref, op, args_json, options, parts),
    do: Native.call_start_files(ref, op, args_json, options, parts)

  # Splits `:files` off the options and turns each part into the NIF's tuple.
  defp take_files(opts) when is_map(opts) or is_list(opts) do
    {files, rest} =
      Enum.split_with(opts, fn
        {key, _} -> key in [:files, "files"]
        _ -> false
      end)

    rest = if is_map(opts), do: Map.new(rest), else: rest

    case files do
      [] ->
        {:ok, [], rest}

      [{_, parts}] when is_list(parts) ->
        with {:ok, parts} <- parts(parts), do: {:ok, parts, rest}

      [{_, _}] ->
        invalid("expected :files to be a list of file parts")

      _ ->
        invalid("option :files is given more than once")
    end
  end

  defp take_files(opts), do: {:ok, [], opts}

  defp parts(parts), do: all_ok(parts, &part/1)

  defp part({:file, field, path}), do: part({:file, field, path, []})

  defp part({:file, field, path, popts}) when is_list(popts) do
    with {:ok, field} <- string(field, "file field"),
         {:ok, path} <- string(path, "file path (for field #{field})"),
         {:ok, filename, content_type} <- part_opts(popts, [:filename, :content_type], field) do
      {:ok, {:path, field, path, filename, content_type}}
    end
  end

  defp part({:bytes, field, filename, data}), do: part({:bytes, field, filename, data, []})

  defp part({:bytes, field, filename, data, popts}) when is_list(popts) do
    with {:ok, field} <- string(field, "file field"),
         {:ok, filename} <- string(filename, "filename (for field #{field})"),
         :ok <- bytes(data, field),
         {:ok, nil, content_type} <- part_opts(popts, [:content_type], field) do
      {:ok, {:bytes, field, filename, content_type, data}}
    end
  end

  defp part(other) do
    invalid(
      "expected a file part {:file, field, path[, opts]} or " <>
        "{:bytes, field, filename, binary[, opts]}, got #{type_name(other)}"
    )
  end

  defp bytes(data, _field) when is_binary(data), do: :ok

  defp bytes(data, field),
    do: invalid("expected the bytes for field #{field} to be a binary, got #{type_name(data)}")

  defp part_opts(popts, allowed, field) do
    Enum.reduce_while(popts, {:ok, nil, nil}, fn
      {key, value}, {:ok, filename, content_type} ->
        cond do
          key not in allowed ->
            {:halt, invalid("unknown file part option #{inspect(key)} (for field #{field})")}

          true ->
            case string(value, "file part option #{key} (for field #{field})") do
              {:ok, v} when key == :filename -> {:cont, {:ok, v, content_type}}
              {:ok, v} -> {:cont, {:ok, filename, v}}
              error -> {:halt, error}
            end
        end

      _other, _acc ->
        {:halt, invalid("expected file part options to be a keyword list (for field #{field})")}
    end)
  end

  @doc """
  Sends a request to `path` (under `/api/collections/{collection}` when `collection` is
  not `nil`) and returns its JSON answer; `opts` may set `:method`.
  """
  @spec send(Client.t() | error, String.t() | nil, String.t(), opts) :: result
  def send(client, collection, path, opts) do
    with {:ok, ref} <- ref(client),
         {:ok, path} <- string(path, "path"),
         {:ok, options} <- options_json(opts, true) do
      ref |> Native.send_start(collection, path, options) |> await()
    end
  end

  defp target(%RecordService{client: client, collection: collection}, args) do
    with {:ok, collection} <- string(collection, "collection"),
         do: {:ok, client, Map.put(args, "collection", collection)}
  end

  defp target({:error, %ClientResponseError{}} = error, _args), do: error
  defp target(client, args), do: {:ok, client, args}

  # Strings (no NUL bytes, like every string this binding passes on), numbers, booleans,
  # maps and lists (checked by the JSON encoder), or nil (the row's default; a required
  # argument is then reported missing by the core).
  defp check_args(args) do
    Enum.reduce_while(args, :ok, fn
      {_name, value}, :ok
      when is_number(value) or is_boolean(value) or is_nil(value) or is_list(value) or
             (is_map(value) and not is_struct(value)) ->
        {:cont, :ok}

      {name, value}, :ok when is_binary(value) ->
        case string(value, name) do
          {:ok, _} -> {:cont, :ok}
          error -> {:halt, error}
        end

      {name, value}, :ok ->
        {:halt, invalid("expected #{name} to be a JSON value, got #{type_name(value)}")}
    end)
  end

  # Waits for the reply of a started call (an operation or a send). The core always sends
  # one: every request of the call has a deadline counted from the start, queue included,
  # so no margin or timeout of this binding's own is needed (a fixed one would also cut
  # short a call of many requests, such as a full list, that is still progressing).
  defp await({:ok, call, tag}) do
    reply =
      receive do
        {^tag, reply} -> reply
      end

    # Keeps `call` referenced until the reply is in (a collected handle cancels its call);
    # the call has finished, so this cancels nothing.
    _ = Native.call_cancel(call)
    result(reply)
  end

  defp await(reply), do: result(reply)

  # Per-call option keys accepted from Elixir (atoms or strings) and their names in the
  # core's options JSON.
  @option_keys %{
    "method" => "method",
    "body" => "body",
    "query" => "query",
    "headers" => "headers",
    "expand" => "expand",
    "fields" => "fields",
    "filter" => "filter",
    "sort" => "sort",
    "skip_total" => "skipTotal",
    "skipTotal" => "skipTotal",
    "mfa_id" => "mfaId",
    "mfaId" => "mfaId",
    "timeout" => "timeoutMs",
    "retries" => "retries",
    "idempotent" => "idempotent"
  }

  @doc false
  # The error for a bad argument; `message` names it, never its value.
  @spec invalid(String.t()) :: error
  def invalid(message), do: {:error, ClientResponseError.invalid_argument(message)}

  @doc false
  # `{:ok, ref}` for a client; an `{:error, _}` in the client's place (from a failed
  # `Client.new/2`) is passed through, so a pipeline reports the first failure.
  @spec ref(term()) :: {:ok, reference()} | error
  def ref(%Client{ref: ref}), do: {:ok, ref}
  def ref({:error, %ClientResponseError{}} = error), do: error
  def ref(other), do: invalid("expected a %Bosbase.Client{}, got #{type_name(other)}")

  @doc false
  # `{:ok, binary}` for a string without NUL bytes (C would cut it short there).
  @spec string(term(), String.t()) :: {:ok, binary()} | error
  def string(value, name) when is_binary(value) do
    if :binary.match(value, <<0>>) == :nomatch,
      do: {:ok, value},
      else: invalid("#{name} contains a NUL byte")
  end

  def string(value, name),
    do: invalid("expected #{name} to be a string (binary), got #{type_name(value)}")

  @doc false
  # Checks several `{value, name}` strings, all or the first error.
  @spec strings([{term(), String.t()}]) :: {:ok, [binary()]} | error
  def strings(pairs), do: all_ok(pairs, fn {value, name} -> string(value, name) end)

  # `{:ok, [f(x) values]}` when `f` gives `{:ok, _}` for every item, else its first error.
  defp all_ok(items, f) do
    Enum.reduce_while(items, {:ok, []}, fn item, {:ok, acc} ->
      case f.(item) do
        {:ok, v} -> {:cont, {:ok, [v | acc]}}
        error -> {:halt, error}
      end
    end)
    |> case do
      {:ok, acc} -> {:ok, Enum.reverse(acc)}
      error -> error
    end
  end

  @doc false
  # Options map or keyword → options JSON (nil when empty). `method` only for send.
  @spec options_json(term(), boolean()) :: {:ok, binary() | nil} | error
  def options_json(opts, allow_method?) when is_map(opts) or is_list(opts) do
    if is_list(opts) and not Keyword.keyword?(opts) do
      invalid("expected options to be a map or a keyword list")
    else
      opts
      |> Enum.reduce_while({:ok, %{}}, fn {key, value}, {:ok, acc} ->
        case option(key, value, allow_method?) do
          {:ok, name, json_value} -> {:cont, {:ok, Map.put(acc, name, json_value)}}
          error -> {:halt, error}
        end
      end)
      |> case do
        {:ok, fields} when fields == %{} -> {:ok, nil}
        {:ok, fields} -> Bosbase.JSON.encode(fields, "options")
        error -> error
      end
    end
  end

  def options_json(opts, _allow_method?),
    do: invalid("expected options to be a map or a keyword list, got #{type_name(opts)}")

  defp option(key, value, allow_method?) do
    name = if is_atom(key), do: Atom.to_string(key), else: key

    case Map.fetch(@option_keys, name) do
      {:ok, "method"} when allow_method? -> method(value)
      {:ok, "method"} -> invalid("option :method is only accepted by send/3")
      {:ok, "timeoutMs"} -> timeout(value)
      {:ok, "retries"} -> with {:ok, r} <- retries(value), do: {:ok, "retries", r}
      {:ok, "idempotent"} when is_boolean(value) -> {:ok, "idempotent", value}
      {:ok, "idempotent"} -> invalid("expected :idempotent to be true or false")
      {:ok, json_name} -> {:ok, json_name, value}
      :error -> invalid("unknown option #{inspect(key, printable_limit: 40)}")
    end
  end

  defp method(m) when is_atom(m) and m not in [nil, true, false],
    do: {:ok, "method", m |> Atom.to_string() |> String.upcase()}

  defp method(m) when is_binary(m), do: {:ok, "method", String.upcase(m)}
  defp method(m), do: invalid("expected :method to be an atom or a string, got #{type_name(m)}")

  defp timeout(ms) when is_integer(ms) and ms > 0, do: {:ok, "timeoutMs", ms}

  defp timeout(_ms),
    do: invalid("expected :timeout to be a positive integer (milliseconds)")

  @retry_keys %{
    "max_attempts" => "maxAttempts",
    "base_delay" => "baseDelayMs",
    "max_delay" => "maxDelayMs"
  }

  @doc false
  # The `:retries` option (client or call) as the core's JSON: a number of retries, or a
  # map/keyword of `:max_attempts`, `:base_delay`, `:max_delay` (milliseconds).
  @spec retries(term()) :: {:ok, non_neg_integer() | map()} | error
  def retries(n) when is_integer(n) and n >= 0, do: {:ok, n}

  def retries(opts) when is_map(opts) or is_list(opts) do
    if is_list(opts) and not Keyword.keyword?(opts) do
      invalid_retries()
    else
      Enum.reduce_while(opts, {:ok, %{}}, fn {key, value}, {:ok, acc} ->
        name = if is_atom(key), do: Atom.to_string(key), else: key

        case Map.fetch(@retry_keys, name) do
          {:ok, json} when is_integer(value) and value >= 0 ->
            {:cont, {:ok, Map.put(acc, json, value)}}

          _ ->
            {:halt, invalid_retries()}
        end
      end)
    end
  end

  def retries(_), do: invalid_retries()

  defp invalid_retries,
    do:
      invalid(
        "option :retries must be a number of retries or a map of :max_attempts, :base_delay, :max_delay (non-negative integers)"
      )

  @doc false
  # Turns a NIF reply into `{:ok, term}` / `{:error, %ClientResponseError{}}`.
  @spec result(Bosbase.Native.reply()) :: {:ok, term()} | error
  def result({:ok, nil}), do: {:ok, nil}
  def result({:ok, json}) when is_binary(json), do: {:ok, Bosbase.JSON.decode!(json)}
  def result({:error, code, json}), do: {:error, ClientResponseError.from_native(code, json)}

  def result({:error, :badarg}),
    do: invalid("expected a client made by Bosbase.Client.new/2 (a forged or foreign handle)")

  def result({:error, :stale}), do: {:error, ClientResponseError.stale()}

  @doc false
  # For functions that return a plain value on success: the value or `{:error, _}`.
  @spec value({:ok, term()} | error) :: term() | error
  def value({:ok, value}), do: value
  def value({:error, _} = error), do: error

  @doc false
  def type_name(value) when is_binary(value), do: "a binary"
  def type_name(value) when is_atom(value), do: "an atom"
  def type_name(value) when is_integer(value), do: "an integer"
  def type_name(value) when is_float(value), do: "a float"
  def type_name(value) when is_list(value), do: "a list"
  def type_name(%{__struct__: struct}), do: "a %#{inspect(struct)}{}"
  def type_name(value) when is_map(value), do: "a map"
  def type_name(value) when is_tuple(value), do: "a tuple"
  def type_name(value) when is_reference(value), do: "a reference"
  def type_name(_value), do: "another term"
end
