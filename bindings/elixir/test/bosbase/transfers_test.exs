defmodule Bosbase.TransfersTest do
  # Downloads with progress (issue 23, item 3) against the dev server: bytes equal,
  # progress in the calling process (monotonic, >= 10 reports, the last done == total),
  # progress messages to a pid, a cap is "too_large" and leaves no file.
  use ExUnit.Case, async: true

  alias Bosbase.{Client, ClientResponseError, RecordService, Transfers}
  import Bosbase.TestSupport

  setup do
    pb = client()
    {email, password} = account("_superusers")

    {:ok, _} =
      pb |> Client.collection("_superusers") |> RecordService.auth_with_password(email, password)

    name = "dlex_#{System.unique_integer([:positive])}"

    fields = [
      %{"name" => "doc", "type" => "file", "maxSelect" => 1, "maxSize" => 100 * 1024 * 1024}
    ]

    data = %{
      "name" => name,
      "type" => "base",
      "fields" => fields,
      "listRule" => "",
      "viewRule" => "",
      "createRule" => ""
    }

    {:ok, _} = Bosbase.Call.run(pb, "collections.create", %{"data" => data}, [])
    bytes = :binary.copy("0123456789abcdef", 256 * 1024)

    {:ok, record} =
      pb
      |> Client.collection(name)
      |> RecordService.create(%{}, files: [{:bytes, "doc", "d.bin", bytes}])

    dir = Path.join(System.tmp_dir!(), "bosbase-dl-ex-#{System.unique_integer([:positive])}")
    File.mkdir_p!(dir)
    on_exit(fn -> File.rm_rf!(dir) end)
    %{pb: pb, record: record, bytes: bytes, dir: dir}
  end

  test "a download streams to a path with progress in the caller", ctx do
    %{pb: pb, record: record, bytes: bytes, dir: dir} = ctx
    target = Path.join(dir, "out.bin")
    me = self()
    fun = fn done, total -> send(me, {:seen, self(), done, total}) end
    size = byte_size(bytes)

    assert {:ok, %{"bytes" => ^size, "path" => ^target}} =
             Transfers.download(pb, record, record["doc"], target, progress: fun)

    assert File.read!(target) == bytes
    seen = collect([])
    assert length(seen) >= 10
    assert Enum.all?(seen, fn {pid, _, _} -> pid == me end), "called in the calling process"
    dones = Enum.map(seen, fn {_, d, _} -> d end)
    assert dones == Enum.sort(dones)
    assert {_, ^size, ^size} = List.last(seen)

    # To a pid: {:bosbase_progress, ref, done, total} messages, all before the reply.
    assert {:ok, _} =
             Transfers.download(pb, record, record["doc"], Path.join(dir, "b.bin"), progress: me)

    assert_received {:bosbase_progress, ref, ^size, ^size}
    assert is_reference(ref)

    assert {:error, %ClientResponseError{kind: "too_large", status: 200}} =
             Transfers.download(pb, record, record["doc"], Path.join(dir, "c.bin"),
               max_bytes: 1000
             )

    assert {:error, %ClientResponseError{kind: "http", status: 404}} =
             Transfers.download(pb, record, "missing.bin", Path.join(dir, "d.bin"))

    assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
             Transfers.download(pb, record, record["doc"], target, bogus: 1)

    assert Enum.sort(File.ls!(dir)) == ["b.bin", "out.bin"]
  end

  test "an upload reports its progress in the caller", %{pb: pb, record: record, bytes: bytes} do
    me = self()
    fun = fn done, total -> send(me, {:seen, self(), done, total}) end

    assert {:ok, %{"doc" => doc}} =
             pb
             |> Client.collection(record["collectionName"])
             |> RecordService.create(%{},
               files: [{:bytes, "doc", "up.bin", bytes}],
               progress: fun
             )

    assert doc != ""
    seen = collect([])
    assert length(seen) >= 10
    assert Enum.all?(seen, fn {pid, _, _} -> pid == me end)
    {_, done, total} = List.last(seen)
    assert done == total and total > byte_size(bytes)
  end

  defp collect(acc) do
    receive do
      {:seen, pid, done, total} -> collect([{pid, done, total} | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end
end
