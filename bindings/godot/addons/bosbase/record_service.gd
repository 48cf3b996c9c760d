extends RefCounted
## The calls of one collection: [code]pb.collection("users")[/code]. Each returns a [Signal]
## to [code]await[/code] at once; it gives the result or a [ClientResponseError].
##
## [param options] everywhere is the core's options object: [code]body[/code],
## [code]query[/code], [code]headers[/code], [code]expand[/code], [code]fields[/code],
## [code]mfaId[/code] (to finish an MFA login), [code]timeoutMs[/code] (this call's deadline),
## [code]method[/code] (for [method send]).

var collection_name: String

var _client = null  # bosbase.gd; untyped to avoid a preload cycle


func _init(client: RefCounted, name: String) -> void:
	_client = client
	collection_name = name


## Binds [param token] to the account; returns true, never touches the auth store.
func bind_custom_token(
	email: String, password: String, token: String, options: Dictionary = {}
) -> Signal:
	return _client.run_native(
		&"bind_custom_token",
		[collection_name, email, password, token, _client.options_json(options)]
	)


## Stops accepting [param token] for the account; returns true (also when it was not bound).
func unbind_custom_token(
	email: String, password: String, token: String, options: Dictionary = {}
) -> Signal:
	return _client.run_native(
		&"unbind_custom_token",
		[collection_name, email, password, token, _client.options_json(options)]
	)


## Signs in with a bound token; returns {token, record} and fills the auth store.
func auth_with_token(token: String, options: Dictionary = {}) -> Signal:
	return _client.run_native(
		&"auth_with_token", [collection_name, token, _client.options_json(options)]
	)


## Signs in with email and password; returns {token, record} and fills the auth store.
func auth_with_password(identity: String, password: String, options: Dictionary = {}) -> Signal:
	return _client.run_native(
		&"auth_with_password", [collection_name, identity, password, _client.options_json(options)]
	)


## Refreshes the stored token; returns {token, record} and updates the auth store.
func auth_refresh(options: Dictionary = {}) -> Signal:
	return _client.run_native(
		&"auth_refresh", [collection_name, _client.options_json(options)]
	)


## Sends a request to a path under this collection, e.g. "/auth-methods".
func send(path: String, options: Dictionary = {}) -> Signal:
	return _client.run_native(
		&"collection_send", [collection_name, path, _client.options_json(options)]
	)
