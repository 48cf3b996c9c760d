extends "operations_gen.gd"
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
## generated from the core's operation table (see [code]operations_gen.gd[/code] and
## [code]record_operations_gen.gd[/code]); all of them go through [method call_operation].
## A call gives its result, or a [ClientResponseError] (status 0 when no answer arrived) —
## never [code]null[/code] for a failure. Calls return a [Signal]: [code]await[/code] it right away.
##
## Dropping the last reference to a client while calls are pending is safe: those calls still
## finish and their awaits resolve; the native client is closed and freed after the last one.
## [method cancel] ends them at once instead.
##
## Realtime and pub/sub: [code]pb.collection(name).subscribe("*")[/code],
## [code]pb.realtime().subscribe(topic)[/code] and [method pubsub_subscribe] give a
## subscription object whose signals fire on the main thread; [signal realtime_state] tells
## when the realtime connection was lost and came back (refetch what you missed then).

## The realtime connection's state changed (only while the client has realtime
## subscriptions): [code]{"type": "state", "state": "connected"}[/code],
## [code]{"type": "state", "state": "disconnected", "cause": "..."}[/code] (reconnecting with
## backoff) or [code]{"type": "state", "state": "reconnected"}[/code] (events sent meanwhile
## were missed: refetch).
## Emitted on the main thread, in order with the subscriptions' events.
signal realtime_state(state: Dictionary)

const RecordService = preload("record_service.gd")
const RealtimeService = preload("realtime_service.gd")
const Subscription = preload("subscription.gd")
const AuthStore = preload("auth_store.gd")
const PendingCall = preload("pending_call.gd")

## Set by [method fork] just before it makes the new client, read (and reset) by its
## [method _init]: the id of the native client the new object adopts instead of opening one.
static var _adopt_fork_id := 0

## The server address given to [method _init].
var base_url: String
## The [code]Accept-Language[/code] sent with every request.
var lang: String
## The login of this client (filled by the auth calls).
var auth_store: AuthStore

var _native: RefCounted = null  # BosbaseNative (internal native class)
var _open_error: ClientResponseError = null
var _state_id := 0  # the id the native gives this client's realtime states under


## Creates a client for [param url] ([code]http://[/code] or [code]https://[/code], host,
## port, optional path). [param options] is either a language code (as in older versions), or
## a Dictionary with any of: [code]lang[/code] (default "en-US"), [code]userAgent[/code],
## [code]timeoutMs[/code] (deadline of each call, default 30000), [code]caPem[/code] (PEM text
## of extra trusted CA certificates), [code]caFile[/code] (path of such a PEM file; use
## [method ProjectSettings.globalize_path] for res:// or user:// files),
## [code]dangerAcceptInvalidCerts[/code] (development only: accept any certificate),
## [code]maxResponseBytes[/code], [code]maxIdleConnections[/code], [code]proxy[/code]
## ("http://[user:password@]host[:port]" for an HTTP CONNECT proxy, or "none"; default: the
## HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY environment variables), [code]authFile[/code]
## (a file keeping the login across restarts, e.g. [code]"user://bosbase_auth.json"[/code]:
## [code]user://[/code] and [code]res://[/code] paths are globalized for the core; the client
## starts with the login it holds and every change replaces it atomically, owner-only; a file
## that cannot be used leaves the store empty and [method AuthStore.file_error] says why;
## forks keep their store in memory), [code]retries[/code] (default 0, one attempt: e.g.
## [code]2[/code], or [code]{"maxAttempts": 3, "baseDelayMs": 200, "maxDelayMs": 5000}[/code];
## GET/HEAD calls, and calls whose options hold [code]"idempotent": true[/code], are retried
## on a connection reset before any answer byte, 502/503/504 and 429 with its Retry-After,
## within the call's deadline; a call's options may hold their own [code]retries[/code]). A
## bad URL or option makes
## every call return a [ClientResponseError] with kind "invalid_argument".
func _init(url: String = "http://127.0.0.1:8090", options: Variant = {}) -> void:
	base_url = url
	var settings: Dictionary = {}
	if options is String:
		settings["lang"] = options
	elif options is Dictionary:
		settings = options.duplicate()
	lang = str(settings.get("lang", "en-US"))
	# The core opens OS paths: a Godot one (user://, res://) is turned into one here.
	var auth_file: Variant = settings.get("authFile")
	if auth_file is String and (auth_file.begins_with("user://") or auth_file.begins_with("res://")):
		settings["authFile"] = ProjectSettings.globalize_path(auth_file)
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
	var opened: Variant
	if _adopt_fork_id != 0:
		opened = PendingCall.decode(_native.open_fork(str(_adopt_fork_id)))
		_adopt_fork_id = 0
	else:
		opened = PendingCall.decode(_native.open(url, JSON.stringify(settings)))
	if opened is ClientResponseError:
		_open_error = opened
		push_error(_open_error.to_string())
		return
	_state_id = _native.realtime_state_id()
	Subscription.watch(_state_id, self)


