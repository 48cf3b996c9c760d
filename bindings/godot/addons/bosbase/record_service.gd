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


## Signs in with the OAuth2 [param provider] (a name from [code]list_auth_methods()[/code],
## e.g. [code]"google"[/code]) as the JS SDK's [code]authWithOAuth2[/code] does, and saves the
## login in [code]auth_store[/code]; the awaited result is
## [code]{"token", "record", "meta"}[/code] or a [ClientResponseError].
## [param open_url] gets the provider's authorization URL once, on the main thread; when it
## is not given, [code]OS.shell_open[/code] opens it in the system browser. The provider
## sends the browser to the server's [code]/api/oauth2-redirect[/code], which hands the code
## to this client over realtime. [param options]: [code]scopes[/code] (an Array replacing the
## provider's), [code]createData[/code] (fields of an account created on a first sign-in),
## [code]urlQuery[/code] (extra parameters of the URL), and the usual ones for the code
## exchange; [code]timeoutMs[/code] bounds the whole flow (default 300000). A refusal by the
## provider is kind [code]"oauth2"[/code], no redirect in time [code]"timeout"[/code]; the
## client's [code]cancel()[/code] ends it ([code]"cancelled"[/code]); on any failure the auth
## store is unchanged. Frames keep running meanwhile. One flow per client at a time.
func auth_with_oauth2(provider: String, open_url := Callable(), options: Dictionary = {}) -> Signal:
	var flow := {}
	var rest := {}
	for key in options:
		if key in ["scopes", "createData", "urlQuery"]:
			flow[key] = options[key]
		else:
			rest[key] = options[key]
	var opener := open_url if open_url.is_valid() else Callable(OS, "shell_open")
	return _client.run_native(
		&"oauth2_async",
		[collection_name, provider, JSON.stringify(flow), _client.options_json(rest)],
		opener
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
