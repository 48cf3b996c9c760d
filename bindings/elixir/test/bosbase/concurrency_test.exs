defmodule Bosbase.ConcurrencyTest do
  # Many calls at once on one client, and a plain Erlang process keeps being scheduled
  # meanwhile: no NIF waits for the network (the calls run on the core's worker pool and
  # the callers wait in `receive`; see async_test.exs for file I/O and killed callers).
  # Not async: other suites' load would blur the measurement.
  use ExUnit.Case, async: false

  alias Bosbase.{Client, RecordService}
  import Bosbase.TestSupport

  # A call holding a scheduler would stall the sleeper for its whole 2 s deadline; 600 ms tells
  # that apart from a machine busy with other work.
  @max_late_ms 600

  test "50 processes x 20 calls on one client, 0 errors, sleeper stays responsive" do
    pb = client()
    users = Client.collection(pb, "users")
    {email, password} = account("users")
    token = Bosbase.generate_token()
    {:ok, true} = RecordService.bind_custom_token(users, email, password, token)

    {results, ticks, max_late} =
      with_sleeper(fn ->
        1..50
        |> Enum.map(fn _ ->
          Task.async(fn -> for _ <- 1..20, do: RecordService.auth_with_token(users, token) end)
        end)
        |> Task.await_many(:timer.minutes(2))
        |> List.flatten()
      end)

    assert length(results) == 1000
    errors = Enum.reject(results, &match?({:ok, %{"record" => %{"email" => ^email}}}, &1))
    assert errors == []
    assert ticks > 0
    assert max_late < @max_late_ms, "sleeper woke #{max_late} ms late"
  end

  test "slow calls, more than there are normal schedulers, do not stall the VM" do
    # A listener that never accepts: each call waits until its 2 s timeout. Were the
    # calls blocking inside NIFs on normal schedulers, the sleeper could not run for
    # about two seconds.
    {:ok, listener} = :gen_tcp.listen(0, ip: {127, 0, 0, 1}, backlog: 64)
    {:ok, port} = :inet.port(listener)
    pb = Client.new("http://127.0.0.1:#{port}", timeout: 2000)
    n = System.schedulers_online() * 2

    {results, ticks, max_late} =
      with_sleeper(fn ->
        1..n
        |> Enum.map(fn _ -> Task.async(fn -> Client.send(pb, "/api/health") end) end)
        |> Task.await_many(:timer.seconds(30))
      end)

    :gen_tcp.close(listener)
    assert Enum.all?(results, &match?({:error, %{kind: "timeout"}}, &1))
    assert ticks >= 20
    assert max_late < @max_late_ms, "sleeper woke #{max_late} ms late"
  end
end
