defmodule Bosbase.TokenFlowTest do
  # Seed 000's flow against the real dev server, through send/3 and the typed functions.
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  defp post(service, path, body),
    do: RecordService.send(service, path, %{method: :post, body: body})

  defp creds(key, token) do
    {email, password} = account(key)
    %{"email" => email, "password" => password, "token" => token}
  end

  describe "send/3 (the seed's form)" do
    for {collection, key} <- [{"users", "users"}, {"_superusers", "_superusers"}] do
      test "bind, auth-with-token, unbind for #{collection}" do
        pb = client()
        {email, _} = account(unquote(key))
        token = Bosbase.generate_token()
        service = Client.collection(pb, unquote(collection))

        assert {:ok, nil} = post(service, "/bind-token", creds(unquote(key), token))

        assert {:ok, auth} = post(service, "/auth-with-token", %{"token" => token})
        assert is_binary(auth["token"]) and auth["token"] != ""
        assert auth["record"]["email"] == email
        # send/3 is the raw form: it never saves into the auth store.
        assert AuthStore.token(pb) == ""

        assert {:ok, nil} = post(service, "/unbind-token", creds(unquote(key), token))

        assert {:error, %ClientResponseError{kind: "http", status: 400} = error} =
                 post(service, "/auth-with-token", %{"token" => token})

        assert error.response["message"] == "Failed to authenticate."
      end
    end

    test "the collection is enforced at login" do
      pb = client()
      token = Bosbase.generate_token()
      assert {:ok, _} = post(Client.collection(pb, "users"), "/bind-token", creds("users", token))

      assert {:error, %ClientResponseError{status: 400}} =
               post(Client.collection(pb, "_superusers"), "/auth-with-token", %{"token" => token})
    end

    test "a wrong password fails without leaking secrets" do
      token = Bosbase.generate_token()
      body = %{"email" => "user@example.com", "password" => "wrong-secret-pw", "token" => token}

      assert {:error, %ClientResponseError{kind: "http", status: 400} = error} =
               post(Client.collection(client(), "users"), "/bind-token", body)

      assert error.response["message"] == "Failed to bind token."
      shown = inspect(error) <> Exception.message(error)
      refute shown =~ "wrong-secret-pw"
      refute shown =~ token
    end
  end

  describe "typed functions" do
    for {collection, key} <- [{"users", "users"}, {"_superusers", "_superusers"}] do
      test "bind_custom_token/auth_with_token/unbind_custom_token for #{collection}" do
        pb = client()
        {email, password} = account(unquote(key))
        token = Bosbase.generate_token()
        service = Client.collection(pb, unquote(collection))

        assert {:ok, true} = RecordService.bind_custom_token(service, email, password, token)
        assert AuthStore.token(pb) == "", "bind must not touch the auth store"

        assert {:ok, %{"token" => auth_token, "record" => record}} =
                 RecordService.auth_with_token(service, token)

        assert record["email"] == email
        assert AuthStore.token(pb) == auth_token
        assert AuthStore.record(pb)["email"] == email
        assert AuthStore.valid?(pb)

        assert {:ok, true} =
                 RecordService.unbind_custom_token(service, email, password, token, %{})

        assert {:error, %ClientResponseError{status: 400}} =
                 RecordService.auth_with_token(service, token)
      end
    end

    test "rebinding a token moves it to the other user" do
      service = Client.collection(client(), "users")
      token = Bosbase.generate_token()
      {email1, password1} = account("users")
      {email2, password2} = account("users2")

      assert {:ok, true} = RecordService.bind_custom_token(service, email1, password1, token)
      assert {:ok, true} = RecordService.bind_custom_token(service, email2, password2, token, [])
      assert {:ok, auth} = RecordService.auth_with_token(service, token)
      assert auth["record"]["email"] == email2
    end

    test "auth_with_password, auth_refresh and the Authorization header from the store" do
      pb = client()
      service = Client.collection(pb, "users")
      {email, password} = account("users")

      assert {:ok, auth} = RecordService.auth_with_password(service, email, password)
      id = auth["record"]["id"]
      # users may only view themselves: this only works with the stored token sent along.
      assert {:ok, %{"email" => ^email}} = RecordService.send(service, "/records/" <> id)

      assert {:ok, refreshed} = RecordService.auth_refresh(service, %{})
      assert refreshed["record"]["id"] == id
      assert AuthStore.token(pb) == refreshed["token"]

      assert :ok = AuthStore.clear(pb)
      assert AuthStore.token(pb) == ""
      assert AuthStore.record(pb) == nil
      refute AuthStore.valid?(pb)

      assert {:error, %ClientResponseError{status: 404}} =
               RecordService.send(service, "/records/" <> id)
    end

    test "opts reach the server: fields limits the record" do
      {email, password} = account("users")
      service = Client.collection(client(), "users")

      assert {:ok, %{"record" => record}} =
               RecordService.auth_with_password(service, email, password,
                 fields: "token,record.email"
               )

      assert record == %{"email" => email}
    end

    test "export/import_json carries a login to another client" do
      pb = client()
      {email, password} = account("users")
      {:ok, _} = RecordService.auth_with_password(Client.collection(pb, "users"), email, password)

      json = AuthStore.export(pb)
      other = client()
      assert :ok = AuthStore.import_json(other, json)
      assert AuthStore.token(other) == AuthStore.token(pb)
      assert AuthStore.record(other)["email"] == email
      assert AuthStore.valid?(other)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               AuthStore.import_json(other, "{not json")
    end

    test "save/3 stores a login obtained elsewhere" do
      pb = client()
      assert :ok = AuthStore.save(pb, "not-a-jwt", %{"id" => "abc", "email" => "x@example.com"})
      assert AuthStore.token(pb) == "not-a-jwt"
      assert AuthStore.record(pb) == %{"id" => "abc", "email" => "x@example.com"}
      refute AuthStore.valid?(pb), "a token without a valid exp is not valid"
    end
  end

  test "generate_token/0 gives distinct 43-character URL-safe tokens" do
    tokens = for _ <- 1..100, do: Bosbase.generate_token()
    assert length(Enum.uniq(tokens)) == 100
    assert Enum.all?(tokens, &(&1 =~ ~r/\A[A-Za-z0-9_-]{43}\z/))
  end

  test "Client.send/3 reaches any path" do
    assert {:ok, %{"code" => 200}} = Client.send(client(), "/api/health")
  end
end
