# The suite runs against BOSBASE_URL when it is set (any server with the demo accounts of
# `scripts/devserver --demo`, e.g. the real BosBase server), else against one dev server
# for the whole suite, started through the project's launcher (scripts/devserver --build
# --demo with no command): its first stdout line is the base URL; SIGTERM at the end makes
# it stop the server and delete its data dir.
#
# The HTTPS tests (tag :tls) need the TLS server of scripts/tls-fixture (BOSBASE_TLS_URL,
# BOSBASE_TLS_WRONG_HOST_URL, BOSBASE_TLS_CA_FILE); without it they are excluded, with a
# message, unless BOSBASE_REQUIRE_TLS=1 (set by `make elixir-test`), which makes that an error.
defmodule Bosbase.DevServer do
  @root Path.expand("../../..", __DIR__)
  @start_timeout :timer.minutes(10)

  def start! do
    # The launcher runs under a small bash guard that also stops it when this VM goes away
    # without running after_suite (a test file that fails to compile, a crash): the port's
    # stdin then reaches EOF. SIGTERM (stop/1) stops it the same way, waiting for its clean-up.
    guard = """
    "$0" --build --demo & pid=$!
    trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit' TERM
    read -r _ || true
    kill -TERM $pid 2>/dev/null
    wait $pid
    """

    port =
      Port.open({:spawn_executable, System.find_executable("bash")}, [
        :binary,
        :exit_status,
        {:line, 4096},
        args: ["-c", guard, Path.join(@root, "scripts/devserver")],
        cd: @root,
        env: [{~c"BOSBASE_URL", false}]
      ])

    {:os_pid, os_pid} = Port.info(port, :os_pid)

    receive do
      {^port, {:data, {:eol, "http" <> _ = url}}} ->
        ExUnit.after_suite(fn _ -> stop(os_pid) end)
        url

      {^port, {:exit_status, status}} ->
        raise "scripts/devserver exited with status #{status} before printing its URL"
    after
      @start_timeout -> raise "scripts/devserver printed no URL within 10 minutes"
    end
  end

  # after_suite runs in another process than the port's owner, so the port's exit_status
  # message never reaches it: poll the OS process instead.
  defp stop(os_pid) do
    pid = Integer.to_string(os_pid)
    System.cmd("kill", ["-TERM", pid])

    stopped? =
      Enum.any?(1..100, fn _ ->
        Process.sleep(100)
        {_, status} = System.cmd("kill", ["-0", pid], stderr_to_stdout: true)
        status != 0
      end)

    unless stopped?,
      do: IO.puts(:stderr, "scripts/devserver (pid #{pid}) did not stop within 10 s")
  end
end

# Decided before any server starts, so a refusal leaves nothing running.
exclude =
  cond do
    System.get_env("BOSBASE_TLS_URL") not in [nil, ""] ->
      []

    System.get_env("BOSBASE_REQUIRE_TLS") == "1" ->
      raise "BOSBASE_REQUIRE_TLS=1 but BOSBASE_TLS_URL is unset: run the suite under " <>
              "scripts/tls-fixture -- mix test"

    true ->
      IO.puts(
        :stderr,
        "HTTPS tests (tag :tls) EXCLUDED: BOSBASE_TLS_URL is unset. Run " <>
          "`scripts/tls-fixture -- mix test` (as `make elixir-test` does) to include them."
      )

      [:tls]
  end

url =
  case System.get_env("BOSBASE_URL") do
    url when url in [nil, ""] -> Bosbase.DevServer.start!()
    url -> url
  end

Application.put_env(:bosbase, :test_url, url)

ExUnit.start(exclude: exclude)

defmodule Bosbase.TestSupport do
  @moduledoc false
  # Demo accounts seeded by `scripts/devserver --demo`.
  @accounts %{
    "users" => {"user@example.com", "user-password"},
    "users2" => {"user2@example.com", "user2-password"},
    "_superusers" => {"admin@example.com", "admin-password"},
    "mfa_users" => {"mfa@example.com", "mfa-password"}
  }

  def url, do: Application.fetch_env!(:bosbase, :test_url)
  def client, do: Bosbase.Client.new(url())
  def account(key), do: Map.fetch!(@accounts, key)

  # A URL where nothing listens: bind a free port, then release it.
  def closed_port_url do
    {:ok, socket} = :gen_tcp.listen(0, ip: {127, 0, 0, 1})
    {:ok, port} = :inet.port(socket)
    :ok = :gen_tcp.close(socket)
    "http://127.0.0.1:#{port}"
  end

  # True once `check` holds, garbage-collecting every process before each try (dropped
  # clients and call handles are freed by their owner's GC); false after ~5 s.
  def eventually(check, tries \\ 100) do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)

    cond do
      check.() -> true
      tries == 0 -> false
      true -> Process.sleep(50) && eventually(check, tries - 1)
    end
  end

  # Live native clients once every dropped one is freed: GC every process, then wait for
  # the releases (bosbase_client_release) of the collected clients to complete.
  def settled_clients do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)
    true = eventually(fn -> Bosbase.Native.pending_frees() == 0 end)
    Bosbase.live_clients()
  end

  # Measures how late a plain `:timer.sleep(10)` loop wakes up while `fun` runs: if the
  # normal schedulers were blocked by native calls, this process would not be scheduled.
  def with_sleeper(fun) do
    parent = self()
    sleeper = spawn_link(fn -> sleep_loop(parent, 0, 0) end)
    result = fun.()
    send(sleeper, :stop)

    receive do
      {:sleeper, ticks, max_late_ms} -> {result, ticks, max_late_ms}
    end
  end

  defp sleep_loop(parent, ticks, max_late) do
    receive do
      :stop -> send(parent, {:sleeper, ticks, max_late})
    after
      0 ->
        t0 = System.monotonic_time(:millisecond)
        :timer.sleep(10)
        late = System.monotonic_time(:millisecond) - t0 - 10
        sleep_loop(parent, ticks + 1, max(max_late, late))
    end
  end
end
