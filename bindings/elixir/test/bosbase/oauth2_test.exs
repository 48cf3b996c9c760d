defmodule Bosbase.OAuth2Test do
  # The all-in-one OAuth2 sign-in against the test server, with scripts/oauth2-provider as
  # its "oidc" provider (started here in its harness mode: it prints the provider's name,
  # then serves until its stdin closes) and as the browser (`browse URL`: GET the
  # authorization URL, follow the redirect to the server's /api/oauth2-redirect).
  use ExUnit.Case, async: false

  alias Bosbase.{AuthStore, Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  @script Path.expand("../../../../scripts/oauth2-provider", __DIR__)
  @email "oauth2-user@example.com"

  setup_all do
    port =
      Port.open({:spawn_executable, @script}, [
        :binary,
        {:line, 256},
        env: [{~c"BOSBASE_URL", String.to_charlist(url())}]
      ])

    provider =
      receive do
        {^port, {:data, {:eol, name}}} -> name
      after
        30_000 -> flunk("the OAuth2 provider did not start")
      end

    # Closing the port closes the provider's stdin: it stops.
    on_exit(fn -> if Port.info(port), do: Port.close(port) end)
    %{provider: provider}
  end

  defp browse(url), do: elem(System.cmd(@script, ["browse", url], stderr_to_stdout: true), 1)
  defp users(pb), do: Client.collection(pb, "users")

  test "signs in through the provider and saves the login", %{provider: provider} do
    pb = client()
    me = self()

    open_url = fn url ->
      send(me, {:opened, self(), url})
      0 = browse(url)
      :ok
    end

    assert {:ok, auth} =
             RecordService.auth_with_oauth2(users(pb), provider, open_url,
               scopes: ["openid", "email"],
               timeout: 20_000
             )

    assert_received {:opened, ^me, url}
    assert url =~ "%2Fapi%2Foauth2-redirect" and url =~ "scope=openid%20email"
    assert auth["record"]["email"] == @email
    assert AuthStore.token(pb) == auth["token"]
  end

  test "a provider refusal is kind oauth2 and changes nothing", %{provider: provider} do
    pb = client()

    assert {:error, %ClientResponseError{kind: "oauth2", message: message}} =
             RecordService.auth_with_oauth2(
               users(pb),
               provider,
               fn url -> browse(url <> "&deny=1") end,
               timeout: 20_000
             )

    assert message =~ "access_denied"
    assert AuthStore.token(pb) == ""
  end

  test "an open_url error cancels; a late redirect saves nothing", %{provider: provider} do
    pb = client()
    me = self()

    open_url = fn url ->
      send(me, {:url, url})
      {:error, :no_browser}
    end

    assert {:error, %ClientResponseError{kind: "cancelled", message: message}} =
             RecordService.auth_with_oauth2(users(pb), provider, open_url, timeout: 20_000)

    assert message =~ "no_browser"
    assert_received {:url, url}
    browse(url)
    Process.sleep(300)
    assert AuthStore.token(pb) == ""
  end

  test "timeout, unknown provider and bad arguments", %{provider: provider} do
    pb = client()
    nothing = fn _ -> :ok end

    assert {:error, %ClientResponseError{kind: "timeout"}} =
             RecordService.auth_with_oauth2(users(pb), provider, nothing, timeout: 1_000)

    assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
             RecordService.auth_with_oauth2(users(pb), "nope", nothing)

    assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
             RecordService.auth_with_oauth2(users(pb), provider, :not_a_fun)

    assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
             RecordService.auth_with_oauth2(users(pb), provider, nothing, scopes: "openid")

    for opener <- [fn _ -> raise "boom" end, fn _ -> throw(:boom) end] do
      assert {:error, %ClientResponseError{kind: "cancelled", message: message}} =
               RecordService.auth_with_oauth2(users(pb), provider, opener, timeout: 20_000)

      assert message =~ "boom"
    end

    assert AuthStore.token(pb) == ""
  end
end
