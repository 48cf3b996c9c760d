defmodule Bosbase.Subscription.Relay do
  @moduledoc false
  # One process per realtime state listener (Bosbase.Realtime.on_state/2; subscriptions
  # have none: they are pulled, see Bosbase.Subscription). It holds the listener's NIF
  # resource, which the NIF also ends when this process exits. The NIF sends it
  # {:bosbase_event_raw, tag, seq, json} from the core's dispatch thread; it decodes the JSON
  # and sends {message_tag, tag, map} to the listener in `seq` order (messages sent from
  # different threads may overtake each other: early ones wait for the gap to fill). It
  # monitors the listener: when that exits, the listener is removed in the core and the
  # relay ends.

  alias Bosbase.Native

  def init(tag, message_tag) do
    receive do
      {:start, pid, sub} ->
        mref = Process.monitor(pid)

        loop(%{
          sub: sub,
          tag: tag,
          message_tag: message_tag,
          pid: pid,
          mref: mref,
          next: 0,
          pending: %{}
        })

      {:"$bosbase_stop", from, stop_ref} ->
        send(from, {stop_ref, :stopped})
    end
  end

  # Ends the relay and waits for it; after this no message of its subscription is sent.
  def stop(relay) do
    mref = Process.monitor(relay)
    stop_ref = make_ref()
    send(relay, {:"$bosbase_stop", self(), stop_ref})

    receive do
      {^stop_ref, :stopped} -> Process.demonitor(mref, [:flush])
      {:DOWN, ^mref, _, _, _} -> :ok
    end

    :ok
  end

  defp loop(state) do
    # A stop request goes before events still queued: none is forwarded once asked.
    receive do
      {:"$bosbase_stop", from, stop_ref} -> send(from, {stop_ref, :stopped})
    after
      0 ->
        receive do
          {:"$bosbase_stop", from, stop_ref} ->
            send(from, {stop_ref, :stopped})

          {:DOWN, mref, :process, _, _} when mref == state.mref ->
            # The subscriber is gone: stop in the core (no callback runs after), then end.
            Native.sub_stop(state.sub)

          {:bosbase_event_raw, tag, seq, json} when tag == state.tag ->
            state
            |> Map.update!(:pending, &Map.put(&1, seq, json))
            |> deliver()
            |> loop()
        end
    end
  end

  defp deliver(%{next: next, pending: pending} = state) do
    case Map.pop(pending, next) do
      {nil, _} ->
        state

      {json, pending} ->
        send(state.pid, {state.message_tag, state.tag, Bosbase.JSON.decode!(json)})
        deliver(%{state | next: next + 1, pending: pending})
    end
  end
end
