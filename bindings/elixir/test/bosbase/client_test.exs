defmodule Bosbase.ClientTest do
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client}

  describe "new/2" do
    test "sends the binding's User-Agent and no Authorization without a login" do
      {:ok, listener} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
      {:ok, port} = :inet.port(listener)
      pb = Client.new("http://127.0.0.1:#{port}/", timeout_ms: 2000)
      caller = Task.async(fn -> Client.send(pb, "/api/health", query: %{"a" => "b c"}) end)

      {:ok, socket} = :gen_tcp.accept(listener, 5000)
      request = read_head(socket, "")
      :gen_tcp.send(socket, "HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{\"ok\":1}\n")
      assert {:ok, %{"ok" => 1}} = Task.await(caller)

      [request_line | headers] = String.split(request, "\r\n", trim: true)
      assert request_line =~ ~r{\AGET /api/health\?a=b(\+|%20)c HTTP/1.1\z}
      headers = Enum.map(headers, &String.downcase/1)
      version = Mix.Project.config()[:version]
      assert "user-agent: bosbase-elixir/#{version}" in headers
      refute Enum.any?(headers, &String.starts_with?(&1, "authorization:"))
    end

    test "inspect shows the URL only" do
      assert inspect(Client.new("http://127.0.0.1:9")) == "#Bosbase.Client<http://127.0.0.1:9>"
    end

    test "unknown options are refused" do
      assert_raise ArgumentError, fn -> Client.new("http://127.0.0.1:9", retries: 3) end
      assert_raise ArgumentError, fn -> Client.new("http://127.0.0.1:9", timeout_ms: -1) end
    end
  end

  defp read_head(socket, acc) do
    if String.contains?(acc, "\r\n\r\n") do
      acc
    else
      {:ok, data} = :gen_tcp.recv(socket, 0, 5000)
      read_head(socket, acc <> data)
    end
  end

  test "the auth store starts empty" do
    pb = Client.new("http://127.0.0.1:9")
    assert AuthStore.token(pb) == ""
    assert AuthStore.record(pb) == nil
    refute AuthStore.valid?(pb)
    assert Bosbase.JSON.decode!(AuthStore.export(pb)) == %{"token" => "", "record" => nil}
  end
end
