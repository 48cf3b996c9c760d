defmodule Bosbase.RealtimeTest do
  # Realtime against the dev server (or BOSBASE_URL): record events pulled after a
  # {:bosbase_ready, ref} message (Realtime.next/2, receive_event/3), a record-id topic, a filter, unsubscribing (by
  # ref, topic, prefix, close, the subscriber's exit), a re-login that changes what the
  # stream may see, and 100 subscribe/unsubscribe cycles that leave no resource or process.
  # Other test files create posts meanwhile: every assertion picks this test's own records.
  # Not async: the leak test counts resources and processes of the whole VM.
  use ExUnit.Case, async: false

  alias Bosbase.{AuthStore, Client, ClientResponseError, Realtime, RecordService}
  import Bosbase.TestSupport

  @wait 10_000

  defp login(key) do
    pb = client()
    {email, password} = account(key)

    {:ok, auth} =
      pb |> Client.collection("users") |> RecordService.auth_with_password(email, password)

    {pb, auth["record"]}
  end

  defp unique(prefix), do: "#{prefix}_#{System.unique_integer([:positive])}"

  # The data of the next entry of `ref` that is not a state change, or :timeout.
  defp entry(pb, ref, wait \\ @wait) do
    case Realtime.receive_event(pb, ref, wait) do
      {:ok, %{kind: :state}} -> entry(pb, ref, wait)
      {:ok, %{data: data}} -> data
      {:error, %ClientResponseError{kind: "timeout"}} -> :timeout
    end
  end

  defp entry!(pb, ref) do
    case entry(pb, ref) do
      :timeout -> flunk("no entry within #{@wait} ms")
      data -> data
    end
  end

  # Every entry (but state changes) of `ref` arriving within `ms`.
  defp entries(pb, ref, ms) do
    case entry(pb, ref, ms) do
      :timeout -> []
      data -> [data | entries(pb, ref, ms)]
    end
  end

  defp subscribed!(pb, ref), do: assert(%{"type" => "subscribed"} = entry!(pb, ref))

  # The next event of subscription `ref` about record `id` (events of other records are
  # skipped).
  defp next_event(pb, ref, id) do
    case entry(pb, ref) do
      %{"type" => "event", "record" => %{"id" => ^id}} = event -> event
      :timeout -> flunk("no event for record #{id} within #{@wait} ms")
      _other -> next_event(pb, ref, id)
    end
  end

  defp create_post(pb, author, title) do
    {:ok, post} =
      pb
      |> Client.collection("posts")
      |> RecordService.create(%{"title" => title, "author" => author["id"]})

    post
  end

  defp settled_subs(baseline) do
    eventually(fn -> Bosbase.Native.live_subs() <= baseline end)
  end

  describe "collection subscribe" do
    test "posts/* receives create, update and delete from another client, in order, with the record" do
      {pb, user} = login("users")
      {writer, ^user} = login("users")
      posts = Client.collection(pb, "posts")

      assert {:ok, ref} = RecordService.subscribe(posts, "*")
      assert is_reference(ref)

      assert %{"type" => "subscribed", "topic" => "posts/*"} = entry!(pb, ref)

      assert Realtime.active?(pb, ref)

      title = unique("rt")
      post = create_post(writer, user, title)
      w = Client.collection(writer, "posts")
      {:ok, _} = RecordService.update(w, post["id"], %{"title" => title <> "-2"})
      {:ok, _} = RecordService.delete(w, post["id"])

      id = post["id"]

      assert %{"event" => "create", "topic" => "posts/*", "record" => %{"title" => ^title}} =
               next_event(pb, ref, id)

      new_title = title <> "-2"

      assert %{"event" => "update", "record" => %{"title" => ^new_title}} =
               next_event(pb, ref, id)

      assert %{"event" => "delete", "record" => %{"id" => ^id}} = next_event(pb, ref, id)
      assert Realtime.dropped(pb, ref) == 0
      assert :ok = Realtime.unsubscribe(pb, ref)
      refute Realtime.active?(pb, ref)
    end

    # PocketBase sends each record event to a client from its own goroutine
    # (apis/realtime.go: routine.FireAndForget(client.Send)), so the stream's order of
    # events about different records is not the order of the writes: this test checks
    # that every event arrives, once; the core's sequence numbers are checked by
    # test/bosbase/flood_test.exs and the order end to end by the pub/sub tests.
    test "40 quick creates: every event arrives once, none dropped" do
      {pb, user} = login("users")
      {writer, _} = login("users")
      {:ok, ref} = pb |> Client.collection("posts") |> RecordService.subscribe("*")
      subscribed!(pb, ref)
      prefix = unique("many")
      ids = for i <- 1..40, do: create_post(writer, user, "#{prefix}-#{i}")["id"]
      wanted = Map.new(ids, &{&1, true})

      got = collect(pb, ref, wanted, length(ids), [])
      assert Enum.sort(got) == Enum.sort(ids)

      for %{"event" => "create", "record" => %{"id" => id}} <- entries(pb, ref, 200),
          is_map_key(wanted, id),
          do: flunk("a second event for #{id}")

      assert Realtime.dropped(pb, ref) == 0
      :ok = Realtime.unsubscribe(pb, ref)
    end

    defp collect(_pb, _ref, _wanted, 0, acc), do: acc

    defp collect(pb, ref, wanted, left, acc) do
      case entry(pb, ref) do
        %{"event" => "create", "record" => %{"id" => id}} when is_map_key(wanted, id) ->
          collect(pb, ref, wanted, left - 1, [id | acc])

        :timeout ->
          acc

        _other ->
          collect(pb, ref, wanted, left, acc)
      end
    end

    test "a record-id topic sees that record only" do
      {pb, user} = login("users")
      a = create_post(pb, user, unique("one"))
      b = create_post(pb, user, unique("other"))
      {:ok, ref} = pb |> Client.collection("posts") |> RecordService.subscribe(a["id"])
      topic = "posts/" <> a["id"]
      assert %{"type" => "subscribed", "topic" => ^topic} = entry!(pb, ref)

      posts = Client.collection(pb, "posts")
      {:ok, _} = RecordService.update(posts, b["id"], %{"title" => "b-changed"})
      {:ok, _} = RecordService.update(posts, a["id"], %{"title" => "a-changed"})

      assert %{"event" => "update", "topic" => ^topic, "record" => %{"title" => "a-changed"}} =
               next_event(pb, ref, a["id"])

      # b changed first (PocketBase may still deliver out of order: wait a little).
      assert entries(pb, ref, 300) == []
      :ok = Realtime.unsubscribe(pb, ref)
    end

    test "a filter option: only matching records arrive" do
      {pb, user} = login("users")
      tag = unique("flt")
      {:ok, filter} = Bosbase.filter("title ~ {:t}", %{t: tag <> "-keep"})

      {:ok, ref} =
        pb |> Client.collection("posts") |> RecordService.subscribe("*", filter: filter)

      subscribed!(pb, ref)

      dropped = create_post(pb, user, tag <> "-drop")
      kept = create_post(pb, user, tag <> "-keep")
      assert %{"event" => "create"} = next_event(pb, ref, kept["id"])
      drop_id = dropped["id"]
      refute Enum.any?(entries(pb, ref, 300), &match?(%{"record" => %{"id" => ^drop_id}}, &1))
      :ok = Realtime.unsubscribe(pb, ref)
    end

    test "Realtime.subscribe with a topic and options, and their checks" do
      {pb, user} = login("users")

      assert {:ok, ref} =
               Realtime.subscribe(pb, "posts/*",
                 expand: "author",
                 fields: "id,title,expand",
                 query: %{"x" => "1"}
               )

      subscribed!(pb, ref)
      post = create_post(pb, user, unique("exp"))

      assert %{"record" => %{"expand" => %{"author" => %{"id" => author_id}}} = record} =
               next_event(pb, ref, post["id"])

      assert author_id == user["id"]
      refute Map.has_key?(record, "created")
      :ok = Realtime.unsubscribe(pb, ref)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               Realtime.subscribe(pb, "posts/*", nope: 1)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               Realtime.subscribe(pb, "posts/*", filter: 1)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} = Realtime.subscribe(pb, "")
      assert {:error, %ClientResponseError{kind: "invalid_argument"}} = Realtime.subscribe(pb, 1)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               Realtime.subscribe(pb, "posts/*", pid: :me)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               Realtime.subscribe(:not_a_client, "posts/*")
    end
  end

  describe "unsubscribe" do
    test "by ref stops delivery at once; flush: true empties the mailbox" do
      {pb, user} = login("users")
      {:ok, ref} = pb |> Client.collection("posts") |> RecordService.subscribe("*")
      subscribed!(pb, ref)
      post = create_post(pb, user, unique("unsub"))
      next_event(pb, ref, post["id"])
      assert :ok = Realtime.unsubscribe(pb, ref, flush: true)
      create_post(pb, user, unique("after"))
      refute_receive {:bosbase_ready, ^ref}, 1_000
      assert Realtime.next(pb, ref) == :empty
      # An ended subscription: still fine.
      assert :ok = Realtime.unsubscribe(pb, ref)
      assert Realtime.dropped(pb, ref) == 0
    end

    test "by topic and by prefix end every matching subscription" do
      {pb, user} = login("users")
      post = create_post(pb, user, unique("topic"))
      {:ok, all} = Realtime.subscribe(pb, "posts/*")
      {:ok, one} = Realtime.subscribe(pb, "posts/" <> post["id"])
      {:ok, custom} = Realtime.subscribe(pb, "posts/*", filter: "title != ''")
      for r <- [all, one, custom], do: subscribed!(pb, r)
      assert :ok = Realtime.unsubscribe(pb, "posts/*", flush: true)
      refute Realtime.active?(pb, all)
      refute Realtime.active?(pb, custom)
      assert Realtime.active?(pb, one)

      assert :ok = Realtime.unsubscribe_by_prefix(pb, "posts/", flush: true)
      refute Realtime.active?(pb, one)

      {:ok, _} =
        pb |> Client.collection("posts") |> RecordService.update(post["id"], %{"title" => "x"})

      refute_receive {:bosbase_ready, _}, 1_000
      for r <- [all, one, custom], do: assert(Realtime.next(pb, r) == :empty)
    end

    test "the subscriber's exit ends the subscription; no crash" do
      {pb, user} = login("users")
      baseline = Bosbase.Native.live_subs()
      parent = self()

      subscriber =
        spawn(fn ->
          {:ok, ref} = pb |> Client.collection("posts") |> RecordService.subscribe("*")
          send(parent, {:ref, ref})
          Process.sleep(:infinity)
        end)

      assert_receive {:ref, ref}, @wait
      assert Realtime.active?(pb, ref)
      Process.exit(subscriber, :kill)
      assert eventually(fn -> not Realtime.active?(pb, ref) end)
      # Events for the dead pid go nowhere.
      create_post(pb, user, unique("dead"))
      assert settled_subs(baseline)
    end

    test "a dead pid given as subscriber is refused" do
      {pb, _} = login("users")
      dead = spawn(fn -> :ok end)
      Process.sleep(10)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               Realtime.subscribe(pb, "posts/*", pid: dead)
    end

    test "closing the client ends its subscriptions and state listeners" do
      {pb, _} = login("users")
      {:ok, ref} = Realtime.subscribe(pb, "posts/*")
      {:ok, state} = Realtime.on_state(pb)
      subscribed!(pb, ref)
      {:ok, _sub, relay} = Bosbase.Native.sub_lookup(pb.ref, state)
      assert :ok = Client.close(pb)
      refute Process.alive?(relay)
      refute Realtime.active?(pb, ref)
      assert Realtime.next(pb, ref) == :empty
      refute Realtime.active?(pb, state)
      assert {:error, %ClientResponseError{kind: "closed"}} = Realtime.subscribe(pb, "posts/*")
      assert {:error, %ClientResponseError{kind: "closed"}} = Realtime.on_state(pb)
    end
  end

  describe "identity" do
    test "re-login as another user reconnects; events follow the new user's rules" do
      {pb, user} = login("users")
      {writer, ^user} = login("users")
      {writer2, user2} = login("users2")
      {:ok, state} = Realtime.on_state(pb)
      {:ok, ref} = pb |> Client.collection("posts") |> RecordService.subscribe("*")
      subscribed!(pb, ref)
      assert_receive {:bosbase_state, ^state, %{"state" => "connected"}}, @wait

      seen = create_post(writer, user, unique("before"))
      next_event(pb, ref, seen["id"])

      {email, password} = account("users2")

      {:ok, _} =
        pb |> Client.collection("users") |> RecordService.auth_with_password(email, password)

      assert AuthStore.record(pb)["id"] == user2["id"]
      assert_receive {:bosbase_state, ^state, %{"state" => "reconnected"}}, @wait

      hidden = create_post(writer, user, unique("hidden"))
      visible = create_post(writer2, user2, unique("visible"))
      assert %{"event" => "create"} = next_event(pb, ref, visible["id"])
      hidden_id = hidden["id"]
      # The user's post was created first: it would have arrived by now.
      refute Enum.any?(entries(pb, ref, 300), &match?(%{"record" => %{"id" => ^hidden_id}}, &1))
      assert :ok = Realtime.remove_state_listener(pb, state)
      :ok = Realtime.unsubscribe(pb, ref)
    end
  end

  describe "server" do
    test "a topic the server refuses gets an error event; the others keep working" do
      pb = client()
      {:ok, good} = Realtime.subscribe(pb, unique("good-topic"))
      subscribed!(pb, good)
      # PocketBase accepts topics of at most 2500 bytes.
      {:ok, bad} = Realtime.subscribe(pb, String.duplicate("x", 3000))

      assert %{"type" => "error", "error" => %{"kind" => "http", "status" => 400}} =
               entry!(pb, bad)

      {:ok, again} = Realtime.subscribe(pb, unique("other-topic"))
      subscribed!(pb, again)
      assert Realtime.active?(pb, good)
      for ref <- [good, bad, again], do: :ok = Realtime.unsubscribe(pb, ref)
    end

    @devserver Path.expand("../../../../target/bosbase-devserver", __DIR__)

    # A dev server of this test's own on a fixed port, so it can be killed and restarted.
    # It runs under a small bash guard that kills it when the guard gets SIGTERM or its
    # stdin closes (the test process ended), so none is left running.
    defp own_server(port, dir) do
      guard = """
      "$0" serve --http=127.0.0.1:$1 --dir="$2" --demo >/dev/null 2>&1 & pid=$!
      trap 'kill -KILL $pid 2>/dev/null; wait $pid; exit' TERM
      read -r _ || true
      kill -KILL $pid 2>/dev/null
      wait $pid
      """

      server =
        Port.open({:spawn_executable, System.find_executable("bash")}, [
          :binary,
          args: ["-c", guard, @devserver, Integer.to_string(port), dir]
        ])

      {:os_pid, os_pid} = Port.info(server, :os_pid)
      probe = Client.new("http://127.0.0.1:#{port}")

      assert Enum.any?(1..300, fn _ ->
               match?({:ok, _}, Client.send(probe, "/api/health")) or
                 (Process.sleep(100) && false)
             end),
             "own dev server did not start"

      os_pid
    end

    # SIGTERM to the guard, then wait until it (and so the server) is gone.
    defp kill_server(os_pid) do
      pid = Integer.to_string(os_pid)
      System.cmd("kill", ["-TERM", pid], stderr_to_stdout: true)

      Enum.any?(1..100, fn _ ->
        {_, status} = System.cmd("kill", ["-0", pid], stderr_to_stdout: true)
        status != 0 or (Process.sleep(50) && false)
      end)
    end

    test "the dev server restarted on the same port: disconnected, reconnected, events resume" do
      unless File.exists?(@devserver),
        do: flunk("#{@devserver} is missing: make devserver-build")

      {:ok, socket} = :gen_tcp.listen(0, ip: {127, 0, 0, 1})
      {:ok, port} = :inet.port(socket)
      :ok = :gen_tcp.close(socket)
      dir = Path.join(System.tmp_dir!(), "bosbase-elixir-restart-#{port}")
      os_pid = own_server(port, dir)

      on_exit(fn ->
        kill_server(os_pid)
        File.rm_rf(dir)
      end)

      url = "http://127.0.0.1:#{port}"
      {email, password} = account("users")
      [listener, writer] = for _ <- 1..2, do: Client.new(url)

      for pb <- [listener, writer],
          do:
            {:ok, _} =
              pb
              |> Client.collection("users")
              |> RecordService.auth_with_password(email, password)

      user = AuthStore.record(writer)
      {:ok, state} = Realtime.on_state(listener)
      {:ok, ref} = listener |> Client.collection("posts") |> RecordService.subscribe("*")
      subscribed!(listener, ref)
      assert_receive {:bosbase_state, ^state, %{"state" => "connected"}}, @wait

      kill_server(os_pid)

      assert_receive {:bosbase_state, ^state, %{"state" => "disconnected", "cause" => cause}},
                     @wait

      assert is_binary(cause) and cause != ""
      Process.sleep(700)
      new_pid = own_server(port, dir)
      on_exit(fn -> kill_server(new_pid) end)
      assert_receive {:bosbase_state, ^state, %{"state" => "reconnected"}}, 30_000

      post = create_post(writer, user, unique("after-restart"))
      assert %{"event" => "create"} = next_event(listener, ref, post["id"])
      :ok = Client.close(listener)
    end
  end

  describe "leaks" do
    test "100 subscribe/unsubscribe cycles leave no resource or process behind" do
      {pb, _} = login("users")
      posts = Client.collection(pb, "posts")
      # Settle what other tests left first.
      :erlang.garbage_collect()
      base_subs = Bosbase.Native.live_subs()
      base_procs = length(Process.list())

      for i <- 1..100 do
        {:ok, ref} =
          if rem(i, 2) == 0,
            do: RecordService.subscribe(posts, "*"),
            else: Realtime.subscribe(pb, "posts/*", filter: "title != ''")

        if rem(i, 10) == 0, do: subscribed!(pb, ref)
        :ok = Realtime.unsubscribe(pb, ref, flush: true)
      end

      {:ok, state} = Realtime.on_state(pb)
      :ok = Realtime.remove_state_listener(pb, state)
      assert eventually(fn -> Bosbase.Native.live_subs() <= base_subs end)
      assert eventually(fn -> length(Process.list()) <= base_procs end)
      assert Bosbase.Native.client_relays(pb.ref) == []
    end
  end

  describe "relay" do
    test "the relay restores the core's order when messages overtake each other" do
      # The NIF numbers each callback; messages from different threads may arrive out of
      # order. Here they arrive reversed: the subscriber still gets them in number order.
      tag = make_ref()
      relay = spawn(fn -> Bosbase.Subscription.Relay.init(tag, :bosbase_event) end)
      send(relay, {:start, self(), nil})

      for seq <- 49..0//-1,
          do: send(relay, {:bosbase_event_raw, tag, seq, ~s({"type":"event","data":#{seq}})})

      for seq <- 0..49,
          do: assert_receive({:bosbase_event, ^tag, %{"type" => "event", "data" => ^seq}}, @wait)

      refute_received {:bosbase_event, ^tag, _}
      # A gap holds back what follows it until it is filled.
      send(relay, {:bosbase_event_raw, tag, 51, ~s({"n":51})})
      refute_receive {:bosbase_event, ^tag, _}, 100
      send(relay, {:bosbase_event_raw, tag, 50, ~s({"n":50})})
      assert_receive {:bosbase_event, ^tag, %{"n" => 50}}, @wait
      assert_receive {:bosbase_event, ^tag, %{"n" => 51}}, @wait
      assert :ok = Bosbase.Subscription.Relay.stop(relay)
      refute Process.alive?(relay)
    end
  end
end
