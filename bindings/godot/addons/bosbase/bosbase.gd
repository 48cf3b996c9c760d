extends RefCounted
## BosBase client for Godot 4.
##
## [codeblock]
## var BosBase = preload("res://addons/bosbase/bosbase.gd")
## var pb = BosBase.new("http://127.0.0.1:8090")
## var auth = await pb.collection("users").auth_with_token(token)
## [/codeblock]
## Every network call runs on [WorkerThreadPool] and its result comes back on the main
## thread, so [code]await[/code] never blocks a frame. A call returns its result, or a
## [ClientResponseError] (status 0 when no answer arrived).

## Emitted on the main thread when a native call finished (used by [method run_native]).
signal native_call_done(call_id: int, envelope: String)

const RecordService = preload("record_service.gd")
const AuthStore = preload("auth_store.gd")

var base_url: String
var lang: String
var auth_store: AuthStore

var _native = null  # BosbaseNative; untyped so its methods resolve at run time
var _open_error: ClientResponseError = null
var _next_call_id := 0
## call id -> WorkerThreadPool task id, for every call still running.
var _tasks := {}


func _init(url: String = "http://127.0.0.1:8090", lang_code: String = "en-US") -> void:
	base_url = url
	lang = lang_code
	if not ClassDB.class_exists("BosbaseNative"):
		_open_error = ClientResponseError.new(
			{"kind": "invalid_argument", "message": "BosBase native library not loaded"}
		)
		push_error(_open_error.to_string())
		return
	_native = ClassDB.instantiate("BosbaseNative")
	auth_store = AuthStore.new(_native)
	var options := {"userAgent": "bosbase-godot/" + _native.version(), "lang": lang}
	var opened: Variant = _decode(_native.open(url, JSON.stringify(options)))
	if opened is ClientResponseError:
		_open_error = opened
		push_error(_open_error.to_string())


## The record and auth calls of one collection.
func collection(name: String) -> RecordService:
	return RecordService.new(self, name)


## Sends a request to any server path, e.g. [code]await pb.send("/api/health")[/code].
## [param options] may hold method, body, query, headers (see the core's options_json).
func send(path: String, options: Dictionary = {}) -> Variant:
	return await run_native(&"send", [path, options_json(options)])


## A new random custom token (256 bits from the OS), for bind_custom_token.
func generate_token() -> String:
	var reply: Variant = _decode(_native.generate_token())
	return reply if reply is String else ""


## Runs one blocking BosbaseNative method on a worker and awaits its result on the main thread.
func run_native(method: StringName, args: Array) -> Variant:
	if _open_error != null:
		return _open_error
	_next_call_id += 1
	var call_id := _next_call_id
	_tasks[call_id] = WorkerThreadPool.add_task(
		_work.bind(_native, method, args, call_id), false, "BosBase %s" % method
	)
	var envelope := ""
	while true:
		var done: Array = await native_call_done
		if done[0] == call_id:
			envelope = done[1]
			break
	# The worker has handed over its result; reap the task so the pool keeps nothing.
	WorkerThreadPool.wait_for_task_completion(_tasks[call_id])
	_tasks.erase(call_id)
	auth_store.sync_changes()
	return _decode(envelope)


## Options Dictionary -> the JSON text the core reads ("" for none).
static func options_json(options: Dictionary) -> String:
	return "" if options.is_empty() else JSON.stringify(options)


func _notification(what: int) -> void:
	# A client dropped while calls run: wait for its workers, which hold the native object.
	if what == NOTIFICATION_PREDELETE:
		for task_id: int in _tasks.values():
			WorkerThreadPool.wait_for_task_completion(task_id)
		_tasks.clear()


## Worker thread: the blocking call, then hand the result to the main thread.
func _work(native: RefCounted, method: StringName, args: Array, call_id: int) -> void:
	var envelope: String = native.callv(method, args)
	_finish_call.call_deferred(call_id, envelope)


func _finish_call(call_id: int, envelope: String) -> void:
	native_call_done.emit(call_id, envelope)


## The native reply {"status", "result", "error"} -> the result, or a ClientResponseError.
func _decode(envelope: String) -> Variant:
	var reply: Variant = JSON.parse_string(envelope)
	if not reply is Dictionary:
		return ClientResponseError.new({"kind": "json", "message": "unreadable native reply"})
	if int(reply.status) != 0:
		var error: Variant = reply.error
		return ClientResponseError.new(error if error is Dictionary else {})
	return reply.result
