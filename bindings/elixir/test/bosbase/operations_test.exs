defmodule Bosbase.OperationsTest do
  # Operations added to the core's table as rows only (health.check, collections.getList)
  # reach Elixir through the generated functions (lib/bosbase/operations_gen.ex).
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  test "Bosbase.Health.check/2" do
    assert {:ok, %{"code" => 200, "message" => message}} = Bosbase.Health.check(client())
    assert is_binary(message)
    assert {:ok, %{"code" => 200}} = Bosbase.Health.check(client(), timeout: 5_000)
  end

  test "Bosbase.Collections.get_list/4 as a superuser, defaults and explicit pages" do
    pb = client()
    {email, password} = account("_superusers")

    assert {:ok, _} =
             pb
             |> Client.collection("_superusers")
             |> RecordService.auth_with_password(email, password)

    assert AuthStore.record(pb)["email"] == email

    assert {:ok, %{"page" => 1, "perPage" => 30, "totalItems" => total, "items" => items}} =
             Bosbase.Collections.get_list(pb)

    assert total >= 3
    names = Enum.map(items, & &1["name"])
    assert "users" in names and "_superusers" in names

    assert {:ok, %{"page" => 2, "perPage" => 1, "items" => [_one]}} =
             Bosbase.Collections.get_list(pb, 2, 1)

    assert {:ok, %{"items" => [%{"name" => _} = item]}} =
             Bosbase.Collections.get_list(pb, 1, 1, fields: "name")

    assert Map.keys(item) == ["name"]
  end

  test "collections.getList without a superuser login is an http error" do
    assert {:error, %ClientResponseError{kind: "http", status: status}} =
             Bosbase.Collections.get_list(client())

    assert status in [401, 403]
  end

  test "arguments of the wrong type are invalid_argument errors naming the argument" do
    pb = client()

    assert {:error, %ClientResponseError{kind: "invalid_argument", message: m}} =
             Bosbase.Collections.get_list(pb, "1")

    assert m =~ "page"

    assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
             Bosbase.Collections.get_list(pb, 1, :many)

    assert {:error, %ClientResponseError{kind: "invalid_argument"}} = Bosbase.Health.check(:pb)
    failed = Client.new("http://user:pw@x")
    assert ^failed = Bosbase.Health.check(failed)
  end

  test "a closed client answers kind closed" do
    pb = client()
    :ok = Client.close(pb)
    assert {:error, %ClientResponseError{kind: "closed"}} = Bosbase.Health.check(pb)
    assert {:error, %ClientResponseError{kind: "closed"}} = Bosbase.Collections.get_list(pb)
  end
end
