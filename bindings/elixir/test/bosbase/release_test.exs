defmodule Bosbase.ReleaseTest do
  # Clients collected by the GC while calls and subscriptions are live go with the core's
  # bosbase_client_release (close and free on a core thread): no scheduler waits for a
  # call in flight or a stream thread, and the binding keeps no thread pool for it.
  # Measured: how late a process sleeping 1 ms at a time wakes up, and the VM's
  # long_schedule reports (a process or NIF holding a scheduler for more than 5 ms).
  # Not async: system_monitor is VM-wide, and the live client count needs the VM alone.
  use ExUnit.Case, async: false

  alias Bosbase.{Client, Realtime}
  import Bosbase.TestSupport

  @clients 40
  @calls 4

  # Accepts connections and never answers: calls and streams stay in flight.
  defp silent_server do
    {:ok, listen} =
      :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false, reuseaddr: true])

    {:ok, port} = :inet.port(listen)
    holder = spawn_link(fn -> hold(listen, []) end)
    :ok = :gen_tcp.controlling_process(listen, holder)
    on_exit(fn -> Process.exit(holder, :kill) end)
    {"http://127.0.0.1:#{port}", holder}
  end

  defp hold(listen, sockets) do
    case :gen_tcp.accept(listen, 30_000) do
      {:ok, socket} -> hold(listen, [socket | sockets])
      {:error, _} -> :ok
    end
  end

  test "releasing #{@clients} clients with calls and subscriptions in flight blocks no scheduler" do
    {url, server} = silent_server()
    base = settled_clients()
    parent = self()

    # Each owner makes a client, starts calls that will not be answered (each in a linked
    # process, waiting) and a realtime subscription whose stream never opens, then waits.
    owners =
      for _ <- 1..@clients do
        spawn(fn ->
          pb = Client.new(url, timeout: 3_000)
          for _ <- 1..@calls, do: spawn_link(fn -> Client.send(pb, "/api/health") end)
          {:ok, _ref} = Realtime.subscribe(pb, "posts/*")
          send(parent, :ready)
          Process.sleep(:infinity)
        end)
      end

    for _ <- owners, do: assert_receive(:ready, 10_000)
    Process.sleep(300)
    assert Bosbase.live_clients() >= base + @clients

    # Baseline: the same sleeper for a second with nothing being released.
    idle = spawn_link(fn -> sleep_loop(parent, 0, 0) end)
    Process.sleep(1_000)
    send(idle, :stop)
    assert_receive {:sleeper, idle_ticks, idle_late}, 5_000

    :erlang.system_monitor(self(), [{:long_schedule, 5}])
    sleeper = spawn_link(fn -> sleep_loop(parent, 0, 0) end)

    # Kill the owners and with them (linked) their callers, which hold the clients through
    # their calls; collecting everything then takes every client through its destructor.
    Enum.each(owners, &Process.exit(&1, :kill))
    t0 = System.monotonic_time(:millisecond)

    assert eventually(
             fn -> Bosbase.Native.pending_frees() == 0 and Bosbase.live_clients() <= base end,
             200
           )

    released_ms = System.monotonic_time(:millisecond) - t0

    send(sleeper, :stop)
    assert_receive {:sleeper, ticks, max_late}, 5_000
    :erlang.system_monitor(:undefined)
    # (The silent server's own process closing its ~200 sockets is not ours.)
    long =
      for {:monitor, who, :long_schedule, info} <- flush_monitor([]),
          who != server,
          do: info[:timeout]

    IO.puts(
      "release: #{@clients} clients x (#{@calls} calls + 1 subscription) released in " <>
        "#{released_ms} ms; 1 ms sleeper: #{ticks} ticks, worst #{max_late} ms late " <>
        "(idle baseline: #{idle_ticks} ticks, worst #{idle_late} ms); " <>
        "long_schedule (> 5 ms) reports: #{length(long)}, longest #{Enum.max(long, fn -> 0 end)} ms"
    )

    assert ticks > 10
    assert max_late < 200
    assert Enum.max(long, fn -> 0 end) < 200
  end

  defp flush_monitor(acc) do
    receive do
      {:monitor, _, :long_schedule, _} = m -> flush_monitor([m | acc])
    after
      0 -> acc
    end
  end

  defp sleep_loop(parent, ticks, max_late) do
    receive do
      :stop -> send(parent, {:sleeper, ticks, max_late})
    after
      0 ->
        t0 = System.monotonic_time(:microsecond)
        Process.sleep(1)
        late = div(System.monotonic_time(:microsecond) - t0, 1000) - 1
        sleep_loop(parent, ticks + 1, max(max_late, late))
    end
  end
end
