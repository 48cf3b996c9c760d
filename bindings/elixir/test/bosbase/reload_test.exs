defmodule Bosbase.ReloadTest do
  # Reloading Bosbase.Native from the same file loads the same NIF image again; its
  # `upgrade` callback takes over that image's own resource types, so clients made before
  # the reload keep working (another image never does: test/bosbase/upgrade_test.exs).
  # Not async: other tests must not call the NIF while the module is swapped.
  use ExUnit.Case, async: false

  alias Bosbase.{Client, RecordService}
  import Bosbase.TestSupport

  test "clients survive a reload of the NIF module" do
    pb = client()
    assert {:ok, _} = Client.send(pb, "/api/health")

    :code.purge(Bosbase.Native)
    assert {:module, Bosbase.Native} = :code.load_file(Bosbase.Native)
    # Drop the old instance: its library unloads, the resources now belong to the new one.
    assert :code.soft_purge(Bosbase.Native)

    assert {:ok, %{"code" => 200}} = Client.send(pb, "/api/health")
    {email, password} = account("users")

    assert {:ok, %{"record" => %{"email" => ^email}}} =
             pb |> Client.collection("users") |> RecordService.auth_with_password(email, password)

    assert {:ok, _} = Client.send(client(), "/api/health")
  end
end
