extends RefCounted
## The client's auth store. The native core owns it: auth calls fill it, this object reads it.
##
## [signal changed] fires on the main thread after the core reported a change (an auth call
## finished, or [method save] / [method clear] / [method import_json] ran).

## The store changed: the new token ("" when signed out) and record (null when signed out).
signal changed(token: String, record: Variant)

const PendingCall = preload("pending_call.gd")

## The stored auth token ("" when signed out).
var token: String:
	get:
		return _native.auth_store_token()

## The stored auth record (a Dictionary), or null when signed out.
var record: Variant:
	get:
		return JSON.parse_string(_native.auth_store_record())

var _native = null  # BosbaseNative; untyped so its methods resolve at run time
var _seen_changes := 0


func _init(native: Object) -> void:
	_native = native


## True when a token is stored and its expiry lies in the future.
func is_valid() -> bool:
	return _native.auth_store_is_valid()


## True when the stored token is a superuser's ([code]_superusers[/code]).
func is_superuser() -> bool:
	return _native.auth_store_is_superuser()


## The login as a [code]Set-Cookie[/code] value (the JS SDK's [code]exportToCookie[/code]),
## for server-side rendering: [code]pb_auth=<{token, record}>; Path=/; Expires=...;
## HttpOnly; Secure; SameSite=Strict[/code]. [param options] may set [code]key[/code],
## [code]path[/code], [code]domain[/code], [code]secure[/code], [code]httpOnly[/code],
## [code]sameSite[/code]. Returns the String, or a [ClientResponseError] for bad options.
func export_to_cookie(options: Dictionary = {}) -> Variant:
	return PendingCall.decode(
		_native.auth_store_export_cookie("" if options.is_empty() else JSON.stringify(options))
	)


## Loads the login from a [code]Cookie[/code] request header (the JS SDK's
## [code]loadFromCookie[/code]): the cookie [param key] (default [code]pb_auth[/code]). A
## header without it signs out; a cookie not holding [code]{token, record}[/code] signs out
## and returns a [ClientResponseError]. Returns null on success.
func load_from_cookie(cookie: String, key: String = "") -> ClientResponseError:
	return _store_call(_native.auth_store_load_cookie(cookie, key))


## Stores [param new_token] and [param new_record]; returns a ClientResponseError or null.
func save(new_token: String, new_record: Variant = null) -> ClientResponseError:
	return _store_call(_native.auth_store_save(new_token, JSON.stringify(new_record)))


## Forgets token and record; returns a ClientResponseError or null.
func clear() -> ClientResponseError:
	return _store_call(_native.auth_store_clear())


## The login as JSON text, for saving to disk; [method import_json] restores it.
func export_json() -> String:
	return _native.auth_store_export()


func import_json(json: String) -> ClientResponseError:
	return _store_call(_native.auth_store_import(json))


## Why the client's [code]authFile[/code] option could not be used the last time it was read
## or written: at construction (unreadable, a directory, not an export: the store started
## empty; a missing file is no problem) or at a later change (kept in memory only). Returns a
## [ClientResponseError] (kind "invalid_argument", message starting with "authFile:", never
## quoting the file), or null when the file was fine, after a later good write, and for a
## client without one.
func file_error() -> ClientResponseError:
	var reply: Variant = PendingCall.decode(_native.auth_store_file_error())
	if reply is ClientResponseError:
		return reply
	return ClientResponseError.new(reply) if reply is Dictionary else null


## Emits [signal changed] when the core counted changes since the last look. Main thread only;
## the addon calls it after every call and store method.
func sync_changes() -> void:
	var count: int = _native.auth_store_change_count()
	if count != _seen_changes:
		_seen_changes = count
		changed.emit(token, record)


func _store_call(envelope: String) -> ClientResponseError:
	var reply: Variant = PendingCall.decode(envelope)
	sync_changes()
	return reply if reply is ClientResponseError else null
