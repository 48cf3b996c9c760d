defmodule Bosbase.ErrorsTest do
  # Failures reach Elixir as values or ArgumentError, never as a VM crash.
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  describe "server answers" do
    test "validation data reaches the caller intact" do
      users = Client.collection(client(), "users")
      body = %{"email" => "not-an-email", "password" => "1", "passwordConfirm" => "1"}

      assert {:error, %ClientResponseError{kind: "http", status: 400, response: response}} =
               RecordService.send(users, "/records", method: :post, body: body)

      assert %{"email" => %{"code" => email_code}, "password" => %{"code" => _}} =
               response["data"]

      assert is_binary(email_code)
    end

    test "an unknown collection is a 404" do
      assert {:error, %ClientResponseError{kind: "http", status: 404}} =
               client()
               |> Client.collection("no_such_collection")
               |> RecordService.send("/records")
    end
  end

  describe "no server" do
    test "a refused connection is kind network, status 0" do
      pb = Client.new(closed_port_url())

      assert {:error, %ClientResponseError{kind: "network", status: 0, is_abort: false} = error} =
               pb |> Client.collection("users") |> RecordService.auth_with_token("t")

      assert error.url =~ "/api/collections/users/auth-with-token"
      assert Exception.message(error) != ""
    end

    test "a server that never answers is kind timeout, is_abort true" do
      {:ok, listener} = :gen_tcp.listen(0, ip: {127, 0, 0, 1}, backlog: 16)
      {:ok, port} = :inet.port(listener)
      pb = Client.new("http://127.0.0.1:#{port}", timeout_ms: 300)

      assert {:error, %ClientResponseError{kind: "timeout", is_abort: true, status: 0}} =
               Client.send(pb, "/api/health")

      :gen_tcp.close(listener)
    end
  end

  describe "bad input from Elixir" do
    setup do
      %{pb: client()}
    end

    test "non-binary arguments raise ArgumentError", %{pb: pb} do
      users = Client.collection(pb, "users")
      assert_raise ArgumentError, fn -> Client.new(:url) end
      assert_raise ArgumentError, fn -> Client.new("http://x", lang: 1) end
      assert_raise ArgumentError, fn -> Client.collection(pb, :users) end
      assert_raise ArgumentError, fn -> Client.collection(:not_a_client, "users") end
      assert_raise ArgumentError, fn -> RecordService.auth_with_token(users, 42) end

      assert_raise ArgumentError, fn ->
        RecordService.bind_custom_token(users, "a@b.c", nil, "t")
      end

      assert_raise ArgumentError, fn -> RecordService.send(users, ~c"/records") end
      assert_raise ArgumentError, fn -> RecordService.send(%{}, "/records") end
      assert_raise ArgumentError, fn -> AuthStore.token(nil) end
    end

    test "a password with a wrong type is not echoed", %{pb: pb} do
      users = Client.collection(pb, "users")

      error =
        assert_raise ArgumentError, fn ->
          RecordService.auth_with_password(users, "a", ~c"secret-pw")
        end

      refute Exception.message(error) =~ "secret-pw"
    end

    test "invalid UTF-8 is an invalid_argument error from the core", %{pb: pb} do
      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               pb |> Client.collection(<<0xFF, 0xFE>>) |> RecordService.auth_with_token("t")

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               pb |> Client.collection("users") |> RecordService.auth_with_token(<<"tok", 0xC3>>)
    end

    test "invalid UTF-8 in a body raises without echoing it", %{pb: pb} do
      users = Client.collection(pb, "users")
      body = %{"token" => <<"secret", 0xFF>>}

      error =
        assert_raise ArgumentError, fn ->
          RecordService.send(users, "/x", method: :post, body: body)
        end

      refute Exception.message(error) =~ "secret"
    end

    test "NUL bytes, which C would truncate, are refused", %{pb: pb} do
      users = Client.collection(pb, "users")
      assert_raise ArgumentError, fn -> RecordService.auth_with_token(users, "abc\0def") end
    end

    test "unknown options and methods are refused", %{pb: pb} do
      users = Client.collection(pb, "users")
      assert_raise ArgumentError, fn -> RecordService.send(users, "/records", %{bodyy: %{}}) end

      assert_raise ArgumentError, fn ->
        RecordService.auth_with_token(users, "t", method: :post)
      end

      assert_raise ArgumentError, fn -> RecordService.send(users, "/records", [:oops]) end

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               RecordService.send(users, "/records", method: :brew)
    end

    test "a forged handle raises ArgumentError" do
      forged = %Client{ref: make_ref(), base_url: "http://x"}

      assert_raise ArgumentError, fn ->
        forged |> Client.collection("users") |> RecordService.auth_refresh()
      end

      assert_raise ArgumentError, fn -> Bosbase.Native.auth_store_token(:nope) end
      assert_raise ArgumentError, fn -> Bosbase.Native.send(make_ref(), "/", nil) end
    end

    test "a closed client gives errors, not crashes", %{pb: pb} do
      users = Client.collection(pb, "users")
      assert :ok = Client.close(pb)
      assert :ok = Client.close(pb)

      assert {:error,
              %ClientResponseError{kind: "invalid_argument", message: "the client is closed"}} =
               RecordService.auth_with_token(users, "t")

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               Client.send(pb, "/api/health")

      assert_raise ArgumentError, fn -> AuthStore.token(pb) end
      assert_raise ArgumentError, fn -> AuthStore.valid?(pb) end
      assert_raise ArgumentError, fn -> AuthStore.import_json(pb, "{}") end
    end
  end
end
