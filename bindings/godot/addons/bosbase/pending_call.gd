extends RefCounted
## One native call in flight, and the one place that decides how a call's outcome reaches
## the awaiting script.
##
## A call starts without blocking: the native library runs it (an operation or a send) on
## the BosBase core's own worker threads ([code]close[/code]: the core's release, which waits
## on a thread of the core) and returns an id at once. When it finishes, its outcome is put in the
## native library's completion queue (no engine function is used off the main thread). While
## calls are pending, every pending call listens to the scene tree's
## [signal SceneTree.process_frame]; the first of them each frame takes the queue and
## delivers each outcome, so [signal finished] fires on the main thread, at most one frame
## after the answer arrived. No engine thread pool is involved, and with nothing pending
## nothing is polled.
##
## A started call is kept alive by [member _pending] until its outcome was delivered, and it
## holds the native object, so the client handle outlives every call in flight whatever
## happens to the [code]BosBase[/code] object that started it: awaits always resolve, and
## dropping a client never waits for the network on the main thread.

## The result: the call's value, or a [ClientResponseError]. Emitted once, on the main thread.
signal finished(result: Variant)
## Progress of a download ([code]BosBase.download[/code]) or of an upload whose options
## carry a [code]progress[/code] Callable: [param done] bytes of [param total]
## (0 while unknown). Throttled by the core (each 1% or 100 ms), the last one with
## [code]done == total[/code]; emitted on the main thread, never after [signal finished].
signal progress(done: int, total: int)

## Calls started and not yet delivered (call -> true): their strong references.
static var _pending := {}
## The same calls by native id (id -> call), to route outcomes.
static var _by_id := {}
## The frame whose outcomes were last taken (one look per frame).
static var _drained_frame := -1

## For an OAuth2 flow: called with the provider's URL on the main thread, before the outcome.
var on_url := Callable()
## [code]TYPE_INT[/code]: a numeric result is delivered as an [int] (an integer row).
var result_type := TYPE_NIL

var _native: RefCounted = null
var _auth_store: RefCounted = null  # auth_store.gd, told about changes after the call
var _id := 0


func _init(native: RefCounted, auth_store: RefCounted = null) -> void:
	_native = native
	_auth_store = auth_store


## Starts the native method [param method] (one that returns the call's id, e.g.
## [code]call_async[/code]) with [param args] and returns [signal finished] for the caller
## to [code]await[/code].
func start(method: StringName, args: Array) -> Signal:
	if _native == null:
		return start_failed(
			ClientResponseError.new({"kind": "invalid_argument", "message": "no native client"})
		)
	var reply: Variant = decode(_native.callv(method, args))
	if reply is ClientResponseError:
		return start_failed(reply)
	var tree := Engine.get_main_loop() as SceneTree
	if tree == null:
		# Without a SceneTree there are no frames to deliver in: cancel rather than hang.
		_native.cancel_all()
		return start_failed(
			ClientResponseError.new(
				{"kind": "invalid_argument", "message": "BosBase calls need a SceneTree main loop"}
			)
		)
	_id = int(reply)
	_pending[self] = true
	_by_id[_id] = self
	tree.process_frame.connect(_poll)
	return finished


## For a call that fails without running (e.g. the client could not be opened):
## [signal finished] still fires later, so [code]await[/code] works the same.
func start_failed(error: ClientResponseError) -> Signal:
	_pending[self] = true
	_deliver.call_deferred(error)
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


# Main thread, once per frame per pending call: the first one takes every outcome.
func _poll() -> void:
	var frame := Engine.get_process_frames()
	if frame == _drained_frame or _native == null:
		return
	_drained_frame = frame
	var completed: String = _native.take_completed()
	for line in completed.split("\n", false):
		var space := line.find(" ")
		var call: Variant = _by_id.get(line.left(space).to_int())
		if call != null:
			call._receive(line.substr(space + 1))


# Main thread: a progress report ({"progress"}) is emitted as [signal progress], an OAuth2
# flow's URL step ({"oauth2Url"}) goes to [member on_url]; anything else is the outcome.
func _receive(envelope: String) -> void:
	if envelope.begins_with("{\"progress\":"):
		var report: Variant = JSON.parse_string(envelope)
		if report is Dictionary and report.progress is Array and report.progress.size() == 2:
			progress.emit(int(report.progress[0]), int(report.progress[1]))
		return
	if envelope.begins_with("{\"oauth2Url\":"):
		var step: Variant = JSON.parse_string(envelope)
		if step is Dictionary and on_url.is_valid():
			on_url.call(str(step.oauth2Url))
		return
	var result: Variant = decode(envelope)
	if result_type == TYPE_INT and result is float:
		result = int(result)
	_deliver(result)


# Main thread.
func _deliver(result: Variant) -> void:
	var keep: RefCounted = self  # _pending.erase below may drop the last other reference
	var tree := Engine.get_main_loop() as SceneTree
	if tree != null and tree.process_frame.is_connected(_poll):
		tree.process_frame.disconnect(_poll)
	_by_id.erase(_id)
	_native = null
	_pending.erase(keep)
	if _auth_store != null:
		_auth_store.sync_changes()
		_auth_store = null
	finished.emit(result)
