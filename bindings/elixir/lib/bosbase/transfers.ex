defmodule Bosbase.Transfers do
  @moduledoc """
  Downloads of a record's file, streamed to disk on the client's own connections (TLS
  trust, proxy, deadline, auth header), with progress.

      {:ok, %{"bytes" => n}} =
        Bosbase.Transfers.download(pb, record, record["doc"], "/tmp/doc.bin",
          progress: fn done, total -> IO.puts("\#{done}/\#{total}") end)

  The bytes go to a temporary file in the same directory, renamed over `path` once all
  arrived: a failed or cancelled download (the caller timing out or dying) leaves no file.
  Like every call, the NIF only starts it; the caller waits in a `receive`.
  """

  alias Bosbase.{Call, Client, Native}

  @doc """
  Downloads `filename` of `record` (a map with `"id"` and `"collectionId"` or
  `"collectionName"`) to `path`. Options:

    * `:thumb` — a thumb size of an image (`"100x100"`);
    * `:token` — a token from `Bosbase.Files.get_token/1`, for a protected file;
    * `:download` — ask for `Content-Disposition: attachment`;
    * `:max_bytes` — a cap: a bigger file fails with kind `"too_large"` and leaves nothing
      (default: none, since the file streams to disk and never sits in memory);
    * `:timeout` — the whole download's deadline in milliseconds (default: the client's);
    * `:headers` — extra request headers;
    * `:progress` — a function `fn done, total -> ... end`, called in the calling process
      while it waits, or a pid, which gets `{:bosbase_progress, ref, done, total}` messages
      (`ref` is the same for one download). `total` is 0 while unknown; the last report has
      `done == total`; none comes after the download returned.

  Returns `{:ok, %{"path" => path, "bytes" => n, "contentType" => type}}` or
  `{:error, %Bosbase.ClientResponseError{}}` (kinds `http` with the server's JSON,
  `network`, `timeout`, `tls`, `too_large`, `invalid_argument`, `cancelled`).
  """
  @spec download(Client.t() | Call.error(), map(), String.t(), String.t(), keyword()) ::
          Call.result()
  def download(client, record, filename, path, opts \\ []) do
    {progress, opts} = Keyword.pop(opts, :progress)

    with {:ok, ref} <- Call.ref(client),
         {:ok, filename} <- Call.string(filename, "filename"),
         {:ok, path} <- Call.string(path, "path"),
         {:ok, record_json} <- Bosbase.JSON.encode(record, "record"),
         {:ok, options} <- options(opts),
         :ok <- check_progress(progress) do
      ref
      |> Native.download_start(record_json, filename, path, options, progress != nil)
      |> await(progress)
    end
  end

  @keys %{
    thumb: "thumb",
    token: "token",
    download: "download",
    max_bytes: "maxBytes",
    timeout: "timeoutMs",
    headers: "headers"
  }

  defp options(opts) do
    Enum.reduce_while(opts, {:ok, %{}}, fn
      {key, value}, {:ok, acc} when is_map_key(@keys, key) ->
        {:cont, {:ok, Map.put(acc, @keys[key], value)}}

      {key, _}, _ ->
        {:halt, Call.invalid("unknown download option #{inspect(key)}")}
    end)
    |> case do
      {:ok, map} when map == %{} -> {:ok, nil}
      {:ok, map} -> Bosbase.JSON.encode(map, "download options")
      error -> error
    end
  end

  @doc false
  # Checks a `:progress` option (also for uploads, `Bosbase.Call.run/4`).
  def check_progress(nil), do: :ok
  def check_progress(f) when is_function(f, 2), do: :ok
  def check_progress(pid) when is_pid(pid), do: :ok

  def check_progress(other),
    do:
      Call.invalid(
        "expected :progress to be a 2-arity function or a pid, got #{Call.type_name(other)}"
      )

  # Waits for the reply, handing progress reports on meanwhile; the ones still in the
  # mailbox when the reply arrived come first (the core sent them before it).
  @doc false
  # The reply of a started call with progress reports (also for uploads).
  def await({:ok, call, tag}, progress) do
    reply = wait(tag, progress)
    flush(tag, progress)
    _ = Native.call_cancel(call)
    Call.result(reply)
  end

  def await(reply, _progress), do: Call.result(reply)

  # The caller's own pid: the NIF's messages are already in its mailbox, left there.
  defp wait(tag, pid) when pid == self() do
    receive do
      {^tag, reply} -> reply
    end
  end

  defp wait(tag, progress) do
    receive do
      {:bosbase_progress, ^tag, done, total} ->
        report(progress, tag, done, total)
        wait(tag, progress)

      {^tag, reply} ->
        reply
    end
  end

  defp flush(_tag, pid) when pid == self(), do: :ok

  defp flush(tag, progress) do
    receive do
      {:bosbase_progress, ^tag, done, total} ->
        report(progress, tag, done, total)
        flush(tag, progress)
    after
      0 -> :ok
    end
  end

  defp report(f, _tag, done, total) when is_function(f, 2), do: f.(done, total)
  defp report(pid, tag, done, total), do: send(pid, {:bosbase_progress, tag, done, total})
end