func _notification(what: int) -> void:
	if what == NOTIFICATION_PREDELETE and _state_id != 0:
		Subscription.unwatch(_state_id)


# Main thread: a connection state of this client's realtime stream, routed by subscription.gd.
func _on_live_event(_kind: int, event: Dictionary) -> void:
	realtime_state.emit(event)


## The record and auth calls of one collection.
func collection(name: String) -> RecordService:
	return RecordService.new(self, name)


## Realtime topics of this client (SSE, [code]/api/realtime[/code]):
## [code]pb.realtime().subscribe(topic, options)[/code], [code]unsubscribe(topic)[/code],
## [code]unsubscribe_by_prefix(prefix)[/code]. Record topics are easier through
## [code]pb.collection(name).subscribe("*" | id)[/code].
func realtime() -> RealtimeService:
	return RealtimeService.new(self)


## Subscribes to the pub/sub [param topic] (BosBase's WebSocket [code]/api/pubsub[/code];
## the connection opens with the first subscription or publish and reconnects by itself).
## Returns a subscription whose [signal Subscription.received] gives
## [code]{"type": "message", "topic", "id", "created", "data"}[/code] on the main thread.
## Publish with [code]await pb.pubsub().publish(topic, data)[/code] (the server's
## acknowledgement [code]{id, topic, created}[/code]; signed-in clients only).
func pubsub_subscribe(topic: String) -> Subscription:
	return live_subscribe(&"pubsub_subscribe", [topic], topic)


## Stops every pub/sub subscription of this client to [param topic] (no signal of them fires
## after this returns). Returns [code]true[/code].
func pubsub_unsubscribe(topic: String) -> Variant:
	return live_unsubscribe(&"pubsub_unsubscribe", topic)


## True while the pub/sub WebSocket is open.
func pubsub_is_connected() -> bool:
	return _native != null and _open_error == null and _native.pubsub_is_connected()


## Starts a subscription with the native [param method] and [param args]; used by
## [code]realtime()[/code], [code]collection(name).subscribe()[/code] and
## [method pubsub_subscribe].
func live_subscribe(method: StringName, args: Array, topic: String) -> Subscription:
	var sub: Subscription = Subscription.new(topic)
	if _open_error != null:
		sub.start_failed(_open_error)
	else:
		sub.start(_native, method, args)
	return sub


## Stops subscriptions by topic with the native [param method] ([code]true[/code], or the
## client's open error); used by [code]realtime()[/code] and [method pubsub_unsubscribe].
func live_unsubscribe(method: StringName, topic: String) -> Variant:
	if _open_error != null:
		return _open_error
	return PendingCall.decode(_native.call(method, topic))


## Sends a request to any server path, e.g. [code]await pb.send("/api/health")[/code].
## [param options] may hold method, body, query, headers, timeoutMs, retries, idempotent (see
## the README). Runs on
## the core's worker threads like every operation; [method cancel] ends it.
func send(path: String, options: Dictionary = {}) -> Signal:
	return run_native(&"send_async", ["", path, options_json(options)])


