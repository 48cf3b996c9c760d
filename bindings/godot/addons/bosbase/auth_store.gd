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
