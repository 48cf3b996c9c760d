defmodule Bosbase.FloodTest do
  # A subscriber that never reads its mailbox while 10,000 events arrive: the only queue is
  # the core's (bounded, the oldest events dropped and counted), and the subscriber's
  # mailbox holds one {:bosbase_ready, ref} however many events came. The events come from
  # a loopback event-stream server of this test's own playing /api/realtime (PB_CONNECT,
  # the subscription POST answered 204, then 10,000 messages of topic "flood" in one
  # write), so the flood takes milliseconds. Pub/sub subscriptions are the same family in
  # the core and take the same path through the NIF (start_subscription, sub_next).
  use ExUnit.Case, async: true

  alias Bosbase.{Client, Realtime}
  import Bosbase.TestSupport

  @events 10_000

  test "10,000 events to a subscriber that never reads: one message in its mailbox, drops counted" do
    url = flood_server(@events)
    pb = Client.new(url)
    sleeper = spawn_link(fn -> Process.sleep(:infinity) end)
    {:ok, ref} = Realtime.subscribe(pb, "flood", pid: sleeper)

    # The queue is full and dropping (it holds 1024 entries).
    assert eventually(fn -> Realtime.dropped(pb, ref) >= @events - 1024 end, 200),
           "dropped: #{Realtime.dropped(pb, ref)}"

    assert {:message_queue_len, queued} = Process.info(sleeper, :message_queue_len)
    assert queued == 1
    assert {:messages, [{:bosbase_ready, ^ref}]} = Process.info(sleeper, :messages)

    # Any process may take the entries (until taken + dropped account for every event):
    # notices kept, the newest events kept in order, the sequence numbers showing the gap.
    entries = drain_all(pb, ref, [], 100)
    dropped = Realtime.dropped(pb, ref)
    IO.puts("flood: #{@events} events, subscriber mailbox #{queued}, dropped #{dropped}")
    assert Enum.any?(entries, &match?(%{kind: :subscribed, data: %{"topic" => "flood"}}, &1))
    events = for %{kind: :event} = e <- entries, do: e
    ns = for %{data: %{"data" => %{"n" => n}}} <- events, do: n
    assert length(events) + dropped == @events
    assert List.last(ns) == @events
    assert ns == Enum.sort(ns) and ns == Enum.dedup(ns)
    seqs = Enum.map(entries, & &1.sequence)
    assert seqs == Enum.sort(seqs)
    assert List.last(seqs) - length(seqs) == dropped
    assert Realtime.next(pb, ref) == :empty
    :ok = Realtime.unsubscribe(pb, ref)
    :ok = Client.close(pb)
  end

  defp drain_all(pb, ref, acc, tries) do
    acc = acc ++ drain(pb, ref)
    taken = Enum.count(acc, &(&1.kind == :event))

    if taken + Realtime.dropped(pb, ref) >= @events or tries == 0,
      do: acc,
      else: Process.sleep(50) && drain_all(pb, ref, acc, tries - 1)
  end

  defp drain(pb, ref) do
    case Realtime.next(pb, ref) do
      {:ok, entry} -> [entry | drain(pb, ref)]
      :empty -> []
    end
  end

  # An /api/realtime server on 127.0.0.1 for this test: each GET gets PB_CONNECT and, once
  # the subscription POST came, `n` messages of topic "flood"; each POST gets 204. Every
  # process of it ends with the test (linked) or after 30 s.
  defp flood_server(n) do
    {:ok, listen} =
      :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false, reuseaddr: true])

    {:ok, port} = :inet.port(listen)
    coordinator = spawn_link(fn -> coordinate(nil, false, n) end)
    acceptor = spawn_link(fn -> accept(listen, coordinator) end)
    :ok = :gen_tcp.controlling_process(listen, acceptor)
    on_exit(fn -> Enum.each([acceptor, coordinator], &Process.exit(&1, :kill)) end)
    "http://127.0.0.1:#{port}"
  end

  defp accept(listen, coordinator) do
    case :gen_tcp.accept(listen, 30_000) do
      {:ok, socket} ->
        pid = spawn(fn -> receive(do: (:go -> serve(socket, coordinator, ""))) end)
        :ok = :gen_tcp.controlling_process(socket, pid)
        send(pid, :go)
        accept(listen, coordinator)

      {:error, _} ->
        :gen_tcp.close(listen)
    end
  end

  # Sends the flood to the stream once both the stream and the subscription POST are in.
  defp coordinate(stream, posted, n) when stream != nil and posted, do: send(stream, {:flood, n})

  defp coordinate(stream, posted, n) do
    receive do
      {:stream, pid} -> coordinate(pid, posted, n)
      :posted -> coordinate(stream, true, n)
    after
      30_000 -> :ok
    end
  end

  defp serve(socket, coordinator, buffer) do
    case request(socket, buffer) do
      {:ok, "GET /api/realtime" <> _, _rest} ->
        :ok =
          :gen_tcp.send(socket, [
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
            "id:c1\r\nevent:PB_CONNECT\r\ndata:{\"clientId\":\"c1\"}\r\n\r\n"
          ])

        send(coordinator, {:stream, self()})

        receive do
          {:flood, n} ->
            :gen_tcp.send(socket, for(i <- 1..n, do: ~s(event: flood\ndata: {"n":#{i}}\n\n)))
        after
          30_000 -> :ok
        end

        # Hold the stream open until the client leaves (or 30 s).
        _ = :gen_tcp.recv(socket, 0, 30_000)
        :gen_tcp.close(socket)

      {:ok, "POST /api/realtime" <> _, rest} ->
        :ok = :gen_tcp.send(socket, "HTTP/1.1 204 No Content\r\n\r\n")
        send(coordinator, :posted)
        serve(socket, coordinator, rest)

      {:ok, _other, rest} ->
        :gen_tcp.send(socket, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        serve(socket, coordinator, rest)

      :closed ->
        :gen_tcp.close(socket)
    end
  end

  # One request: {:ok, request_line, bytes after its body} or :closed.
  defp request(socket, buffer) do
    case :binary.split(buffer, "\r\n\r\n") do
      [head, rest] ->
        [line | headers] = String.split(head, "\r\n")

        length =
          Enum.find_value(headers, 0, fn h ->
            case String.split(h, ":", parts: 2) do
              [k, v] ->
                if String.downcase(k) == "content-length", do: String.to_integer(String.trim(v))

              _ ->
                nil
            end
          end)

        body(socket, line, rest, length)

      [_] ->
        case :gen_tcp.recv(socket, 0, 30_000) do
          {:ok, data} -> request(socket, buffer <> data)
          {:error, _} -> :closed
        end
    end
  end

  defp body(_socket, line, rest, length) when byte_size(rest) >= length,
    do: {:ok, line, binary_part(rest, length, byte_size(rest) - length)}

  defp body(socket, line, rest, length) do
    case :gen_tcp.recv(socket, 0, 30_000) do
      {:ok, data} -> body(socket, line, rest <> data, length)
      {:error, _} -> :closed
    end
  end
end