## Runs any operation of the core's operation table by name with named [param args], e.g.
## [code]await pb.call_operation("health.check")[/code] or
## [code]await pb.call_operation("records.authWithToken", {"collection": "users",
## "token": t})[/code]. The one primitive under every generated method: the call runs on the
## core's worker threads.
## [br][br]
## File parts go in [code]options.files[/code], an Array of Dictionaries (sent as
## [code]multipart/form-data[/code], e.g. with [code]records.create[/code],
## [code]records.update[/code], [code]backups.upload[/code]):
## [code]{"field": "attachment", "bytes": PackedByteArray, "filename": "a.png"}[/code] or
## [code]{"field": "attachment", "path": "user://a.png"}[/code] (streamed from disk when the
## call runs; [code]res://[/code] and [code]user://[/code] paths are globalized; optional
## [code]filename[/code], default the path's last component), each with an optional
## [code]contentType[/code] (default: from the filename). With files,
## [code]options.progress[/code] (a Callable [code]func(done: int, total: int)[/code]) gets
## the upload's progress on the main thread (see [signal PendingCall.progress]).
## [param result_type] [code]TYPE_INT[/code] makes a numeric result an [int] (Godot's JSON
## gives every number as a float; the generated method of an integer row passes it).
func call_operation(
	operation: String, args: Dictionary = {}, options: Dictionary = {}, result_type := TYPE_NIL
) -> Signal:
	var on_progress: Variant = options.get("progress")
	if options.has("progress"):
		options = options.duplicate()
		options.erase("progress")
	if options.has("files") and _open_error == null:
		var staged: ClientResponseError = _stage_files(options.files)
		if staged != null:
			return PendingCall.new(null).start_failed(staged)
		options = options.duplicate()
		options.erase("files")
		if on_progress is Callable:
			_native.files_report_progress()
			var call := PendingCall.new(_native, auth_store)
			call.result_type = result_type
			call.progress.connect(on_progress)
			return call.start(
				&"call_async", [operation, options_json(args), options_json(options)]
			)
	return run_native(
		&"call_async", [operation, options_json(args), options_json(options)], Callable(), result_type
	)


## A new client with this one's settings (URL, language, timeouts, TLS; connections are
## shared) and an auth store of its own: empty, or holding [param auth]
## ([code]{token, record}[/code], e.g. the result of [code]records.impersonate[/code]).
## Returns the new client, or a [ClientResponseError] (also when [param auth] is one, so
## [code]fork(await ...)[/code] passes a failure through). Like any client, it is closed
## and freed when its last reference goes.
func fork(auth: Variant = null) -> Variant:
	if auth is ClientResponseError:
		return auth
	if _open_error != null:
		return _open_error
	var reply: Variant = PendingCall.decode(
		_native.fork("" if auth == null else JSON.stringify(auth, "", false, true))
	)
	if reply is ClientResponseError:
		return reply
	_adopt_fork_id = int(reply)
	var child: Variant = get_script().new(base_url, lang)
	_adopt_fork_id = 0
	return child


## Fills the [code]{:name}[/code] placeholders of a filter expression with [param params],
## quoted by the core so hostile input stays a literal (strings single-quoted; a string
## ending in a backslash is refused), e.g.
## [code]pb.filter("title = {:t} && n > {:n}", {"t": user_input, "n": 3})[/code]. Returns
## the filter String, or a [ClientResponseError] (kind "invalid_argument").
func filter(expr: String, params: Dictionary = {}) -> Variant:
	if _native == null:
		return _open_error
	return PendingCall.decode(
		_native.filter(expr, "" if params.is_empty() else JSON.stringify(params, "", false, true))
	)


## Closes the client: calls already running finish and resolve first; later calls, and any
## still waiting for a worker thread, fail with kind "closed" without sending anything, and
## its subscriptions stop. Awaitable (the BosBase core waits for the running calls on its own
## thread, never on the main thread). It cannot be cancelled.
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


