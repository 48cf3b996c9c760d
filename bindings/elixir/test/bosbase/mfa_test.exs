defmodule Bosbase.MfaTest do
  # mfa_users has MFA on: the first method answers 401 {mfaId}; a second, different
  # method carrying that id finishes the login.
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  setup do
    pb = client()
    service = Client.collection(pb, "mfa_users")
    {email, password} = account("mfa_users")
    token = Bosbase.generate_token()
    {:ok, true} = RecordService.bind_custom_token(service, email, password, token)
    %{pb: pb, service: service, email: email, password: password, token: token}
  end

  test "token first, then password with the mfaId", ctx do
    assert {:error,
            %ClientResponseError{kind: "mfa_required", status: 401, mfa_id: mfa_id} = error} =
             RecordService.auth_with_token(ctx.service, ctx.token)

    assert is_binary(mfa_id) and mfa_id != ""
    assert error.response["mfaId"] == mfa_id
    assert AuthStore.token(ctx.pb) == "", "a half-finished login stores nothing"

    assert {:ok, auth} =
             RecordService.auth_with_password(ctx.service, ctx.email, ctx.password, %{
               mfa_id: mfa_id
             })

    assert auth["record"]["email"] == ctx.email
    assert AuthStore.token(ctx.pb) == auth["token"]
  end

  test "send/3 reports mfa_required too, and mfaId works as an option key", ctx do
    assert {:error, %ClientResponseError{kind: "mfa_required", mfa_id: mfa_id}} =
             RecordService.send(ctx.service, "/auth-with-token", %{
               method: :post,
               body: %{"token" => ctx.token}
             })

    assert {:ok, %{"record" => %{"email" => email}}} =
             RecordService.auth_with_password(ctx.service, ctx.email, ctx.password, %{
               "mfaId" => mfa_id
             })

    assert email == ctx.email
  end

  test "a wrong mfaId is refused", ctx do
    assert {:error, %ClientResponseError{kind: "mfa_required"}} =
             RecordService.auth_with_token(ctx.service, ctx.token)

    assert {:error, %ClientResponseError{status: status}} =
             RecordService.auth_with_password(ctx.service, ctx.email, ctx.password, mfa_id: "nope")

    assert status in 400..499
  end
end
