# The binding next to OTP's own HTTP client (:httpc), measured in one run against the dev
# server (BOSBASE_URL), like with like: per-call medians; each round runs a batch of A and
# a batch of B in an order shuffled per round (a fixed order lets periodic server work,
# such as PocketBase's log writes, land on one side); both sides send the same headers
# (those the binding sends, captured from the wire, replayed by :httpc), both anonymous or
# both signed in with the same Authorization. Also the NIF's own costs. Run:
# `make elixir-bench`.
alias Bosbase.{AuthStore, Client, RecordService}

url = System.fetch_env!("BOSBASE_URL")
:inets.start()
:ok = :httpc.set_options(max_sessions: 4, max_keep_alive_length: 1_000_000)

median = fn samples ->
  sorted = Enum.sort(samples)
  Enum.at(sorted, div(length(sorted), 2))
end

# Median microseconds per call: `rounds` batches of `n` calls, each call timed alone.
time_each = fn fun, n -> for _ <- 1..n, do: fun |> :timer.tc() |> elem(0) end

# A/B: binding (a) vs :httpc (b), order shuffled per round.
ab = fn a, b, rounds, n ->
  Enum.each(1..20, fn _ -> a.() && b.() end)

  {as, bs} =
    Enum.reduce(1..rounds, {[], []}, fn _, acc ->
      Enum.reduce(Enum.shuffle([:a, :b]), acc, fn
        :a, {as, bs} -> {time_each.(a, n) ++ as, bs}
        :b, {as, bs} -> {as, time_each.(b, n) ++ bs}
      end)
    end)

  {median.(as), median.(bs)}
end

# The headers the binding sends for a call, captured from a local socket: the :httpc side
# replays them (minus framing headers each client sets for itself).
capture_headers = fn login_json ->
  {:ok, listener} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
  {:ok, port} = :inet.port(listener)
  probe = Client.new("http://127.0.0.1:#{port}", timeout: 5_000)
  if login_json, do: :ok = AuthStore.import_json(probe, login_json)
  call = Task.async(fn -> Bosbase.Health.check(probe) end)
  {:ok, socket} = :gen_tcp.accept(listener, 5_000)
  {:ok, head} = :gen_tcp.recv(socket, 0, 5_000)
  :gen_tcp.send(socket, "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}")
  {:ok, _} = Task.await(call)
  :gen_tcp.close(socket)
  :gen_tcp.close(listener)

  head
  |> String.split("\r\n")
  |> Enum.drop(1)
  |> Enum.flat_map(fn line ->
    case String.split(line, ":", parts: 2) do
      [name, value] -> [{String.downcase(name), String.trim(value)}]
      _ -> []
    end
  end)
  |> Enum.reject(fn {name, _} -> name in ["host", "content-length", "connection", "te"] end)
  |> Enum.map(fn {name, value} -> {String.to_charlist(name), String.to_charlist(value)} end)
end

# Anonymous client, and a signed-in one (auth store filled by auth_with_token).
anon = Client.new(url)
signed = Client.new(url)
users = Client.collection(signed, "users")
token = Bosbase.generate_token()
{:ok, true} = RecordService.bind_custom_token(users, "user@example.com", "user-password", token)
{:ok, _} = RecordService.auth_with_token(users, token)
login = AuthStore.export(signed)
anon_headers = capture_headers.(nil)
signed_headers = capture_headers.(login)
{~c"authorization", _} = List.keyfind(signed_headers, ~c"authorization", 0)
nil = List.keyfind(anon_headers, ~c"authorization", 0)

health = String.to_charlist(url <> "/api/health")

# The same server by name (production servers are reached by name; each side resolves it as it does).
named_url = String.replace(url, "127.0.0.1", "localhost")
named_health = String.to_charlist(named_url <> "/api/health")
named_anon = Client.new(named_url)
login_url = String.to_charlist(url <> "/api/collections/users/auth-with-token")
login_body = Bosbase.JSON.encode(%{"token" => token}, "body") |> elem(1)

httpc_get = fn headers ->
  {:ok, {{_, 200, _}, _, _}} = :httpc.request(:get, {health, headers}, [], [])
end

# The binding's login call saves into the store, after which it would send Authorization:
# a fresh anonymous client per call keeps it like the anonymous :httpc POST.
login_client = Client.new(url)
login_users = Client.collection(login_client, "users")

closed = Client.new(url)
:ok = Client.close(closed)

IO.puts("NIF costs (median over 7 batches of the mean per call):")

for {label, n, fun} <- [
      {"NIF call, normal scheduler (live_clients)", 20_000,
       fn -> Bosbase.Native.live_clients() end},
      {"NIF + resource + core lock (AuthStore.valid?)", 20_000,
       fn -> AuthStore.valid?(signed) end},
      {"generated call refused at once (closed client)", 20_000,
       fn -> {:error, _} = Bosbase.Health.check(closed) end},
      {"async hop, no I/O (pool, callback, enif_send, receive)", 20_000,
       fn ->
         # An unknown argument is refused by the executor, on the worker pool.
         {:error, %{kind: "invalid_argument"}} =
           Bosbase.Call.run(anon, "health.check", %{"x" => 1}, [])
       end},
      {"JSON decode of an auth answer (#{Bosbase.JSON.codec()})", 20_000,
       fn -> Bosbase.JSON.decode!(login) end}
    ] do
  batch = fn -> :timer.tc(fn -> Enum.each(1..n, fn _ -> fun.() end) end) |> elem(0) end
  batch.()
  us = median.(for _ <- 1..7, do: batch.() / n)
  shown = :erlang.float_to_binary(us / 1, decimals: 3)
  IO.puts("  " <> String.pad_trailing(label, 56) <> String.pad_leading(shown, 9) <> " us")
end

rows = [
  {"GET /api/health, anonymous", fn -> {:ok, _} = Bosbase.Health.check(anon) end,
   fn -> httpc_get.(anon_headers) end},
  {"GET /api/health, anonymous, localhost", fn -> {:ok, _} = Bosbase.Health.check(named_anon) end,
   fn ->
     {:ok, {{_, 200, _}, _, _}} = :httpc.request(:get, {named_health, anon_headers}, [], [])
   end},
  {"GET /api/health, signed in (same Authorization)",
   fn -> {:ok, _} = Bosbase.Health.check(signed) end, fn -> httpc_get.(signed_headers) end},
  {"POST auth-with-token, anonymous",
   fn ->
     {:ok, _} = RecordService.auth_with_token(login_users, token)
     :ok = AuthStore.clear(login_client)
   end,
   fn ->
     {:ok, {{_, 200, _}, _, _}} =
       :httpc.request(:post, {login_url, anon_headers, ~c"application/json", login_body}, [], [])
   end}
]

IO.puts("\nbinding vs :httpc, same headers, A/B order shuffled per round (20 rounds x 25 calls):")
IO.puts("  " <> String.pad_trailing("", 50) <> "  binding    httpc  ratio")

for {label, a, b} <- rows do
  {ma, mb} = ab.(a, b, 20, 25)
  ratio = :erlang.float_to_binary(ma / mb, decimals: 2)

  IO.puts(
    "  " <>
      String.pad_trailing(label, 50) <>
      String.pad_leading("#{ma} us", 9) <> String.pad_leading("#{mb} us", 9) <> "  #{ratio}x"
  )
end
