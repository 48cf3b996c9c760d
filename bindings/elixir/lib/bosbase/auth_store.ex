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

  @doc """
  True when the store holds a superuser's token (an account of `_superusers`). `false` for
  a closed client and for anything that is not a client.
  """
  @spec superuser?(Client.t()) :: boolean()
  def superuser?(%Client{ref: ref}), do: Native.auth_store_superuser(ref) == {:ok, true}
  def superuser?(_other), do: false

  @doc """
  Why the client's `:auth_file` (see `Bosbase.Client.new/2`) could not be used the last
  time it was read or written, or `nil` when it could (and for a client without one).

  Set when the file found by `Bosbase.Client.new/2` was unreadable, a directory or FIFO, or
  not an export (the store then started empty; a missing file is no problem), or when
  writing a change failed (the store keeps the change in memory); a later successful write
  clears it. A `%Bosbase.ClientResponseError{kind: "invalid_argument"}` whose message starts
  with `authFile:` and never quotes the file.
  """
  @spec file_error(Client.t()) :: ClientResponseError.t() | nil | error
  def file_error(client) do
    with {:ok, ref} <- Call.ref(client),
         {:ok, json} <- ref |> Native.auth_store_file_error() |> raw() do
      if json == "null", do: nil, else: ClientResponseError.from_native(1, json)
    end
  end

  # Cookie attribute → {options JSON name, check}.
  @cookie_options %{
    key: {"key", :string},
    path: {"path", :string},
    domain: {"domain", :string},
    secure: {"secure", :boolean},
    http_only: {"httpOnly", :boolean},
    same_site: {"sameSite", :string}
  }

  @doc """
  The login as a `Set-Cookie` header value (the JS SDK's `exportToCookie`), for
  server-side rendering: `pb_auth=<URI-encoded {token, record}>; Path=/; Expires=<the
  token's exp>; HttpOnly; Secure; SameSite=Strict`. Over 4096 bytes the record is cut to
  `id`, `email`, `collectionId`, `collectionName` and `verified`.

  Options (keyword list, every one optional): `:key` (cookie name, default `"pb_auth"`),
  `:path` (`"/"`), `:domain` (none), `:secure` (`true`), `:http_only` (`true`),
  `:same_site` (`"Strict"`; also `"Lax"`, `"None"`). It contains the auth token: send it
  only to the browser it belongs to.
  """
  @spec export_to_cookie(Client.t(), keyword()) :: String.t() | error
  def export_to_cookie(client, opts \\ []) do
    with {:ok, ref} <- Call.ref(client),
         {:ok, options} <- cookie_options(opts) do
      ref |> Native.auth_store_export_cookie(options) |> raw_value()
    end
  end

  defp cookie_options([]), do: {:ok, nil}

  defp cookie_options(opts) when is_list(opts) do
    if Keyword.keyword?(opts) do
      opts
      |> Enum.reduce_while({:ok, %{}}, fn {key, value}, {:ok, acc} ->
        case Map.fetch(@cookie_options, key) do
          {:ok, {name, :boolean}} when is_boolean(value) ->
            {:cont, {:ok, Map.put(acc, name, value)}}

          {:ok, {name, :string}} when is_binary(value) ->
            {:cont, {:ok, Map.put(acc, name, value)}}

          {:ok, {_name, check}} ->
            {:halt, Call.invalid("cookie option #{inspect(key)} must be a #{check}")}

          :error ->
            {:halt, Call.invalid("unknown cookie option #{inspect(key)}")}
        end
      end)
      |> case do
        {:ok, fields} -> Bosbase.JSON.encode(fields, "cookie options")
        error -> error
      end
    else
      Call.invalid("expected cookie options to be a keyword list")
    end
  end

  defp cookie_options(other),
    do: Call.invalid("expected cookie options to be a keyword list, got #{Call.type_name(other)}")

  @doc """
  Loads the login from a request's `Cookie` header (the JS SDK's `loadFromCookie`): the
  cookie `key` (default `"pb_auth"`) holds `{token, record}` as `export_to_cookie/2`
  wrote it. A header without that cookie clears the store (the request is signed out);
  a cookie that does not hold such an object clears it too and returns
  `kind: "invalid_argument"`.
  """
  @spec load_from_cookie(Client.t(), String.t(), String.t() | nil) :: :ok | error
  def load_from_cookie(client, cookie_header, key \\ nil) do
    with {:ok, ref} <- Call.ref(client),
         {:ok, header} <- Call.string(cookie_header, "cookie header"),
         {:ok, key} <- opt_string(key, "cookie key") do
      ok(Native.auth_store_load_cookie(ref, header, key))
    end
  end

  defp opt_string(nil, _name), do: {:ok, nil}
  defp opt_string(value, name), do: Call.string(value, name)

  @doc """
  Sends every later change of the auth store to `pid` (default: the caller), in the order
  the changes happen, as

      {:bosbase_auth_change, ref, %{token: token, record: record}}

  with `ref` the reference returned here, `token` `""` and `record` `nil` after a clear
  (`record` is a map with string keys otherwise). The last message always carries the
  store's final state. Returns `{:ok, ref}`.

  The subscription ends with `unsubscribe/2` or when `pid` exits (it is monitored; a pid
  that is already dead just ends it at once). A small process of the binding relays the
  core's notifications (it decodes the record), and keeps the client alive while the
  subscription lasts.
  """
  @spec subscribe(Client.t(), pid()) :: {:ok, reference()} | error
  def subscribe(client, pid \\ self())

  def subscribe(client, pid) when is_pid(pid) and node(pid) == node() do
    with {:ok, ref} <- Call.ref(client) do
      tag = make_ref()
      relay = spawn(fn -> Bosbase.AuthStore.Relay.init(client, tag) end)

      case Native.auth_store_subscribe(ref, relay, tag) do
        :ok ->
          send(relay, {:start, pid})
          {:ok, tag}

        error ->
          Process.exit(relay, :kill)
          Call.result(error)
      end
    end
  end

  def subscribe(_client, pid),
    do: Call.invalid("expected a local pid to subscribe, got #{Call.type_name(pid)}")

  @doc """
  Ends a subscription made by `subscribe/2`. Once it returns, no message of that
  subscription is sent (messages sent before stay in the subscriber's mailbox; pass
  `flush: true` to drop them from the caller's mailbox). Returns `:ok`, also for a
  subscription that already ended (its pid exited) or an unknown reference.
  """
  @spec unsubscribe(Client.t(), reference(), keyword()) :: :ok | error
  def unsubscribe(client, ref, opts \\ []) do
    with {:ok, native} <- Call.ref(client) do
      case Native.auth_store_unsubscribe(native, ref) do
        {:ok, relay} -> Bosbase.AuthStore.Relay.stop(relay)
        {:error, :not_found} -> :ok
        error -> Call.result(error)
      end

      if Keyword.get(opts, :flush, false), do: flush(ref)
      :ok
    end
  end

  @doc false
  # The relay's own clean-up when its subscriber exits: the listener leaves the core.
  def remove_listener(%Client{ref: ref}, tag) do
    _ = Native.auth_store_unsubscribe(ref, tag)
    :ok
  end

  defp flush(ref) do
    receive do
      {:bosbase_auth_change, ^ref, _} -> flush(ref)
    after
      0 -> :ok
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
