extends "operations.gd"
## BosBase client for Godot 4.
##
## [codeblock]
## var BosBase = preload("res://addons/bosbase/bosbase.gd")
## var pb = BosBase.new("http://127.0.0.1:8090")
## var auth = await pb.collection("users").auth_with_token(token)
## if auth is ClientResponseError:
##     push_error(auth.to_string())
## [/codeblock]
## Every network call runs on the BosBase core's own worker threads and its result comes back
## on the main thread (at most a frame after the answer), so [code]await[/code] never blocks a
## frame. The per-operation methods ([code]pb.collection(name).auth_with_token()[/code],
## [code]pb.health().check()[/code], [code]pb.collections().get_list()[/code], ...) are
## generated from the core's operation table (see [code]operations.gd[/code] and
## [code]record_operations.gd[/code]); all of them go through [method call_operation].
## A call gives its result, or a [ClientResponseError] (status 0 when no answer arrived) —
## never [code]null[/code] for a failure. Calls return a [Signal]: [code]await[/code] it right away.
##
## Dropping the last reference to a client while calls are pending is safe: those calls still
## finish and their awaits resolve; the native client is closed and freed after the last one.
## [method cancel] ends them at once instead.

const RecordService = preload("record_service.gd")
const AuthStore = preload("auth_store.gd")
const PendingCall = preload("pending_call.gd")

## The server address given to [method _init].
var base_url: String
## The [code]Accept-Language[/code] sent with every request.
var lang: String
## The login of this client (filled by the auth calls).
var auth_store: AuthStore

var _native: RefCounted = null  # BosbaseNative (internal native class)
var _open_error: ClientResponseError = null


## Creates a client for [param url] ([code]http://[/code] or [code]https://[/code], host,
## port, optional path). [param options] is either a language code (as in older versions), or
## a Dictionary with any of: [code]lang[/code] (default "en-US"), [code]userAgent[/code],
## [code]timeoutMs[/code] (deadline of each call, default 30000), [code]caPem[/code] (PEM text
## of extra trusted CA certificates), [code]caFile[/code] (path of such a PEM file; use
## [method ProjectSettings.globalize_path] for res:// or user:// files),
## [code]dangerAcceptInvalidCerts[/code] (development only: accept any certificate),
## [code]maxResponseBytes[/code], [code]maxIdleConnections[/code]. A bad URL or option makes
## every call return a [ClientResponseError] with kind "invalid_argument".
func _init(url: String = "http://127.0.0.1:8090", options: Variant = {}) -> void:
	base_url = url
	var settings: Dictionary = {}
	if options is String:
		settings["lang"] = options
	elif options is Dictionary:
		settings = options.duplicate()
	lang = str(settings.get("lang", "en-US"))
	if not ClassDB.class_exists("BosbaseNative"):
		_open_error = ClientResponseError.new(
			{"kind": "invalid_argument", "message": "BosBase native library not loaded"}
		)
		push_error(_open_error.to_string())
		return
	_native = ClassDB.instantiate("BosbaseNative")
	auth_store = AuthStore.new(_native)
	if not settings.has("userAgent"):
		settings["userAgent"] = "bosbase-godot/" + _native.version()
	var opened: Variant = PendingCall.decode(_native.open(url, JSON.stringify(settings)))
	if opened is ClientResponseError:
		_open_error = opened
		push_error(_open_error.to_string())


## The record and auth calls of one collection.
func collection(name: String) -> RecordService:
	return RecordService.new(self, name)


## Sends a request to any server path, e.g. [code]await pb.send("/api/health")[/code].
## [param options] may hold method, body, query, headers, timeoutMs (see the README). Runs on
## the core's worker threads like every operation; [method cancel] ends it.
func send(path: String, options: Dictionary = {}) -> Signal:
	return run_native(&"send_async", ["", path, options_json(options)])


## Runs any operation of the core's operation table by name with named [param args], e.g.
## [code]await pb.call_operation("health.check")[/code] or
## [code]await pb.call_operation("records.authWithToken", {"collection": "users",
## "token": t})[/code]. The one primitive under every generated method: the call runs on the
## core's worker threads.
func call_operation(operation: String, args: Dictionary = {}, options: Dictionary = {}) -> Signal:
	return run_native(&"call_async", [operation, options_json(args), options_json(options)])


## Closes the client: calls already running finish and resolve first; later calls, and any
## still waiting for a worker thread, fail with kind "closed" without sending anything.
## Awaitable (it waits for the running calls on a thread of the native library, never on the
## main thread). It cannot be cancelled.
func close() -> Signal:
	return run_native(&"close_async", [])


## Cancels this client's calls still in flight ([method call_operation], every generated
## method, [method send] and collection [code]send[/code]): their awaits give a
## [ClientResponseError] with kind "cancelled" (on the next frame), and a cancelled login is
## not saved, whatever the server answers. Returns how many were in flight (one finishing at
## that very moment keeps its own result). [method close] cannot be cancelled.
func cancel() -> int:
	return _native.cancel_all() if _native != null else 0


## A new random custom token (256 bits from the OS), for bind_custom_token.
func generate_token() -> String:
	if _native == null:
		return ""
	var reply: Variant = PendingCall.decode(_native.generate_token())
	return reply if reply is String else ""


## The version of the native BosBase library ("" when it is not loaded).
func version() -> String:
	return _native.version() if _native != null else ""


## Starts one asynchronous BosbaseNative method; await the returned signal for its result.
## Used by [code]RecordService[/code]; prefer the named methods.
func run_native(method: StringName, args: Array) -> Signal:
	if _open_error != null:
		return PendingCall.new(null).start_failed(_open_error)
	return PendingCall.new(_native, auth_store).start(method, args)


## Options Dictionary -> the JSON text the core reads ("" for none).
static func options_json(options: Dictionary) -> String:
	return "" if options.is_empty() else JSON.stringify(options)
