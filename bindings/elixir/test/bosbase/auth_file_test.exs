defmodule Bosbase.AuthFileTest do
  # The :auth_file client option: a login that survives a new client, a corrupt file
  # reported by AuthStore.file_error/1 and ignored.
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  defp scratch(name) do
    dir =
      Path.join(System.tmp_dir!(), "bosbase-ex-auth-file-#{System.unique_integer([:positive])}")

    File.mkdir_p!(dir)
    on_exit(fn -> File.rm_rf!(dir) end)
    Path.join(dir, name)
  end

  test "a login is kept in an owner-only file for the next client" do
    path = scratch("auth.json")
    pb = Client.new(url(), auth_file: path)
    assert AuthStore.file_error(pb) == nil
    {email, password} = account("users")

    {:ok, auth} =
      pb |> Client.collection("users") |> RecordService.auth_with_password(email, password)

    :ok = Client.close(pb)
    assert {:ok, %File.Stat{mode: mode}} = File.stat(path)
    assert Bitwise.band(mode, 0o777) == 0o600

    again = Client.new(url(), auth_file: path)
    assert AuthStore.token(again) == auth["token"]
    assert AuthStore.record(again)["email"] == email
    :ok = AuthStore.clear(again)
    assert AuthStore.token(Client.new(url(), auth_file: path)) == ""
    assert File.ls!(Path.dirname(path)) == ["auth.json"]
  end

  test "a corrupt file is reported, ignored and replaced at the next change" do
    path = scratch("auth.json")
    File.write!(path, ~s({"token": "s3cr3t", "record": 5}))
    pb = Client.new(url(), auth_file: path)
    assert %Client{} = pb
    assert AuthStore.token(pb) == ""

    assert %ClientResponseError{kind: "invalid_argument", message: "authFile: " <> _} =
             error = AuthStore.file_error(pb)

    refute inspect(error) =~ "s3cr3t"
    :ok = AuthStore.save(pb, "fresh", nil)
    assert AuthStore.file_error(pb) == nil
    assert File.read!(path) =~ "fresh"
    assert AuthStore.file_error(client()) == nil
  end

  test "the option must be a non-empty string" do
    assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
             Client.new(url(), auth_file: 5)

    assert {:error, %ClientResponseError{kind: "invalid_argument", message: message}} =
             Client.new(url(), auth_file: "")

    assert message =~ "authFile"
  end
end
