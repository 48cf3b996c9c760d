defmodule Bosbase.TLSTest do
  # HTTPS against scripts/tls-fixture's server on 127.0.0.1 (its CA is generated at start).
  # Excluded, with a message from test_helper.exs, only when BOSBASE_TLS_URL is unset;
  # `make elixir-test` runs the suite under scripts/tls-fixture with BOSBASE_REQUIRE_TLS=1.
  use ExUnit.Case, async: true

  alias Bosbase.{Client, ClientResponseError}

  @moduletag :tls

  setup_all do
    %{
      url: System.fetch_env!("BOSBASE_TLS_URL"),
      wrong_host_url: System.fetch_env!("BOSBASE_TLS_WRONG_HOST_URL"),
      ca_file: System.fetch_env!("BOSBASE_TLS_CA_FILE")
    }
  end

  test "trusted through :ca_file", ctx do
    pb = Client.new(ctx.url, ca_file: ctx.ca_file)
    assert {:ok, %{"code" => 200}} = Client.send(pb, "/api/health")
  end

  test "trusted through :ca_pem (the file's contents)", ctx do
    pb = Client.new(ctx.url, ca_pem: File.read!(ctx.ca_file))
    assert {:ok, %{"code" => 200}} = Client.send(pb, "/api/health")
  end

  test "without the CA: kind tls, status 0, unknown issuer", ctx do
    assert {:error, %ClientResponseError{kind: "tls", status: 0} = error} =
             ctx.url |> Client.new() |> Client.send("/api/health")

    assert error.message =~ "unknown issuer"
  end

  test "a host name the certificate lacks: kind tls, name mismatch", ctx do
    pb = Client.new(ctx.wrong_host_url, ca_file: ctx.ca_file)

    assert {:error, %ClientResponseError{kind: "tls", status: 0, message: message}} =
             Client.send(pb, "/api/health")

    assert message =~ "name mismatch"
  end

  test ":danger_accept_invalid_certs accepts the untrusted certificate", ctx do
    pb = Client.new(ctx.url, danger_accept_invalid_certs: true)
    assert {:ok, %{"code" => 200}} = Client.send(pb, "/api/health")

    pb = Client.new(ctx.wrong_host_url, danger_accept_invalid_certs: true)
    assert {:ok, %{"code" => 200}} = Client.send(pb, "/api/health")
  end
end
