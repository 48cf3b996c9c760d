# The memory of a big result: records.getFullList of 20,000 posts (about 7 MB of JSON)
# through the binding against :httpc fetching the same pages, decoded by the same JSON codec
# (Bosbase.JSON: Elixir's JSON, OTP's :json or jiffy). Each side runs in its own BEAM
# (`mix run bench/full_list.exs measure SIDE`), so its peak RSS growth is its own, the
# core's C heap included. Run against the dev server (BOSBASE_URL): `make elixir-bench`.
alias Bosbase.{AuthStore, Client, RecordService}

records = 20_000
batch = 1000
url = System.fetch_env!("BOSBASE_URL")

status_kib = fn name ->
  "/proc/self/status"
  |> File.read!()
  |> String.split("\n")
  |> Enum.find_value(0, fn line ->
    if String.starts_with?(line, name) do
      line
      |> String.trim_leading(name)
      |> String.trim()
      |> String.trim_trailing(" kB")
      |> String.to_integer()
    end
  end)
end

case System.argv() do
  ["measure", side] ->
    token = System.fetch_env!("BOSBASE_BENCH_FULLLIST_TOKEN")
    headers = %{"Authorization" => token}
    :inets.start()
    pb = Client.new(url)
    posts = Client.collection(pb, "posts")

    page = fn n, per_page ->
      target = ~c"#{url}/api/collections/posts/records?page=#{n}&perPage=#{per_page}&skipTotal=1"

      {:ok, {{_, 200, _}, _, body}} =
        :httpc.request(:get, {target, [{~c"authorization", String.to_charlist(token)}]}, [],
          body_format: :binary
        )

      body
    end

    # Warm both sides (connections, the core's pool) with one small request each.
    {:ok, _} = RecordService.get_list(posts, 1, 1, headers: headers)
    page.(1, 1)
    :erlang.garbage_collect()
    File.write!("/proc/self/clear_refs", "5")
    before = status_kib.("VmRSS:")

    items =
      case side do
        "binding" ->
          {:ok, items} = RecordService.get_full_list(posts, batch, headers: headers)
          items

        "httpc" ->
          Enum.reduce_while(Stream.iterate(1, &(&1 + 1)), [], fn n, acc ->
            got = Bosbase.JSON.decode!(page.(n, batch))["items"]
            acc = [got | acc]

            if length(got) < batch,
              do: {:halt, acc |> Enum.reverse() |> Enum.concat()},
              else: {:cont, acc}
          end)
      end

    IO.puts("RESULT #{status_kib.("VmHWM:") - before} #{length(items)}")

  [] ->
    # Seed the posts as the superuser (batches of 1000) unless they exist.
    pb = Client.new(url)

    {:ok, _} =
      RecordService.auth_with_password(
        Client.collection(pb, "_superusers"),
        "admin@example.com",
        "admin-password"
      )

    posts = Client.collection(pb, "posts")
    {:ok, %{"totalItems" => total}} = RecordService.get_list(posts, 1, 1)

    if total < records do
      settings = %{
        "batch" => %{
          "enabled" => true,
          "maxRequests" => 1000,
          "timeout" => 30,
          "maxBodySize" => 0
        }
      }

      {:ok, _} = Bosbase.Settings.update(pb, settings)

      {:ok, user} =
        RecordService.get_first_list_item(
          Client.collection(pb, "users"),
          "email = 'user@example.com'"
        )

      for chunk <- 0..(div(records, 1000) - 1) do
        requests =
          for i <- 0..999 do
            n = chunk * 1000 + i
            body = "Body of post #{n}: " <> String.duplicate("lorem ipsum dolor sit amet ", 3)
            data = %{"title" => "Post number #{n}", "body" => body, "author" => user["id"]}
            %{"action" => "create", "collection" => "posts", "data" => data}
          end

        {:ok, _} = Bosbase.Batch.send(pb, requests, timeout: 60_000)
      end
    end

    token = AuthStore.token(pb)
    median = fn v -> v |> Enum.sort() |> Enum.at(div(length(v), 2)) end

    runs =
      for round <- 0..4,
          side <- if(rem(round, 2) == 0, do: ["binding", "httpc"], else: ["httpc", "binding"]) do
        {out, 0} =
          System.cmd("mix", ["run", "bench/full_list.exs", "measure", side],
            env: [{"BOSBASE_BENCH_FULLLIST_TOKEN", token}],
            stderr_to_stdout: true
          )

        [kib, items] = Regex.run(~r/RESULT (\d+) (\d+)/, out, capture: :all_but_first)
        ^records = String.to_integer(items)
        {side, String.to_integer(kib) / 1024}
      end

    growth = fn side ->
      runs |> Enum.filter(&(elem(&1, 0) == side)) |> Enum.map(&elem(&1, 1)) |> median.()
    end

    {b, h} = {growth.("binding"), growth.("httpc")}

    IO.puts(
      "getFullList of #{records} posts, peak RSS growth (median of 5, own BEAM each): binding " <>
        "#{Float.round(b, 1)} MiB, :httpc + #{inspect(Bosbase.JSON.codec())} #{Float.round(h, 1)} MiB, " <>
        "ratio #{Float.round(b / h, 2)}x (target <= 1.2x)"
    )
end
