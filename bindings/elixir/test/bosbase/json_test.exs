defmodule Bosbase.JSONTest do
  use ExUnit.Case, async: true

  alias Bosbase.JSON

  test "decodes with string keys and nil for null" do
    assert JSON.decode!(~s({"a":null,"b":[1,2.5,"\\u00e9\\ud83d\\ude00"],"c":{"d":true}})) ==
             %{"a" => nil, "b" => [1, 2.5, "é😀"], "c" => %{"d" => true}}
  end

  test "encodes nil as null and atom keys as strings" do
    assert JSON.decode!(JSON.encode!(%{a: nil, b: [true, "x"]}, "test")) ==
             %{"a" => nil, "b" => [true, "x"]}
  end

  test "refuses what JSON cannot carry" do
    assert_raise ArgumentError, fn -> JSON.encode!(%{"a" => {1, 2}}, "test") end
    assert_raise ArgumentError, fn -> JSON.encode!(<<0xFF>>, "test") end
  end

  test "the codec is one of the three supported" do
    assert JSON.codec() in [Elixir.JSON, :json, :jiffy]
  end
end
