extends "record_operations.gd"
## The calls of one collection: [code]pb.collection("users")[/code]. Each returns a [Signal]
## to [code]await[/code] at once; it gives the result or a [ClientResponseError].
##
## The operation methods ([method bind_custom_token], [method unbind_custom_token],
## [method auth_with_token], [method auth_with_password], [method auth_refresh], ...) are
## generated from the core's operation table into [code]record_operations.gd[/code].
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
