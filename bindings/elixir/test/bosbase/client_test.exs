defmodule Bosbase.ClientTest do
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client, ClientResponseError}

  # Runs `call` against a one-shot server on 127.0.0.1; returns {reply, request head}.
  defp capture_request(client_opts, call) do
    {:ok, listener} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
    {:ok, port} = :inet.port(listener)
    pb = Client.new("http://127.0.0.1:#{port}/", [timeout: 5000] ++ client_opts)
    caller = Task.async(fn -> call.(pb) end)

    {:ok, socket} = :gen_tcp.accept(listener, 5000)
    request = read_head(socket, "")
    :gen_tcp.send(socket, "HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{\"ok\":1}\n")
    reply = Task.await(caller)
    :gen_tcp.close(listener)
    [request_line | headers] = String.split(request, "\r\n", trim: true)
    {reply, request_line, Enum.map(headers, &String.downcase/1)}
  end

  describe "new/2" do
    test "sends the binding's User-Agent and no Authorization without a login" do
      {reply, request_line, headers} =
        capture_request([], &Client.send(&1, "/api/health", query: %{"a" => "b c"}))

      assert {:ok, %{"ok" => 1}} = reply
      assert request_line =~ ~r{\AGET /api/health\?a=b(\+|%20)c HTTP/1.1\z}
      version = Mix.Project.config()[:version]
      assert "user-agent: bosbase-elixir/#{version}" in headers
      assert "accept-language: en-us" in headers
      refute Enum.any?(headers, &String.starts_with?(&1, "authorization:"))
    end

    test ":lang and :user_agent reach the server; a stored token is sent as Authorization" do
      {reply, _line, headers} =
        capture_request([lang: "de-DE", user_agent: "my-app/2"], fn pb ->
          :ok = AuthStore.save(pb, "stored-token", nil)
          Client.send(pb, "/api/health")
        end)

      assert {:ok, _} = reply
      assert "accept-language: de-de" in headers
      assert "user-agent: my-app/2" in headers
      # Sent whenever the store holds a token, even one without a valid `exp`.
      assert "authorization: stored-token" in headers
    end

    test "every documented option is accepted" do
      assert %Client{} =
               Client.new("https://127.0.0.1:9",
                 timeout: 1000,
                 connect_timeout: 500,
                 max_response_bytes: 1024,
                 max_idle_connections: 4,
                 lang: "en-US",
                 user_agent: "x/1",
                 danger_accept_invalid_certs: false,
                 proxy: "none"
               )
    end

    test "inspect shows the URL only" do
      assert inspect(Client.new("http://127.0.0.1:9")) == "#Bosbase.Client<http://127.0.0.1:9>"
    end

    test "unknown or mistyped options are invalid_argument errors naming the option" do
      for opts <- [
            [retry: 3],
            [retries: "3"],
            [retries: %{attempts: 3}],
            [timeout: -1],
            [timeout: 0],
            [timeout: 1.5],
            [connect_timeout: 0],
            [max_idle_connections: -1],
            [danger_accept_invalid_certs: "yes"],
            [ca_pem: ~c"pem"],
            [lang: 1],
            %{timeout: 1},
            [:oops]
          ] do
        assert {:error, %ClientResponseError{kind: "invalid_argument", status: 0} = e} =
                 Client.new("http://127.0.0.1:9", opts),
               "options #{inspect(opts)}"

        assert e.message =~ "option"
      end
    end

    test "the core's refusals are errors too: bad ports, query, unreadable CA" do
      for url <- ["http://127.0.0.1:99999", "ftp://127.0.0.1", "http://127.0.0.1/?a=b", ""] do
        assert {:error, %ClientResponseError{kind: "invalid_argument"}} = Client.new(url),
               url
      end

      assert {:error, %ClientResponseError{kind: "invalid_argument", message: m}} =
               Client.new("https://127.0.0.1:9", ca_file: "/nonexistent/ca.pem")

      assert m =~ "caFile"

      assert {:error, %ClientResponseError{kind: "invalid_argument", message: m}} =
               Client.new("https://127.0.0.1:9", ca_pem: "not-a-pem-secret")

      refute m =~ "not-a-pem-secret"

      assert {:error, %ClientResponseError{kind: "invalid_argument", message: m}} =
               Client.new("http://127.0.0.1:9", proxy: "socks5://ann:pw-secret@127.0.0.1:1080")

      assert m =~ "SOCKS"
      refute m =~ "pw-secret"
    end

    test "a password in the URL is refused and appears in nothing inspected" do
      url = "http://bob:hunter2@127.0.0.1:1"
      assert {:error, %ClientResponseError{kind: "invalid_argument"} = error} = Client.new(url)

      shown = [
        inspect(error),
        Exception.message(error),
        inspect(Client.collection({:error, error}, "users")),
        inspect(Client.send({:error, error}, "/api/health")),
        inspect(%Client{ref: make_ref(), base_url: url})
      ]

      for text <- shown, do: refute(text =~ "hunter2", text)
      refute Enum.any?(shown, &(&1 =~ "bob:"))
    end
  end

  describe "per-call :timeout" do
    test "overrides the client's deadline" do
      {:ok, listener} = :gen_tcp.listen(0, ip: {127, 0, 0, 1}, backlog: 16)
      {:ok, port} = :inet.port(listener)
      pb = Client.new("http://127.0.0.1:#{port}", timeout: 10_000)

      {micros, reply} = :timer.tc(fn -> Client.send(pb, "/api/health", timeout: 200) end)
      assert {:error, %ClientResponseError{kind: "timeout", is_abort: true}} = reply
      assert micros < 5_000_000, "took #{div(micros, 1000)} ms"
      :gen_tcp.close(listener)
    end

    test "must be a positive integer" do
      pb = Client.new("http://127.0.0.1:9")

      for t <- [0, -5, "100", 1.0] do
        assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
                 Client.send(pb, "/api/health", timeout: t)
      end
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
