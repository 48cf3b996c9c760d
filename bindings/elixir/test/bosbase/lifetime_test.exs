defmodule Bosbase.LifetimeTest do
  # The client resource's destructor frees the native client. Counting live native
  # clients (bosbase_live_clients) needs no other test creating clients meanwhile.
  use ExUnit.Case, async: false

  alias Bosbase.Client
  import Bosbase.TestSupport

  test "10,000 clients created and dropped are all freed after GC" do
    base = settled_count()
    url = url()

    peak =
      Task.async(fn ->
        clients = for _ <- 1..10_000, do: Client.new(url)
        peak = Bosbase.live_clients()
        # Keep the list alive up to here.
        {peak, length(clients)}
      end)
      |> Task.await(:timer.minutes(1))

    assert {count, 10_000} = peak
    assert count >= base + 10_000

    assert wait_for_count(base), "live clients: #{Bosbase.live_clients()}, expected #{base}"
  end

  test "clients dropped inside a living process are freed by its GC" do
    base = settled_count()
    for _ <- 1..1_000, do: Client.new(url())
    assert wait_for_count(base)
  end

  test "close/1 frees at once; GC of a closed client frees nothing twice" do
    base = settled_count()
    pb = client()
    assert Bosbase.live_clients() == base + 1
    :ok = Client.close(pb)
    assert Bosbase.live_clients() == base
    assert wait_for_count(base)
  end

  test "close/1 while calls are running lets them finish, then frees" do
    base = settled_count()
    # A listener that never answers keeps the calls inside the core for their 500 ms timeout.
    {:ok, listener} = :gen_tcp.listen(0, ip: {127, 0, 0, 1}, backlog: 16)
    {:ok, port} = :inet.port(listener)
    pb = Client.new("http://127.0.0.1:#{port}", timeout_ms: 500)
    calls = for _ <- 1..8, do: Task.async(fn -> Client.send(pb, "/api/health") end)
    Process.sleep(100)

    :ok = Client.close(pb)
    assert Bosbase.live_clients() == base + 1, "freed while calls were still inside it"
    assert Enum.all?(Task.await_many(calls), &match?({:error, %{kind: "timeout"}}, &1))
    assert Bosbase.live_clients() == base, "the last call out frees the closed client"
    assert {:error, %{kind: "invalid_argument"}} = Client.send(pb, "/api/health")
    :gen_tcp.close(listener)
  end

  # Clients other tests dropped may still wait for their process's GC: collect first.
  defp settled_count do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)
    Bosbase.live_clients()
  end

  # GC every process until the count is back, for at most ~5 s.
  defp wait_for_count(expected, tries \\ 50) do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)

    cond do
      Bosbase.live_clients() == expected -> true
      tries == 0 -> false
      true -> Process.sleep(100) && wait_for_count(expected, tries - 1)
    end
  end
end
