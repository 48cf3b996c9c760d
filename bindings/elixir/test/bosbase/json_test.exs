defmodule Bosbase.JSONTest do
  use ExUnit.Case, async: true

  alias Bosbase.JSON

  test "decodes with string keys and nil for null" do
    assert JSON.decode!(~s({"a":null,"b":[1,2.5,"\\u00e9\\ud83d\\ude00"],"c":{"d":true}})) ==
             %{"a" => nil, "b" => [1, 2.5, "é😀"], "c" => %{"d" => true}}
  end

  test "encodes nil as null and atom keys as strings" do
    assert {:ok, json} = JSON.encode(%{a: nil, b: [true, "x"]}, "test")
    assert JSON.decode!(json) == %{"a" => nil, "b" => [true, "x"]}
  end

  test "refuses what JSON cannot carry" do
    assert {:error, %Bosbase.ClientResponseError{kind: "invalid_argument", message: m}} =
             JSON.encode(%{"a" => {1, 2}}, "test")

    assert m =~ "test"

    assert {:error, %Bosbase.ClientResponseError{kind: "invalid_argument"}} =
             JSON.encode(<<"secret", 0xFF>>, "test")
  end

  test "the codec is one of the three supported" do
    assert JSON.codec() in [Elixir.JSON, :json, :jiffy]
  end
end
