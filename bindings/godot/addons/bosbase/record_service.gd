extends "record_operations_gen.gd"
## The calls of one collection: [code]pb.collection("users")[/code]. Each returns a [Signal]
## to [code]await[/code] at once; it gives the result or a [ClientResponseError].
##
## The operation methods ([method bind_custom_token], [method unbind_custom_token],
## [method auth_with_token], [method auth_with_password], [method auth_refresh], ...) are
## generated from the core's operation table into [code]record_operations_gen.gd[/code].
## [param options] everywhere is the core's options object: [code]body[/code],
## [code]query[/code], [code]headers[/code], [code]expand[/code], [code]fields[/code],
## [code]mfaId[/code] (to finish an MFA login), [code]timeoutMs[/code] (this call's deadline),
## [code]method[/code] (for [method send]).


func _init(client: RefCounted, name: String) -> void:
	_client = client
	collection_name = name


## Sends a request to a path under this collection, e.g. "/auth-methods". Runs on the
## core's worker threads; the client's [code]cancel()[/code] ends it.
func send(path: String, options: Dictionary = {}) -> Signal:
	return _client.run_native(
		&"send_async", [collection_name, path, _client.options_json(options)]
	)


## Subscribes to this collection's record events over realtime: [param topic] is
## [code]"*"[/code] (every record the signed-in user may list) or a record id (one record, if
## the user may view it). [param options]: [code]filter[/code], [code]expand[/code],
## [code]fields[/code], [code]query[/code], [code]headers[/code] (applied by the server to the
## events). The subscription's [code]received[/code] signal gives
## [code]{"type": "event", "topic", "event": "create"|"update"|"delete", "record": {...}}[/code]
## on the main thread. After a login, re-login or logout the stream reconnects under the new
## identity, so events follow the new user's rules.
func subscribe(topic: String = "*", options: Dictionary = {}) -> RefCounted:
	return _client.live_subscribe(
		&"realtime_subscribe", [collection_name, topic, _client.options_json(options)], topic
	)


## Stops this collection's subscriptions to [param topic] ([code]"*"[/code] or a record id),
## or all of this collection's subscriptions when [param topic] is empty. Returns
## [code]true[/code] (or a [ClientResponseError] when the client could not be opened).
func unsubscribe(topic: String = "") -> Variant:
	if topic == "":
		return _client.realtime().unsubscribe_by_prefix(collection_name + "/")
	return _client.realtime().unsubscribe(collection_name + "/" + topic)
