# Cost of crossing into the NIF next to the cost of an HTTP round trip, measured in one
# run against the dev server (BOSBASE_URL). Run: `make elixir-bench`.
alias Bosbase.{AuthStore, Client, RecordService}

url = System.fetch_env!("BOSBASE_URL")

# Median microseconds per call over `rounds` batches of `n` calls (after one warm-up batch).
measure = fn n, fun ->
  rounds = 7
  batch = fn -> :timer.tc(fn -> Enum.each(1..n, fn _ -> fun.() end) end) |> elem(0) end
  batch.()
  times = for _ <- 1..rounds, do: batch.() / n
  Enum.at(Enum.sort(times), div(rounds, 2))
end

pb = Client.new(url)
users = Client.collection(pb, "users")
token = Bosbase.generate_token()
{:ok, true} = RecordService.bind_custom_token(users, "user@example.com", "user-password", token)
{:ok, _} = RecordService.auth_with_token(users, token)

closed = Client.new(url)
Client.close(closed)
auth_json = AuthStore.export(pb)

# Baseline: the same health check through OTP's own HTTP client, no NIF, no core.
:inets.start()
health = String.to_charlist(url <> "/api/health")

rows = [
  {"NIF call, normal scheduler (live_clients)", 200_000, fn -> Bosbase.Native.live_clients() end},
  {"NIF call + resource + core lock (AuthStore.valid?)", 200_000, fn -> AuthStore.valid?(pb) end},
  {"dirty I/O NIF round trip, no I/O (closed client)", 50_000,
   fn -> Bosbase.Native.send(closed.ref, "/api/health", nil) end},
  {"JSON decode of an auth answer (#{Bosbase.JSON.codec()})", 50_000,
   fn -> Bosbase.JSON.decode!(auth_json) end},
  {"HTTP GET /api/health via :httpc (baseline)", 500,
   fn -> {:ok, {{_, 200, _}, _, _}} = :httpc.request(:get, {health, []}, [], []) end},
  {"HTTP GET /api/health via the binding", 500,
   fn -> {:ok, _} = Client.send(pb, "/api/health") end},
  {"auth_with_token via the binding", 300,
   fn -> {:ok, _} = RecordService.auth_with_token(users, token) end}
]

results =
  for {label, n, fun} <- rows do
    us = measure.(n, fun)

    shown = :erlang.float_to_binary(us / 1, decimals: 3)
    IO.puts(String.pad_trailing(label, 58) <> String.pad_leading(shown, 10) <> " us/call")

    {label, us}
  end

us = Map.new(results)
dirty = us["dirty I/O NIF round trip, no I/O (closed client)"]
http = us["HTTP GET /api/health via the binding"]
httpc = us["HTTP GET /api/health via :httpc (baseline)"]

IO.puts(
  "elixir bench: dirty NIF hop is #{Float.round(100 * dirty / http, 2)}% of a binding health call; " <>
    "binding/httpc health call ratio #{Float.round(http / httpc, 2)}"
)
