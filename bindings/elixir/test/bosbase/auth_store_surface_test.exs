defmodule Bosbase.AuthStoreSurfaceTest do
  # is_superuser, the cookie form, and change messages to a pid.
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  defp login(pb, key) do
    {email, password} = account(key)

    {:ok, auth} =
      pb |> Client.collection(key) |> RecordService.auth_with_password(email, password)

    auth
  end

  describe "superuser?/1" do
    test "true for a _superusers login only" do
      pb = client()
      refute AuthStore.superuser?(pb)
      login(pb, "users")
      refute AuthStore.superuser?(pb)
      login(pb, "_superusers")
      assert AuthStore.superuser?(pb)
      refute AuthStore.superuser?(:not_a_client)
      :ok = Client.close(pb)
      refute AuthStore.superuser?(pb)
    end
  end

  describe "cookies" do
    test "export_to_cookie/2 and load_from_cookie/3 round-trip the login" do
      pb = client()
      auth = login(pb, "users")
      cookie = AuthStore.export_to_cookie(pb)
      assert "pb_auth=" <> _ = cookie

      for attr <- ["Path=/", "Expires=", "HttpOnly", "Secure", "SameSite=Strict"],
          do: assert(cookie =~ attr)

      [pair | _] = String.split(cookie, ";")
      other = client()
      assert :ok = AuthStore.load_from_cookie(other, "theme=dark; " <> pair)
      assert AuthStore.token(other) == auth["token"]
      assert AuthStore.record(other)["email"] == auth["record"]["email"]

      # The loaded login works for requests.
      assert {:ok, %{"id" => id}} =
               other |> Client.collection("users") |> RecordService.get_one(auth["record"]["id"])

      assert id == auth["record"]["id"]

      # A header without the cookie signs out; a broken one clears and is an error.
      assert :ok = AuthStore.load_from_cookie(other, "theme=dark")
      assert AuthStore.token(other) == ""
      :ok = AuthStore.load_from_cookie(other, pair)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               AuthStore.load_from_cookie(other, "pb_auth=not-json")

      assert AuthStore.token(other) == ""
    end

    test "cookie options and a custom key" do
      pb = client()
      login(pb, "users")

      cookie =
        AuthStore.export_to_cookie(pb,
          key: "sess",
          same_site: "Lax",
          http_only: false,
          secure: false,
          domain: "example.com",
          path: "/app"
        )

      assert "sess=" <> _ = cookie
      assert cookie =~ "SameSite=Lax" and cookie =~ "Domain=example.com" and cookie =~ "Path=/app"
      refute cookie =~ "HttpOnly"
      refute cookie =~ "Secure"

      [pair | _] = String.split(cookie, ";")
      other = client()
      assert :ok = AuthStore.load_from_cookie(other, pair, "sess")
      assert AuthStore.token(other) == AuthStore.token(pb)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               AuthStore.export_to_cookie(pb, colour: "red")

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               AuthStore.export_to_cookie(pb, secure: "yes")
    end
  end

  describe "subscribe/2" do
    test "changes arrive in order, the last one the final state; unsubscribe stops them" do
      pb = client()
      assert {:ok, ref} = AuthStore.subscribe(pb)

      for n <- 1..20, do: :ok = AuthStore.save(pb, "token-#{n}", %{"id" => "r#{n}"})
      :ok = AuthStore.clear(pb)

      for n <- 1..20 do
        assert_receive {:bosbase_auth_change, ^ref, %{token: token, record: %{"id" => id}}}
        assert token == "token-#{n}" and id == "r#{n}"
      end

      assert_receive {:bosbase_auth_change, ^ref, %{token: "", record: nil}}
      assert :ok = AuthStore.unsubscribe(pb, ref)
      :ok = AuthStore.save(pb, "after", nil)
      refute_receive {:bosbase_auth_change, ^ref, _}, 200
      assert :ok = AuthStore.unsubscribe(pb, ref), "a second unsubscribe is fine"
    end

    test "a login from a network call (a core worker thread) is delivered" do
      pb = client()
      {:ok, ref} = AuthStore.subscribe(pb)
      auth = login(pb, "users")
      assert_receive {:bosbase_auth_change, ^ref, %{token: token, record: record}}, 5_000
      assert token == auth["token"] and record["email"] == auth["record"]["email"]
      :ok = AuthStore.unsubscribe(pb, ref)
    end

    test "another pid, several subscribers, changes from many processes keep the store's order" do
      pb = client()
      parent = self()

      collector =
        spawn_link(fn ->
          receive do
            :go -> :ok
          end

          send(parent, {:collected, collect([])})
        end)

      {:ok, ref1} = AuthStore.subscribe(pb, collector)
      {:ok, ref2} = AuthStore.subscribe(pb)

      1..4
      |> Enum.map(fn w ->
        Task.async(fn -> for n <- 1..25, do: AuthStore.save(pb, "t#{w}-#{n}", nil) end)
      end)
      |> Enum.each(&Task.await/1)

      :ok = AuthStore.save(pb, "final", nil)
      mine = for _ <- 1..101, do: receive_change(ref2)
      assert List.last(mine) == "final"
      :ok = AuthStore.unsubscribe(pb, ref1)
      send(collector, :go)
      assert_receive {:collected, theirs}, 5_000
      assert Enum.map(theirs, fn {:bosbase_auth_change, ^ref1, %{token: t}} -> t end) == mine

      # Per writer, its own saves in its own order.
      for w <- 1..4 do
        own = Enum.filter(mine, &String.starts_with?(&1, "t#{w}-"))
        assert own == for(n <- 1..25, do: "t#{w}-#{n}")
      end

      :ok = AuthStore.unsubscribe(pb, ref2)
    end

    test "no message once unsubscribe returns, even with changes still coming" do
      pb = client()
      {:ok, ref} = AuthStore.subscribe(pb)
      saver = spawn_link(fn -> save_loop(pb, 0) end)
      assert_receive {:bosbase_auth_change, ^ref, _}, 5_000
      :ok = AuthStore.unsubscribe(pb, ref, flush: true)
      refute_received {:bosbase_auth_change, ^ref, _}
      refute_receive {:bosbase_auth_change, ^ref, _}, 200
      Process.unlink(saver)
      Process.exit(saver, :kill)
    end

    test "a subscriber that dies ends its subscription; a pid already dead is fine" do
      pb = client()
      parent = self()

      pid =
        spawn(fn ->
          {:ok, ref} = AuthStore.subscribe(pb)
          send(parent, {:ref, ref})

          receive do
            :die -> :ok
          end
        end)

      assert_receive {:ref, _ref}
      assert Bosbase.Native.auth_store_listeners(pb.ref) == 1
      send(pid, :die)
      assert eventually(fn -> Bosbase.Native.auth_store_listeners(pb.ref) == 0 end)
      :ok = AuthStore.save(pb, "still fine", nil)

      dead = spawn(fn -> :ok end)
      dmref = Process.monitor(dead)
      assert_receive {:DOWN, ^dmref, _, _, _}
      assert {:ok, ref2} = AuthStore.subscribe(pb, dead)
      :ok = AuthStore.save(pb, "to nobody", nil)

      assert eventually(fn ->
               Bosbase.Native.auth_store_unsubscribe(pb.ref, ref2) == {:error, :not_found}
             end)
    end

    test "close ends delivery; unsubscribe after close is fine; bad arguments" do
      pb = client()
      {:ok, ref} = AuthStore.subscribe(pb)
      :ok = Client.close(pb)
      assert :ok = AuthStore.unsubscribe(pb, ref)
      assert {:error, %ClientResponseError{kind: "closed"}} = AuthStore.subscribe(pb)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
               AuthStore.subscribe(client(), :me)

      assert {:error, %ClientResponseError{kind: "invalid_argument"}} = AuthStore.subscribe(:pb)
    end
  end

  defp receive_change(ref) do
    assert_receive {:bosbase_auth_change, ^ref, %{token: t}}, 5_000
    t
  end

  defp collect(acc) do
    receive do
      {:bosbase_auth_change, _, _} = m -> collect([m | acc])
    after
      200 -> Enum.reverse(acc)
    end
  end

  defp save_loop(pb, n) do
    :ok = AuthStore.save(pb, "loop-#{n}", nil)
    save_loop(pb, n + 1)
  end
end
