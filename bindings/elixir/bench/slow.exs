# 256 concurrent calls to a server that answers each in 200 ms: the binding (one client,
# default pool) next to OTP's :httpc, in one run, rounds alternating which goes first;
# prints failures (target 0) and the median wall time of each side and their ratio
# (target <= 1.5x). The server is a loopback :gen_tcp responder started here (it lives as
# long as this script). Run: `make elixir-bench`.
alias Bosbase.Client

calls = 256
rounds = 3
delay_ms = 200
body = ~s({"code":200,"message":"API is healthy.","data":{}})

# One process per connection: read a request head, wait, answer; keep-alive.
serve = fn ->
  {:ok, listener} =
    :gen_tcp.listen(0, [
      :binary,
      ip: {127, 0, 0, 1},
      active: false,
      backlog: 1024,
      packet: :http_bin
    ])

  {:ok, port} = :inet.port(listener)

  handle = fn handle, socket ->
    head = fn head ->
      case :gen_tcp.recv(socket, 0, 30_000) do
        {:ok, :http_eoh} -> :ok
        {:ok, _line} -> head.(head)
        _ -> :closed
      end
    end

    if head.(head) == :ok do
      Process.sleep(delay_ms)
      :ok = :inet.setopts(socket, packet: :raw)

      :gen_tcp.send(
        socket,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: #{byte_size(body)}\r\n\r\n#{body}"
      )

      :ok = :inet.setopts(socket, packet: :http_bin)
      handle.(handle, socket)
    else
      :gen_tcp.close(socket)
    end
  end

  accept = fn accept ->
    {:ok, socket} = :gen_tcp.accept(listener)
    pid = spawn(fn -> receive do: (:go -> handle.(handle, socket)) end)
    :ok = :gen_tcp.controlling_process(socket, pid)
    send(pid, :go)
    accept.(accept)
  end

  spawn(fn -> accept.(accept) end)
  # The listener belongs to this (long-lived) process.
  {listener, "http://127.0.0.1:#{port}"}
end

{_listener, url} = serve.()
:inets.start()
:ok = :httpc.set_options(max_sessions: calls, max_keep_alive_length: 1_000_000)
pb = Client.new(url)
health = String.to_charlist(url <> "/api/health")

sides = %{
  binding: fn -> match?({:ok, _}, Bosbase.Health.check(pb)) end,
  httpc: fn ->
    match?(
      {:ok, {{_, 200, _}, _, _}},
      :httpc.request(:get, {health, [{~c"accept-language", ~c"en-US"}]}, [timeout: 30_000], [])
    )
  end
}

run = fn call ->
  t0 = System.monotonic_time(:microsecond)
  oks = 1..calls |> Enum.map(fn _ -> Task.async(call) end) |> Task.await_many(60_000)
  {System.monotonic_time(:microsecond) - t0, Enum.count(oks, &(!&1))}
end

results =
  Enum.reduce(1..rounds, %{binding: [], httpc: []}, fn round, acc ->
    order = if rem(round, 2) == 1, do: [:binding, :httpc], else: [:httpc, :binding]

    Enum.reduce(order, acc, fn side, acc ->
      Map.update!(acc, side, &[run.(sides[side]) | &1])
    end)
  end)

median = fn xs -> xs |> Enum.sort() |> Enum.at(div(length(xs), 2)) end

summary =
  for side <- [:binding, :httpc], into: %{} do
    walls = Enum.map(results[side], &elem(&1, 0))
    failures = results[side] |> Enum.map(&elem(&1, 1)) |> Enum.sum()
    {side, {median.(walls), failures}}
  end

IO.puts(
  "elixir-bench: #{calls} concurrent calls, server answers in #{delay_ms} ms, medians of #{rounds} runs:"
)

for side <- [:binding, :httpc] do
  {wall, failures} = summary[side]

  IO.puts(
    "  #{String.pad_trailing(to_string(side), 8)} wall #{div(wall, 1000)} ms, #{failures} failed calls"
  )
end

{b, _} = summary.binding
{h, _} = summary.httpc
IO.puts("  binding / :httpc wall: #{Float.round(b / h, 2)}x (target <= 1.5x; failures target 0)")
