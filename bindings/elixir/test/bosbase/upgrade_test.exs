defmodule Bosbase.UpgradeTest do
  # A code upgrade that loads another NIF library must never run the new library's core
  # on handles the old one made (each library carries its own copy of the core). Two
  # builds of c_src (NIF_BUILD "upgrade-a" and "upgrade-b") are installed as two releases
  # of the app would be (<tmp>/<build>/bosbase/{ebin,priv}); the code path is switched as
  # release_handler switches it and Bosbase.Native is loaded again: A first, then B while
  # a client, a login and a subscription made by A are alive.
  # Not async: Bosbase.Native is swapped for the whole VM.
  use ExUnit.Case, async: false

  alias Bosbase.{AuthStore, Client, ClientResponseError, Native, Realtime, RecordService}
  import Bosbase.TestSupport

  @moduletag timeout: 300_000
  @c_src Path.expand("../../c_src", __DIR__)
  @wait 10_000

  setup_all do
    root = Path.join(System.tmp_dir!(), "bosbase-upgrade-#{System.unique_integer([:positive])}")
    ebin = to_string(:code.lib_dir(:bosbase, :ebin))

    [a, b] =
      ["upgrade-a", "upgrade-b"]
      |> Enum.map(fn build -> Task.async(fn -> install(root, ebin, build) end) end)
      |> Enum.map(&Task.await(&1, 240_000))

    on_exit(fn ->
      # Back to the suite's own library (a third image: A's and B's handles are gone).
      switch_to(ebin)
      :code.soft_purge(Native)
      File.rm_rf(root)
    end)

    %{a: a, b: b}
  end

  # Builds the NIF with NIF_BUILD=build into <root>/<build>/bosbase/priv beside a copy of
  # the app's ebin; returns that app directory.
  defp install(root, ebin, build) do
    app = Path.join([root, build, "bosbase"])
    File.mkdir_p!(app)
    File.cp_r!(ebin, Path.join(app, "ebin"))

    erts = Path.join([:code.root_dir(), "erts-#{:erlang.system_info(:version)}", "include"])

    {out, status} =
      System.cmd("make", ["--no-print-directory", "-C", @c_src, "NIF_BUILD=#{build}"],
        env: [{"MIX_APP_PATH", app}, {"ERTS_INCLUDE_DIR", erts}],
        stderr_to_stdout: true
      )

    assert status == 0, "building the #{build} NIF failed:\n#{out}"
    app
  end

  # What release_handler does for a new version of the app: the code path names the new
  # directory, the module is loaded from it (its on_load loads the NIF from the new priv/,
  # the `upgrade` callback runs) and the previous code becomes old code.
  defp switch_to(dir) do
    ebin = if Path.basename(dir) == "ebin", do: dir, else: Path.join(dir, "ebin")
    assert :code.replace_path(:bosbase, String.to_charlist(ebin)) == true
    :code.purge(Native)
    assert {:module, Native} = :code.load_file(Native)
  end

  # True while the library of the app at `app` is mapped into this process.
  defp mapped?(app), do: File.read!("/proc/self/maps") =~ Path.join(app, "priv")

  test "the new library refuses the old one's handles (typed error), which stay with the old image",
       %{a: a, b: b} do
    switch_to(a)
    assert Native.build() == "upgrade-a"
    parent = self()
    {email, password} = account("users")

    # A's client, login and subscription live in a process of their own, so they can all
    # be let go at the end.
    holder =
      spawn_link(fn ->
        old = client()
        users = Client.collection(old, "users")
        {:ok, _} = RecordService.auth_with_password(users, email, password)
        {:ok, ref} = old |> Client.collection("posts") |> RecordService.subscribe("*")
        assert {:ok, %{kind: :subscribed}} = Realtime.receive_event(old, ref, @wait)
        drain(old, ref)
        send(parent, {:old, old, ref})
        # Only after the upgrade: a ready message may already be here (the stream's
        # "connected" state entry can be queued after the drain), and taking its entry
        # before the upgrade would succeed. A ready message comes from A's core; the entry
        # behind it can only be taken with A's functions, which the upgrade replaced.
        assert_receive :upgraded, 60_000
        assert_receive {:bosbase_ready, ^ref}, 60_000
        send(parent, {:after_upgrade, Realtime.next(old, ref)})
        Process.sleep(:infinity)
      end)

    assert_receive {:old, old, ref}, @wait
    assert {:ok, %{"code" => 200}} = Client.send(old, "/api/health")

    switch_to(b)
    # As release_handler does once the new code runs: the old code goes; A's library stays
    # loaded as long as resources of its types live.
    assert :code.soft_purge(Native)
    assert Native.build() == "upgrade-b"
    assert mapped?(a) and mapped?(b)
    send(holder, :upgraded)

    # B never touches A's handles: every use is a typed error, nothing crashes.
    assert {:error, %ClientResponseError{kind: "closed", message: message}} =
             Client.send(old, "/api/health")

    assert message =~ "code upgrade"
    assert {:error, %ClientResponseError{kind: "closed"}} = AuthStore.token(old)
    assert {:error, %ClientResponseError{kind: "closed"}} = Client.close(old)
    assert {:error, %ClientResponseError{kind: "closed"}} = Realtime.unsubscribe(old, ref)
    refute AuthStore.valid?(old)
    # (A forged handle is still told apart: B knows the types of the images before it.)
    assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
             Client.send(%Client{old | ref: make_ref()}, "/api/health")

    # New handles are B's and work.
    writer = client()

    {:ok, auth} =
      writer |> Client.collection("users") |> RecordService.auth_with_password(email, password)

    assert AuthStore.token(writer) == auth["token"]

    # A's image still runs A's subscription: a post created through B reaches its queue
    # (A's ready message), while taking it through B is the typed error.
    {:ok, _post} =
      writer
      |> Client.collection("posts")
      |> RecordService.create(%{"title" => "upgrade", "author" => auth["record"]["id"]})

    assert_receive {:after_upgrade, {:error, %ClientResponseError{kind: "closed"}}}, @wait

    # Let A's handles go: their destructors run in A's image, the VM then unloads A's
    # library (its image stays mapped: -z nodelete, see c_src/Makefile), and B runs on.
    Process.unlink(holder)
    Process.exit(holder, :kill)
    for _ <- 1..3, do: gc_all_and_wait(200)
    assert mapped?(a), "A's image was unmapped (c_src/Makefile links with -z nodelete)"
    assert {:ok, %{"code" => 200}} = Client.send(writer, "/api/health")
  end

  # Collects every process (dropped handles go), then gives destructors and unloading time.
  defp gc_all_and_wait(ms) do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)
    Process.sleep(ms)
  end

  defp drain(pb, ref) do
    case Realtime.next(pb, ref) do
      {:ok, _} -> drain(pb, ref)
      :empty -> :ok
    end
  end
end
