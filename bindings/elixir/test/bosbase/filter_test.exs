defmodule Bosbase.FilterTest do
  # Bosbase.filter/2 (the core's bosbase_filter) with the hostile-input table of
  # tests/filter.rs, rendered and then run against the server.
  use ExUnit.Case, async: true

  alias Bosbase.{Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  describe "Bosbase.filter/2 renders literals" do
    test "quotes, backslashes and injections stay inside their string" do
      assert {:ok, ~S"a = '\' || 1=1 || \''"} = Bosbase.filter("a = {:x}", %{x: "' || 1=1 || '"})

      assert {:ok, ~S"a = '\\' || true || \''"} =
               Bosbase.filter("a = {:x}", %{"x" => ~S"\' || true || '"})

      assert {:ok, ~S"a = 'a\b'"} = Bosbase.filter("a = {:x}", %{x: ~S"a\b"})
      assert {:ok, "a = 'it\\'s'"} = Bosbase.filter("a = {:x}", %{x: "it's"})
    end

    test "a string ending in a backslash is refused, naming the parameter, not its value" do
      assert {:error, %ClientResponseError{kind: "invalid_argument", message: m}} =
               Bosbase.filter("a = {:x} || b = {:y}", %{x: "secret\\", y: " || 1=1 || "})

      assert m =~ "x"
      refute m =~ "secret"
    end

    test "numbers, booleans, nil, dates, nested JSON, unknown placeholders" do
      assert {:ok, "1.5 3 false true null"} =
               Bosbase.filter("{:f} {:i} {:b} {:t} {:z}", %{
                 f: 1.5,
                 i: 3,
                 b: false,
                 t: true,
                 z: nil
               })

      assert {:ok,
              ~S"""
              x ?= '[1,"a\'b"]'
              """
              |> String.trim_trailing()} ==
               {:ok, elem(Bosbase.filter("x ?= {:arr}", %{arr: [1, "a'b"]}), 1)}

      assert {:ok,
              ~S"""
              m = '{"k":{"n":[true,null]}}'
              """
              |> String.trim_trailing()} ==
               Bosbase.filter("m = {:m}", %{m: %{k: %{n: [true, nil]}}})

      dt = ~U[2024-01-02 03:04:05.678901Z]

      assert {:ok, "created > '2024-01-02 03:04:05.678Z'"} =
               Bosbase.filter("created > {:d}", %{d: dt})

      assert {:ok, "d = '2024-01-02 03:04:05.000Z'"} =
               Bosbase.filter("d = {:d}", %{d: ~N[2024-01-02 03:04:05]})

      assert {:ok, "d >= '2024-05-06 00:00:00.000Z'"} =
               Bosbase.filter("d >= {:d}", %{d: ~D[2024-05-06]})

      assert {:ok, "{:missing} and {:n"} = Bosbase.filter("{:missing} and {:n", %{n: 1})
      assert {:ok, "'v''v'"} = Bosbase.filter("{:x}{:x}", %{x: "v"})
    end

    test "bad arguments are invalid_argument" do
      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               Bosbase.filter("a = {:x}", x: 1)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} = Bosbase.filter(:expr, %{})

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               Bosbase.filter("a = {:x}", %{x: {1, 2}})
    end
  end

  test "against the server: hostile values match nothing instead of everything" do
    pb = client()
    {email, password} = account("_superusers")

    {:ok, _} =
      pb |> Client.collection("_superusers") |> RecordService.auth_with_password(email, password)

    users = Client.collection(pb, "users")

    count = fn value ->
      {:ok, f} = Bosbase.filter("email = {:e}", %{e: value})
      {:ok, %{"totalItems" => n}} = RecordService.get_list(users, 1, 1, filter: f)
      n
    end

    {user_email, _} = account("users")
    assert count.(user_email) == 1

    for hostile <- ["' || email != '", ~S"\' || email != '", "' || 1=1 || '", ~S"a\b"] do
      assert count.(hostile) == 0, hostile
    end
  end
end