## Downloads [param filename] of [param record] (a Dictionary with [code]id[/code] and
## [code]collectionId[/code] or [code]collectionName[/code]) to [param path]
## ([code]user://[/code] and [code]res://[/code] paths are globalized), streamed on the
## core's threads and this client's connections. The bytes go to a temporary file beside
## it, renamed over [param path] once all arrived: a failed or cancelled download leaves
## nothing. [param options]: [code]thumb[/code] ("100x100"), [code]token[/code] (from
## [code]files().get_token()[/code], for a protected file), [code]download[/code],
## [code]maxBytes[/code] (a cap: kind "too_large"; default none), [code]timeoutMs[/code],
## [code]headers[/code]. Returns the pending call: connect its [signal PendingCall.progress]
## (main thread), then [code]await call.finished[/code] for
## [code]{"path", "bytes", "contentType"}[/code] or a [ClientResponseError].
func download(
	record: Dictionary, filename: String, path: String, options: Dictionary = {}
) -> PendingCall:
	var call := PendingCall.new(null if _open_error != null else _native, auth_store)
	if _open_error != null:
		call.start_failed(_open_error)
		return call
	var target := path
	if path.begins_with("user://") or path.begins_with("res://"):
		target = ProjectSettings.globalize_path(path)
	call.start(
		&"download_async",
		[JSON.stringify(record, "", false, true), filename, target, options_json(options)]
	)
	return call


## Starts one asynchronous BosbaseNative method; await the returned signal for its result.
## Used by [code]RecordService[/code]; prefer the named methods. [param on_url] gets an OAuth2
## flow's URL on the main thread.
func run_native(
	method: StringName, args: Array, on_url := Callable(), result_type := TYPE_NIL
) -> Signal:
	if _open_error != null:
		return PendingCall.new(null).start_failed(_open_error)
	var call := PendingCall.new(_native, auth_store)
	call.on_url = on_url
	call.result_type = result_type
	return call.start(method, args)


## Stages [code]options.files[/code] on the native client for the next call_async (which
## takes them); null, or the error of the first part refused (nothing stays staged then).
func _stage_files(files: Variant) -> ClientResponseError:
	var failure: Variant = null
	if not files is Array:
		failure = "options.files must be an Array of Dictionaries"
	else:
		for part in files:
			failure = _stage_file(part)
			if failure != null:
				break
	if failure == null:
		return null
	_native.files_clear()
	if failure is ClientResponseError:
		return failure
	return ClientResponseError.new({"kind": "invalid_argument", "message": failure})


## One part of options.files: null when staged, else a ClientResponseError or a message.
func _stage_file(part: Variant) -> Variant:
	if not part is Dictionary:
		return "each entry of options.files must be a Dictionary"
	for key in part:
		if not key in ["field", "bytes", "path", "filename", "contentType"]:
			return "options.files: unknown key %s" % str(key)
	if not part.get("field") is String or part.has("bytes") == part.has("path"):
		return "options.files: each entry needs a field and either bytes or path"
	var filename: String = str(part.get("filename", ""))
	var content_type: String = str(part.get("contentType", ""))
	var reply: String
	if part.has("bytes"):
		if not part.bytes is PackedByteArray:
			return "options.files: bytes must be a PackedByteArray"
		reply = _native.files_add_bytes(part.field, filename, content_type, part.bytes)
	else:
		if not part.path is String:
			return "options.files: path must be a String"
		var path: String = part.path
		if path.begins_with("res://") or path.begins_with("user://"):
			path = ProjectSettings.globalize_path(path)
		reply = _native.files_add_path(part.field, path, filename, content_type)
	var staged: Variant = PendingCall.decode(reply)
	return staged if staged is ClientResponseError else null


## Options Dictionary -> the JSON text the core reads ("" for none).
static func options_json(options: Dictionary) -> String:
	return "" if options.is_empty() else JSON.stringify(options)
