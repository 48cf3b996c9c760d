defmodule Bosbase.AuthStore.Relay do
  @moduledoc false
  # One process per `Bosbase.AuthStore.subscribe/2`. The core calls the NIF's listener on
  # whatever thread changed the store; the listener sends this process
  # {:bosbase_auth_change_raw, tag, seq, token, record_json}. Here the record is decoded and
  # the change forwarded to the subscriber as {:bosbase_auth_change, tag, %{token, record}},
  # in `seq` order (the core numbers changes in the order it delivers them; messages from
  # different threads may overtake each other, so early ones wait for the gap to fill).
  # It monitors the subscriber and, when it exits, removes the listener and exits too.

  def init(client, tag) do
    receive do
      {:start, pid} ->
        mref = Process.monitor(pid)
        loop(%{client: client, tag: tag, pid: pid, mref: mref, next: 0, pending: %{}})

      {:"$bosbase_stop", from, stop_ref} ->
        send(from, {stop_ref, :stopped})
    end
  end

  # Ends the relay and waits for it; after this no message of its subscription is sent.
  # (The same stop protocol as the subscription relays.)
  defdelegate stop(relay), to: Bosbase.Subscription.Relay

  defp loop(state) do
    # A stop request goes before changes still queued: none is forwarded once asked.
    receive do
      {:"$bosbase_stop", from, stop_ref} -> send(from, {stop_ref, :stopped})
    after
      0 ->
        receive do
          {:"$bosbase_stop", from, stop_ref} ->
            send(from, {stop_ref, :stopped})

          {:DOWN, mref, :process, _, _} when mref == state.mref ->
            # The subscriber is gone: remove the listener, then end.
            Bosbase.AuthStore.remove_listener(state.client, state.tag)

          {:bosbase_auth_change_raw, tag, seq, token, json} when tag == state.tag ->
            state
            |> Map.update!(:pending, &Map.put(&1, seq, {token, json}))
            |> deliver()
            |> loop()
        end
    end
  end

  defp deliver(%{next: next, pending: pending} = state) do
    case Map.pop(pending, next) do
      {nil, _} ->
        state

      {{token, json}, pending} ->
        record = if json in [nil, "null"], do: nil, else: Bosbase.JSON.decode!(json)
        send(state.pid, {:bosbase_auth_change, state.tag, %{token: token, record: record}})
        deliver(%{state | next: next + 1, pending: pending})
    end
  end
end
