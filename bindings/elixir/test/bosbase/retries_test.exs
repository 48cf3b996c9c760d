defmodule Bosbase.RetriesTest do
  # The `:retries` and `:idempotent` options reach the core: a loopback server answers 503
  # before it answers 200, and the call succeeds in one go. Fault injection only.
  use ExUnit.Case, async: true

  alias Bosbase.{Client, ClientResponseError}

  @quick %{max_attempts: 3, base_delay: 10, max_delay: 40}

  # Serves `failures` 503s, then 200s, counting requests; returns {url, counter}.
  defp unavailable_server(failures) do
    {:ok, listener} =
      :gen_tcp.listen(0, ip: {127, 0, 0, 1}, backlog: 16, active: false, packet: :http_bin)

    {:ok, port} = :inet.port(listener)
    counter = :counters.new(1, [])
    spawn_link(fn -> accept(listener, counter, failures) end)
    on_exit(fn -> :gen_tcp.close(listener) end)
    {"http://127.0.0.1:#{port}", counter}
  end

  defp accept(listener, counter, failures) do
    case :gen_tcp.accept(listener, 10_000) do
      {:ok, socket} ->
        spawn(fn -> serve(socket, counter, failures) end)
        accept(listener, counter, failures)

      {:error, _} ->
        :ok
    end
  end

  # Reads one request head (bodies here are small and sent with it: skipped by length),
  # answers, and goes on while the client keeps the connection.
  defp serve(socket, counter, failures) do
    with {:ok, length} <- read_head(socket, 0) do
      :ok = :inet.setopts(socket, packet: :raw)
      if length > 0, do: {:ok, _} = :gen_tcp.recv(socket, length, 5_000)
      :counters.add(counter, 1, 1)

      {status, body} =
        if :counters.get(counter, 1) <= failures,
          do: {"503 Service Unavailable", ~s({"status":503,"message":"busy","data":{}})},
          else: {"200 OK", ~s({"code":200,"message":"API is healthy.","data":{}})}

      :gen_tcp.send(socket, [
        "HTTP/1.1 #{status}\r\nContent-Type: application/json\r\nContent-Length: #{byte_size(body)}\r\n\r\n",
        body
      ])

      :ok = :inet.setopts(socket, packet: :http_bin)
      serve(socket, counter, failures)
    end
  end

  defp read_head(socket, length) do
    case :gen_tcp.recv(socket, 0, 10_000) do
      {:ok, {:http_header, _, :"Content-Length", _, value}} ->
        read_head(socket, String.to_integer(value))

      {:ok, :http_eoh} ->
        {:ok, length}

      {:ok, _} ->
        read_head(socket, length)

      error ->
        error
    end
  end

  test "the client's :retries retries a GET through two 503s" do
    {url, counter} = unavailable_server(2)
    pb = Client.new(url, retries: @quick)
    assert {:ok, %{"code" => 200}} = Bosbase.Health.check(pb)
    assert :counters.get(counter, 1) == 3
  end

  test "off by default; a call's :retries and :idempotent retry a POST" do
    {url, counter} = unavailable_server(1)
    pb = Client.new(url)

    assert {:error, %ClientResponseError{status: 503, attempts: 1}} = Bosbase.Health.check(pb)

    {url, counter2} = unavailable_server(1)
    pb = Client.new(url)

    assert {:error, %ClientResponseError{status: 503, attempts: 1}} =
             Client.send(pb, "/api/x", method: :post, body: %{}, retries: @quick)

    {url, counter3} = unavailable_server(1)
    pb = Client.new(url)

    assert {:ok, _} =
             Client.send(pb, "/api/x", method: :post, body: %{}, retries: 2, idempotent: true)

    assert {:error, %ClientResponseError{kind: "invalid_argument"}} = Client.new(url, retries: -1)

    assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
             Client.new(url, retries: %{max_attempts: 0})

    assert Enum.map([counter, counter2, counter3], &:counters.get(&1, 1)) == [1, 1, 2]
  end
end
