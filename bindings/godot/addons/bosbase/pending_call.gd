extends RefCounted
## One native call in flight, and the one place that decides where a blocking native call runs.
##
## Today a call runs on [WorkerThreadPool]: the worker runs the blocking BosbaseNative method,
## hands the reply to the main thread with [method Object.call_deferred], and [signal finished]
## fires there with the decoded result. Moving to the core's asynchronous C call
## (bosbase_call_async) replaces [method start] and [method _run] here (plus the native method
## that starts such a call, in C); the rest of the addon only awaits [signal finished].
##
## A started call is kept alive by [member _pending] until its result reached the main thread,
## and it holds the native object, so the client handle outlives every call in flight whatever
## happens to the [code]BosBase[/code] object that started it: awaits always resolve, and
## freeing a client never waits for the network on the main thread.

## The result: the call's value, or a [ClientResponseError]. Emitted once, on the main thread.
signal finished(result: Variant)

## Calls started and not yet delivered (call -> true): their strong references.
static var _pending := {}

var _native: RefCounted = null
var _method: StringName
var _args: Array = []
var _auth_store: RefCounted = null  # auth_store.gd, told about changes after the call
var _task_id := -1
var _envelope := ""
var _immediate: Variant = null


func _init(
	native: RefCounted, method: StringName, args: Array, auth_store: RefCounted = null
) -> void:
	_native = native
	_method = method
	_args = args
	_auth_store = auth_store


## Like [method start] for a call that fails without running (e.g. the client could not be
## opened): [signal finished] still fires later, so [code]await[/code] works the same.
func start_failed(error: ClientResponseError) -> Signal:
	_immediate = error
	return start()


## Starts the call and returns [signal finished] for the caller to [code]await[/code].
func start() -> Signal:
	_pending[self] = true
	if _immediate != null or _native == null:
		_deliver.call_deferred()
	else:
		_task_id = WorkerThreadPool.add_task(_run, false, "BosBase %s" % _method)
	return finished


## Number of calls started and not yet delivered (for tests and clean shutdowns).
static func pending_count() -> int:
	return _pending.size()


## The native reply {"status", "result", "error"} -> the result, or a [ClientResponseError].
static func decode(envelope: String) -> Variant:
	var reply: Variant = JSON.parse_string(envelope)
	if not reply is Dictionary or not reply.has("status"):
		return ClientResponseError.new({"kind": "json", "message": "unreadable native reply"})
	if int(reply.status) != 0:
		var error: Variant = reply.get("error")
		return ClientResponseError.new(error if error is Dictionary else {})
	return reply.get("result")


# Worker thread: the blocking call, then back to the main thread.
func _run() -> void:
	_envelope = _native.callv(_method, _args)
	_deliver.call_deferred()


# Main thread.
func _deliver() -> void:
	var keep: RefCounted = self  # _pending.erase below may drop the last other reference
	if _task_id >= 0:
		# Returns at once (the worker has finished _run); the pool keeps nothing behind.
		WorkerThreadPool.wait_for_task_completion(_task_id)
	var result: Variant = _immediate if _immediate != null else decode(_envelope)
	_native = null
	_pending.erase(keep)
	if _auth_store != null:
		_auth_store.sync_changes()
		_auth_store = null
	finished.emit(result)
