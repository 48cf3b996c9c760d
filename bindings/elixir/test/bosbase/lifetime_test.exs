defmodule Bosbase.LifetimeTest do
  # The client resource's destructor frees the native client. Counting live native
  # clients (bosbase_live_clients) needs no other test creating clients meanwhile.
  use ExUnit.Case, async: false

  alias Bosbase.{AuthStore, Client}
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

  test "close/1 waits for running calls (they end normally), then frees" do
    base = settled_count()
    # A listener that never answers keeps the calls inside the core for their 500 ms deadline.
    {:ok, listener} = :gen_tcp.listen(0, ip: {127, 0, 0, 1}, backlog: 16)
    {:ok, port} = :inet.port(listener)
    pb = Client.new("http://127.0.0.1:#{port}", timeout: 500)
    calls = for _ <- 1..8, do: Task.async(fn -> Client.send(pb, "/api/health") end)
    Process.sleep(100)

    {micros, :ok} = :timer.tc(fn -> Client.close(pb) end)

    assert micros >= 250_000,
           "close returned after #{div(micros, 1000)} ms, before the calls ended"

    assert Enum.all?(Task.await_many(calls, 0), &match?({:error, %{kind: "timeout"}}, &1))
    assert Bosbase.live_clients() == base, "close frees the client once the calls are out"
    assert {:error, %{kind: "closed"}} = Client.send(pb, "/api/health")
    :gen_tcp.close(listener)
  end

  test "while close/1 waits for a call in flight, new calls get kind closed at once" do
    base = settled_count()
    {:ok, listener} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
    {:ok, port} = :inet.port(listener)
    pb = Client.new("http://127.0.0.1:#{port}", timeout: 20_000)
    in_flight = Task.async(fn -> Client.send(pb, "/api/health") end)

    # The request has arrived: the call is inside the core, waiting for our answer.
    {:ok, socket} = :gen_tcp.accept(listener, 5000)
    {:ok, _head} = :gen_tcp.recv(socket, 0, 5000)

    closer = Task.async(fn -> Client.close(pb) end)
    {probe_micros, probe} = first_closed_reply(pb)
    assert {:error, %Bosbase.ClientResponseError{kind: "closed", status: 0}} = probe
    assert probe_micros < 100_000, "a refused call took #{div(probe_micros, 1000)} ms"

    assert AuthStore.token(pb) == "",
           "the auth store still answers while close/1 waits (the handle is not freed yet)"

    assert Task.yield(closer, 200) == nil, "close/1 returned while a call was in flight"
    assert Task.yield(in_flight, 0) == nil
    assert Bosbase.live_clients() == base + 1

    # Answer the call in flight: it ends normally, and only then does close/1 return.
    :ok = :gen_tcp.send(socket, "HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n{\"ok\":1}")
    assert {:ok, %{"ok" => 1}} = Task.await(in_flight)
    assert :ok = Task.await(closer)
    assert Bosbase.live_clients() == base
    assert {:error, %Bosbase.ClientResponseError{kind: "closed"}} = AuthStore.token(pb)
    :gen_tcp.close(socket)
    :gen_tcp.close(listener)
  end

  test "concurrent close/1 calls all return :ok and free the client once" do
    base = settled_count()
    {:ok, listener} = :gen_tcp.listen(0, ip: {127, 0, 0, 1}, backlog: 16)
    {:ok, port} = :inet.port(listener)
    pb = Client.new("http://127.0.0.1:#{port}", timeout: 300)
    calls = for _ <- 1..4, do: Task.async(fn -> Client.send(pb, "/api/health") end)
    # Every call is in flight once its connection was accepted (a fixed sleep was not
    # enough on a loaded machine: a call not started yet was refused as closed instead).
    sockets = for _ <- 1..4, do: elem({:ok, _} = :gen_tcp.accept(listener, 5_000), 1)

    closers = for _ <- 1..16, do: Task.async(fn -> Client.close(pb) end)
    assert Enum.all?(Task.await_many(closers), &(&1 == :ok))
    assert Enum.all?(Task.await_many(calls), &match?({:error, %{kind: "timeout"}}, &1))
    assert Bosbase.live_clients() == base
    assert wait_for_count(base)
    Enum.each(sockets, &:gen_tcp.close/1)
    :gen_tcp.close(listener)
  end

  # Probes until a call is refused as closed: a probe that slips in before close/1 has
  # started reaches the (silent) listener and ends at its own 200 ms deadline instead.
  defp first_closed_reply(pb, tries \\ 50) do
    {micros, reply} = :timer.tc(fn -> Client.send(pb, "/api/health", timeout: 200) end)

    case reply do
      {:error, %{kind: "closed"}} -> {micros, reply}
      _ when tries > 0 -> first_closed_reply(pb, tries - 1)
      _ -> flunk("no call was refused as closed: #{inspect(reply)}")
    end
  end

  # Clients other tests dropped may still wait for their process's GC: collect first.
  defp settled_count, do: settled_clients()

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
