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
      pb = Client.new("http://127.0.0.1:#{port}", timeout: 300)

      assert {:error, %ClientResponseError{kind: "timeout", is_abort: true, status: 0}} =
               Client.send(pb, "/api/health")

      :gen_tcp.close(listener)
    end
  end

  describe "bad input from Elixir" do
    setup do
      %{pb: client()}
    end

    test "non-binary arguments are invalid_argument errors, never raises", %{pb: pb} do
      users = Client.collection(pb, "users")

      for reply <- [
            Client.new(:url),
            Client.new("http://x", lang: 1),
            Client.collection(pb, :users),
            Client.collection(:not_a_client, "users"),
            Client.send(pb, ~c"/api/health"),
            Client.close(:not_a_client),
            RecordService.auth_with_token(users, 42),
            RecordService.bind_custom_token(users, "a@b.c", nil, "t"),
            RecordService.unbind_custom_token(users, "a@b.c", "p", :t),
            RecordService.auth_with_password(users, "a", ~c"pw"),
            RecordService.send(users, ~c"/records"),
            RecordService.send(%{}, "/records"),
            RecordService.auth_refresh(%RecordService{client: pb, collection: 1}),
            AuthStore.token(nil),
            AuthStore.record(:x),
            AuthStore.export(1),
            AuthStore.clear("pb"),
            AuthStore.save(pb, 1, nil),
            AuthStore.save(pb, "t", [:not_a_map]),
            AuthStore.import_json(pb, %{})
          ] do
        assert {:error, %ClientResponseError{kind: "invalid_argument", status: 0}} = reply
      end

      refute AuthStore.valid?(nil)
    end

    test "a password with a wrong type is not echoed", %{pb: pb} do
      users = Client.collection(pb, "users")

      assert {:error, error} = RecordService.auth_with_password(users, "a", ~c"secret-pw")
      assert error.message =~ "password"
      refute inspect(error) =~ "secret-pw"
    end

    test "invalid UTF-8 is an invalid_argument error from the core", %{pb: pb} do
      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               pb |> Client.collection(<<0xFF, 0xFE>>) |> RecordService.auth_with_token("t")

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               pb |> Client.collection("users") |> RecordService.auth_with_token(<<"tok", 0xC3>>)
    end

    test "invalid UTF-8 in a body is refused without echoing it", %{pb: pb} do
      users = Client.collection(pb, "users")
      body = %{"token" => <<"secret", 0xFF>>}

      assert {:error, %ClientResponseError{kind: "invalid_argument"} = error} =
               RecordService.send(users, "/x", method: :post, body: body)

      refute inspect(error) =~ "secret"
    end

    test "NUL bytes, which C would truncate, are refused", %{pb: pb} do
      users = Client.collection(pb, "users")

      assert {:error, %ClientResponseError{kind: "invalid_argument", message: message}} =
               RecordService.auth_with_token(users, "abc\0secret")

      assert message =~ "token"
      refute message =~ "secret"
    end

    test "unknown options and methods are refused", %{pb: pb} do
      users = Client.collection(pb, "users")

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               RecordService.send(users, "/records", %{bodyy: %{}})

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               RecordService.auth_with_token(users, "t", method: :post)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               RecordService.send(users, "/records", [:oops])

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               RecordService.send(users, "/records", method: :brew)
    end

    test "headers the transport owns, and control characters, are refused", %{pb: pb} do
      for headers <- [%{"Content-Length" => "1"}, %{"Host" => "x"}, %{"X-A" => "a\u0001b"}] do
        assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
                 Client.send(pb, "/api/health", headers: headers)
      end
    end

    test "a forged handle is an error, not a crash" do
      forged = %Client{ref: make_ref(), base_url: "http://x"}

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               forged |> Client.collection("users") |> RecordService.auth_refresh()

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} = AuthStore.token(forged)
      assert {:error, %ClientResponseError{kind: "invalid_argument"}} = Client.close(forged)
      refute AuthStore.valid?(forged)
      assert {:error, :badarg} = Bosbase.Native.auth_store_token(:nope)
      assert {:error, :badarg} = Bosbase.Native.send_start(make_ref(), nil, "/", nil)
    end
  end

  describe "one error type" do
    test "an {:error, _} in the client's place comes back unchanged through a pipeline" do
      assert {:error, %ClientResponseError{} = error} = Client.new("http://127.0.0.1:0")
      failed = {:error, error}

      assert ^failed = failed |> Client.collection("users") |> RecordService.send("/records")
      assert ^failed = failed |> Client.collection("users") |> RecordService.auth_refresh()
      assert ^failed = RecordService.auth_with_token(failed, "t")
      assert ^failed = Client.send(failed, "/api/health")
      assert ^failed = Client.close(failed)
      assert ^failed = AuthStore.token(failed)
      assert ^failed = AuthStore.record(failed)
      assert ^failed = AuthStore.export(failed)
      assert ^failed = AuthStore.clear(failed)
      assert ^failed = AuthStore.save(failed, "t", nil)
      assert ^failed = AuthStore.import_json(failed, "{}")
    end

    test "the auth store refuses non-object imports and leaves the login alone" do
      pb = client()
      :ok = AuthStore.save(pb, "kept", %{"id" => "1"})

      for json <- ["[]", "null", "\"token\"", "{not json"] do
        assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
                 AuthStore.import_json(pb, json)
      end

      assert AuthStore.token(pb) == "kept"
    end
  end

  describe "closed client" do
    test "every call returns kind closed, auth store included; close is idempotent" do
      pb = client()
      :ok = AuthStore.save(pb, "t", nil)
      users = Client.collection(pb, "users")
      assert :ok = Client.close(pb)
      assert :ok = Client.close(pb)

      assert {:error, %ClientResponseError{kind: "closed", status: 0, message: message}} =
               RecordService.auth_with_token(users, "t")

      assert message == "the client is closed"

      for reply <- [
            Client.send(pb, "/api/health"),
            RecordService.send(users, "/records"),
            RecordService.bind_custom_token(users, "a@b.c", "p", "t"),
            RecordService.unbind_custom_token(users, "a@b.c", "p", "t"),
            RecordService.auth_with_password(users, "a@b.c", "p"),
            RecordService.auth_refresh(users),
            AuthStore.token(pb),
            AuthStore.record(pb),
            AuthStore.export(pb),
            AuthStore.clear(pb),
            AuthStore.save(pb, "t", nil),
            AuthStore.import_json(pb, "{}")
          ] do
        assert {:error, %ClientResponseError{kind: "closed", status: 0}} = reply
      end

      refute AuthStore.valid?(pb)
    end
  end
end
