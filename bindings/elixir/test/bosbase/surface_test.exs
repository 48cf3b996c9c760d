defmodule Bosbase.SurfaceTest do
  # The PocketBase surface through the generated functions (lib/bosbase/operations_gen.ex)
  # against the dev server (or BOSBASE_URL): one describe per group.
  use ExUnit.Case, async: true

  alias Bosbase.{AuthStore, Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  defp login(key) do
    pb = client()
    {email, password} = account(key)
    collection = if key == "users2", do: "users", else: key

    {:ok, auth} =
      pb |> Client.collection(collection) |> RecordService.auth_with_password(email, password)

    {pb, auth["record"]}
  end

  defp unique(prefix), do: "#{prefix}_#{System.unique_integer([:positive])}"

  # GET of a URL's body with OTP's :httpc (the file URLs are plain HTTP downloads).
  defp download(url) do
    {:ok, _} = Application.ensure_all_started(:inets)

    {:ok, {{_, 200, _}, _headers, body}} =
      :httpc.request(:get, {String.to_charlist(url), []}, [], body_format: :binary)

    body
  end

  describe "auth" do
    test "listAuthMethods, password login, authRefresh keeps the static token" do
      pb = client()
      users = Client.collection(pb, "users")
      assert {:ok, %{"password" => %{"enabled" => true}}} = RecordService.list_auth_methods(users)

      {email, password} = account("users")

      assert {:ok, %{"token" => token, "record" => %{"email" => ^email}}} =
               RecordService.auth_with_password(users, email, password)

      assert AuthStore.token(pb) == token
      refute AuthStore.superuser?(pb)
      assert {:ok, %{"token" => ^token}} = RecordService.auth_refresh(users)
    end

    test "impersonate returns a new client acting as the user; the original stays superuser" do
      {admin, _} = login("_superusers")
      {_user_pb, user} = login("users")
      assert AuthStore.superuser?(admin)

      assert {:ok, %Client{} = as_user} =
               admin |> Client.collection("users") |> RecordService.impersonate(user["id"], 600)

      assert AuthStore.record(as_user)["id"] == user["id"]
      refute AuthStore.superuser?(as_user)
      assert AuthStore.valid?(as_user)
      assert AuthStore.superuser?(admin)

      # The new client is the user: owner rules apply, admin routes are refused.
      posts = Client.collection(as_user, "posts")

      assert {:ok, post} =
               RecordService.create(posts, %{"title" => "as user", "author" => user["id"]})

      assert post["author"] == user["id"]

      assert {:error, %ClientResponseError{kind: "http", status: status}} =
               Bosbase.Collections.get_list(as_user)

      assert status in [401, 403]
      assert {:ok, %{"items" => _}} = Bosbase.Collections.get_list(admin)
      assert :ok = Client.close(as_user)

      assert {:error, %ClientResponseError{kind: "closed"}} =
               RecordService.get_one(posts, post["id"])

      assert {:ok, _} = admin |> Client.collection("posts") |> RecordService.get_one(post["id"])
    end

    test "impersonate as a regular user is an http error, no client" do
      {pb, user} = login("users")

      assert {:error, %ClientResponseError{kind: "http"}} =
               pb |> Client.collection("users") |> RecordService.impersonate(user["id"])
    end

    test "MFA: password first, then a bound token with the mfaId" do
      pb = client()
      mfa = Client.collection(pb, "mfa_users")
      {email, password} = account("mfa_users")
      token = Bosbase.generate_token()
      {:ok, true} = RecordService.bind_custom_token(mfa, email, password, token)

      assert {:error, %ClientResponseError{kind: "mfa_required", mfa_id: mfa_id}} =
               RecordService.auth_with_password(mfa, email, password)

      assert AuthStore.token(pb) == ""

      assert {:ok, %{"record" => %{"email" => ^email}}} =
               RecordService.auth_with_token(mfa, token, mfa_id: mfa_id)

      assert AuthStore.record(pb)["email"] == email
      {:ok, true} = RecordService.unbind_custom_token(mfa, email, password, token)
    end

    test "account flows: requests answer true, bogus confirmations are http 400" do
      users = Client.collection(client(), "users")
      {email, _} = account("users")
      assert {:ok, true} = RecordService.request_verification(users, email)
      assert {:ok, true} = RecordService.request_password_reset(users, email)

      assert {:error, %ClientResponseError{kind: "http", status: 400}} =
               RecordService.confirm_verification(users, "bogus")

      assert {:error, %ClientResponseError{kind: "http", status: 400}} =
               RecordService.confirm_password_reset(
                 users,
                 "bogus",
                 "new-password1",
                 "new-password1"
               )

      mfa = Client.collection(client(), "mfa_users")
      {mfa_email, _} = account("mfa_users")
      assert {:ok, %{"otpId" => otp_id}} = RecordService.request_otp(mfa, mfa_email)

      assert {:error, %ClientResponseError{status: 400}} =
               RecordService.auth_with_otp(mfa, otp_id, "000000")
    end
  end

  describe "records" do
    test "create, getOne, getList with filter and sort, getFullList in batches, getFirstListItem, delete" do
      {pb, user} = login("users")
      posts = Client.collection(pb, "posts")
      tag = unique("rec")

      ids =
        for n <- 1..3 do
          {:ok, p} =
            RecordService.create(posts, %{
              "title" => "#{tag} #{n}",
              "body" => "b#{n}",
              "author" => user["id"]
            })

          p["id"]
        end

      assert {:ok, %{"title" => title}} = RecordService.get_one(posts, hd(ids))
      assert title == "#{tag} 1"

      {:ok, f} = Bosbase.filter("title ~ {:t}", %{t: tag})

      assert {:ok, %{"items" => items, "totalItems" => 3}} =
               RecordService.get_list(posts, 1, 2, filter: f, sort: "-title")

      assert Enum.map(items, & &1["title"]) == ["#{tag} 3", "#{tag} 2"]

      assert {:ok, all} = RecordService.get_full_list(posts, 2, filter: f, sort: "title")
      assert Enum.map(all, & &1["id"]) == ids

      {:ok, f2} = Bosbase.filter("title = {:t}", %{t: "#{tag} 2"})
      assert {:ok, %{"id" => id2}} = RecordService.get_first_list_item(posts, f2)
      assert id2 == Enum.at(ids, 1)

      {:ok, none} = Bosbase.filter("title = {:t}", %{t: "#{tag} none"})

      assert {:error, %ClientResponseError{kind: "http", status: 404}} =
               RecordService.get_first_list_item(posts, none)

      for id <- ids, do: assert({:ok, true} = RecordService.delete(posts, id))
      assert {:error, %ClientResponseError{status: 404}} = RecordService.get_one(posts, hd(ids))
    end

    test "owner rules: another user neither sees nor edits the post" do
      {pb, user} = login("users")
      {pb2, _} = login("users2")

      {:ok, post} =
        pb
        |> Client.collection("posts")
        |> RecordService.create(%{"title" => "mine", "author" => user["id"]})

      other = Client.collection(pb2, "posts")

      assert {:error, %ClientResponseError{status: 404}} =
               RecordService.get_one(other, post["id"])

      assert {:error, %ClientResponseError{status: 404}} =
               RecordService.update(other, post["id"], %{"title" => "x"})

      {:ok, f} = Bosbase.filter("id = {:id}", %{id: post["id"]})
      assert {:ok, %{"totalItems" => 0}} = RecordService.get_list(other, 1, 30, filter: f)

      # Creating a post for someone else is refused.
      assert {:error, %ClientResponseError{kind: "http", status: 400}} =
               RecordService.create(other, %{"title" => "forged", "author" => user["id"]})

      {:ok, true} = pb |> Client.collection("posts") |> RecordService.delete(post["id"])
    end

    test "updating the signed-in user's own record refreshes the stored record" do
      {pb, user} = login("users2")
      name = unique("name")

      assert {:ok, %{"name" => ^name}} =
               pb
               |> Client.collection("users")
               |> RecordService.update(user["id"], %{"name" => name})

      assert AuthStore.record(pb)["name"] == name
    end

    test "getCount reaches the server (the dev server may lack BosBase's route: a typed 404)" do
      {pb, _} = login("users")

      case pb |> Client.collection("posts") |> RecordService.get_count() do
        {:ok, n} -> assert is_integer(n) and n >= 0
        {:error, error} -> assert %ClientResponseError{kind: "http", status: 404} = error
      end
    end
  end

  describe "files" do
    @describetag :tmp_dir
    test "upload bytes and a path, fetch them back through files.getURL, files.getToken", %{
      tmp_dir: dir
    } do
      {pb, user} = login("users")
      posts = Client.collection(pb, "posts")
      bytes = :crypto.strong_rand_bytes(70_000)

      assert {:ok, post} =
               RecordService.create(posts, %{"title" => "bytes", "author" => user["id"]},
                 files: [{:bytes, "attachment", "blob.bin", bytes}]
               )

      assert post["attachment"] =~ ~r/^blob.*\.bin$/
      assert {:ok, url} = Bosbase.Files.get_url(pb, post, post["attachment"])
      assert download(url) == bytes

      path = Path.join(dir, "notes.txt")
      text = String.duplicate("streamed from disk\n", 5_000)
      File.write!(path, text)

      assert {:ok, updated} =
               RecordService.update(posts, post["id"], %{"title" => "path"},
                 files: [{:file, "attachment", path, content_type: "text/plain"}]
               )

      assert updated["title"] == "path"
      assert updated["attachment"] =~ ~r/^notes.*\.txt$/
      assert {:ok, url} = Bosbase.Files.get_url(pb, updated, updated["attachment"])
      assert download(url) == text

      # Large binaries (copied on a dirty CPU scheduler) go the same way.
      big = :crypto.strong_rand_bytes(1_000_000)

      assert {:ok, post2} =
               RecordService.create(posts, %{"title" => "big", "author" => user["id"]},
                 files: [{:bytes, "attachment", "big.bin", big}]
               )

      assert {:ok, url} = Bosbase.Files.get_url(pb, post2, post2["attachment"])
      assert download(url) == big

      assert {:ok, token} = Bosbase.Files.get_token(pb)
      assert is_binary(token) and token != ""
      assert {:ok, url} = Bosbase.Files.get_url(pb, post2, post2["attachment"], "", true, token)
      assert url =~ "download=" and url =~ "token="

      for id <- [post["id"], post2["id"]], do: {:ok, true} = RecordService.delete(posts, id)
    end

    test "calls with files on a closed client are refused as closed (small and dirty-copied parts)" do
      {pb, user} = login("users")
      posts = Client.collection(pb, "posts")
      :ok = Client.close(pb)

      for size <- [10, 2_000_000] do
        assert {:error, %ClientResponseError{kind: "closed"}} =
                 RecordService.create(posts, %{"title" => "x", "author" => user["id"]},
                   files: [{:bytes, "attachment", "a.bin", :binary.copy(<<1>>, size)}]
                 )
      end
    end

    test "bad parts are invalid_argument before any request; an unreadable path is reported by the call" do
      {pb, user} = login("users")
      posts = Client.collection(pb, "posts")
      data = %{"title" => "x", "author" => user["id"]}

      for bad <- [
            [{:bytes, "attachment", "a.bin", :nope}],
            [{:file, "attachment"}],
            [{:file, "attachment", "/x", colour: "red"}],
            :nope
          ] do
        assert {:error, %ClientResponseError{kind: "invalid_argument"}} =
                 RecordService.create(posts, data, files: bad)
      end

      assert {:error, %ClientResponseError{kind: "invalid_argument", message: m}} =
               RecordService.create(posts, data,
                 files: [{:file, "attachment", "/nonexistent/file.txt"}]
               )

      assert m =~ "attachment"
      refute m =~ "nonexistent"
    end
  end

  describe "batch" do
    setup do
      {admin, _} = login("_superusers")

      {:ok, _} =
        Bosbase.Settings.update(admin, %{
          "batch" => %{"enabled" => true, "maxRequests" => 50, "timeout" => 3, "maxBodySize" => 0}
        })

      :ok
    end

    test "create 2 + update 1 in one request; a failing item rolls the whole batch back" do
      {pb, user} = login("users")
      posts = Client.collection(pb, "posts")
      tag = unique("batch")

      {:ok, existing} =
        RecordService.create(posts, %{"title" => "#{tag} old", "author" => user["id"]})

      requests = [
        %{
          "action" => "create",
          "collection" => "posts",
          "data" => %{"title" => "#{tag} a", "author" => user["id"]}
        },
        %{
          "action" => "create",
          "collection" => "posts",
          "data" => %{"title" => "#{tag} b", "author" => user["id"]}
        },
        %{
          "action" => "update",
          "collection" => "posts",
          "id" => existing["id"],
          "data" => %{"title" => "#{tag} new"}
        }
      ]

      assert {:ok, [%{"status" => 200} = a, %{"status" => 200}, %{"status" => 200} = u]} =
               Bosbase.Batch.send(pb, requests)

      assert a["body"]["title"] == "#{tag} a"
      assert u["body"]["title"] == "#{tag} new"

      {:ok, f} = Bosbase.filter("title ~ {:t}", %{t: tag})
      assert {:ok, all} = RecordService.get_full_list(posts, 100, filter: f)
      assert length(all) == 3

      failing = [
        %{
          "action" => "create",
          "collection" => "posts",
          "data" => %{"title" => "#{tag} c", "author" => user["id"]}
        },
        %{
          "action" => "create",
          "collection" => "posts",
          "data" => %{"title" => "#{tag} no author"}
        }
      ]

      assert {:error, %ClientResponseError{kind: "http", status: 400}} =
               Bosbase.Batch.send(pb, failing)

      assert {:ok, again} = RecordService.get_full_list(posts, 100, filter: f)
      assert length(again) == 3

      for r <- again, do: {:ok, true} = RecordService.delete(posts, r["id"])
    end
  end

  # BosBase (build d8bc341) refuses to change a collection for about 2 s after creating it
  # (400 "relation ... already exists"; a server bug, noted in issue 15). PocketBase does
  # not. Retries that refusal only, for at most 5 s.
  defp fresh_collection_retry(call, deadline \\ System.monotonic_time(:millisecond) + 5_000) do
    case call.() do
      {:error, %ClientResponseError{status: 400, message: message}} = error ->
        if message =~ "already exists" and System.monotonic_time(:millisecond) < deadline do
          Process.sleep(250)
          fresh_collection_retry(call, deadline)
        else
          error
        end

      other ->
        other
    end
  end

  describe "admin" do
    test "collections on a throw-away collection: create, getOne, update, truncate, delete" do
      {admin, _} = login("_superusers")
      name = unique("tmp_elixir")

      assert {:ok, %{"name" => ^name, "id" => id}} =
               Bosbase.Collections.create(admin, %{
                 "name" => name,
                 "type" => "base",
                 "fields" => [%{"name" => "label", "type" => "text"}]
               })

      assert {:ok, %{"id" => ^id}} = Bosbase.Collections.get_one(admin, name)

      assert {:ok, %{"listRule" => ""}} =
               fresh_collection_retry(fn ->
                 Bosbase.Collections.update(admin, name, %{"listRule" => ""})
               end)

      tmp = Client.collection(admin, name)
      {:ok, _} = RecordService.create(tmp, %{"label" => "one"})
      assert {:ok, %{"totalItems" => 1}} = RecordService.get_list(tmp)
      assert {:ok, true} = Bosbase.Collections.truncate(admin, name)
      assert {:ok, %{"totalItems" => 0}} = RecordService.get_list(tmp)
      assert {:ok, true} = Bosbase.Collections.delete(admin, name)

      assert {:error, %ClientResponseError{status: 404}} =
               Bosbase.Collections.get_one(admin, name)
    end

    test "settings, logs, crons, health" do
      {admin, _} = login("_superusers")
      assert {:ok, %{"meta" => %{}}} = Bosbase.Settings.get_all(admin)
      assert {:ok, %{"items" => items}} = Bosbase.Logs.get_list(admin, 1, 5)
      assert is_list(items)
      assert {:ok, crons} = Bosbase.Crons.get_full_list(admin)
      assert is_list(crons)
      assert {:ok, %{"code" => 200}} = Bosbase.Health.check(admin)
    end

    test "backups: create, getFullList, delete" do
      {admin, _} = login("_superusers")
      name = unique("elixir") <> ".zip"
      assert {:ok, true} = Bosbase.Backups.create(admin, name, timeout: 120_000)
      assert {:ok, backups} = Bosbase.Backups.get_full_list(admin)
      assert name in Enum.map(backups, & &1["key"])
      assert {:ok, true} = Bosbase.Backups.delete(admin, name)
      assert {:ok, after_delete} = Bosbase.Backups.get_full_list(admin)
      refute name in Enum.map(after_delete, & &1["key"])
    end
  end
end
