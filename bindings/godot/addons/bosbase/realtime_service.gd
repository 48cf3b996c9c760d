extends RefCounted
## The realtime topics of one client: [code]pb.realtime()[/code] (SSE,
## [code]/api/realtime[/code]). One stream per client, opened with the first subscription and
## closed with the last; it reconnects by itself (backoff 250 ms doubling to 10 s, with
## jitter) and after every login, re-login or logout (so events follow the new identity).
## Connection states come as the client's [code]realtime_state[/code] signal.

const Subscription = preload("subscription.gd")

var _client = null  # bosbase.gd


func _init(client: RefCounted) -> void:
	_client = client


## Subscribes to [param topic]: [code]"COLLECTION/*"[/code], [code]"COLLECTION/RECORD_ID"[/code]
## or a custom topic. [param options]: [code]filter[/code], [code]expand[/code],
## [code]fields[/code], [code]query[/code], [code]headers[/code]. The events come through the
## returned subscription's signals, on the main thread.
func subscribe(topic: String, options: Dictionary = {}) -> Subscription:
	return _client.live_subscribe(
		&"realtime_subscribe", ["", topic, _client.options_json(options)], topic
	)


## Stops every subscription of this client to exactly [param topic] (whatever its options):
## no signal of them fires after this returns. Returns [code]true[/code], or a
## [ClientResponseError] when the client could not be opened.
func unsubscribe(topic: String) -> Variant:
	return _client.live_unsubscribe(&"realtime_unsubscribe", topic)


## The same for every topic starting with [param prefix] (e.g. [code]"posts/"[/code]).
func unsubscribe_by_prefix(prefix: String) -> Variant:
	return _client.live_unsubscribe(&"realtime_unsubscribe_by_prefix", prefix)
