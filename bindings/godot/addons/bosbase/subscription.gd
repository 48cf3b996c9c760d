extends RefCounted
## One realtime or pub/sub subscription: [code]pb.collection("posts").subscribe("*")[/code],
## [code]pb.realtime().subscribe(topic)[/code] or [code]pb.pubsub_subscribe(topic)[/code].
##
## [codeblock]
## var sub = pb.collection("posts").subscribe("*")
## sub.received.connect(func(e): print(e.event, " ", e.record.id))
## await sub.subscribed   # the server accepted it
## ...
## sub.unsubscribe()       # or just drop the last reference
## [/codeblock]
## Signals fire on the main thread only, at most a frame after the event reached the
## client: the BosBase core queues each subscription's events, and once per frame the first
## subscription polled reads every queue (each entry's kind comes from the core as a value)
## and emits the signals. No thread of the native library is involved, and subscribing,
## unsubscribing and freeing never block a frame.
## [br][br]
## Overflow: at most 1024 entries (notices included) or 16 MiB of one subscription wait in
## the core's queue; beyond that the oldest event is dropped and counted by
## [method dropped] (the subscribed, error and connection-state notices never are). After
## [method unsubscribe] returns no signal of it fires any more. Dropping the last reference
## unsubscribes and frees the native subscription. (A handler that captures its own
## subscription keeps it alive: unsubscribe it explicitly.)

## The server accepted the subscription (again after every reconnect for pub/sub).
signal subscribed(topic: String)
## An event: realtime [code]{"type": "event", "topic", "event": "create"|"update"|"delete",
## "record": {...}}[/code] (or [code]"data"[/code] for a custom topic); pub/sub
## [code]{"type": "message", "topic", "id", "created", "data"}[/code].
signal received(event: Dictionary)
## The subscription failed: refused by the server (realtime: it ends there), or it could not
## be started (e.g. kind "invalid_argument" or "closed").
signal failed(error: ClientResponseError)
## The connection this subscription uses changed state (realtime: the client's stream,
## pub/sub: its WebSocket): [code]{"type": "state", "state": "connected"}[/code],
## [code]"disconnected"[/code] (with [code]"cause"[/code]; reconnecting) or
## [code]"reconnected"[/code] (events sent meanwhile were missed: refetch).
signal connection_state(state: Dictionary)

const PendingCall = preload("pending_call.gd")

## The kinds of the core's entries (BosbaseEventKind).
const KIND_EVENT := 1
const KIND_SUBSCRIBED := 2
const KIND_ERROR := 3
const KIND_STATE := 4

## Event routing: id -> WeakRef of a subscription (or of a client, for its connection states).
static var _by_id := {}
## The frame whose events were last taken (one look per frame).
static var _drained_frame := -1

## The topic as given ([code]"*"[/code] or a record id for a collection subscription).
var topic: String

var _native = null  # BosbaseNative (untyped: its methods resolve at run time)
var _id := 0
var _active := false


func _init(topic_name: String) -> void:
	topic = topic_name


## Starts the native subscription: [param method] of [param native] (one returning an id in
## its envelope) with [param args]. Used by [code]bosbase.gd[/code].
func start(native: Object, method: StringName, args: Array) -> RefCounted:
	var reply: Variant = PendingCall.decode(native.callv(method, args))
	if reply is ClientResponseError:
		return start_failed(reply)
	_native = native
	_id = int(reply)
	_active = true
	_by_id[_id] = weakref(self)
	var tree := Engine.get_main_loop() as SceneTree
	if tree == null:
		unsubscribe()
		return start_failed(
			ClientResponseError.new(
				{"kind": "invalid_argument", "message": "BosBase subscriptions need a SceneTree"}
			)
		)
	tree.process_frame.connect(_poll)
	return self


## A subscription that could not start: [signal failed] fires on the next idle time.
func start_failed(error: ClientResponseError) -> RefCounted:
	_active = false
	failed.emit.call_deferred(error)
	return self


## Stops the subscription: no signal of it fires after this returns.
func unsubscribe() -> void:
	if _native != null and _active:
		_native.live_unsubscribe(str(_id))
	_active = false
	var tree := Engine.get_main_loop() as SceneTree
	if tree != null and tree.process_frame.is_connected(_poll):
		tree.process_frame.disconnect(_poll)


## True until unsubscribed (here, by topic, by closing the client) or refused.
func is_active() -> bool:
	return _active and _native != null and _native.live_is_active(str(_id))


## Events the core dropped because more than 1024 (or 16 MiB) were waiting (oldest first).
func dropped() -> int:
	return _native.live_dropped(str(_id)) if _native != null else 0


## Routes the realtime connection states the native library gives under [param id] to
## [param client]'s [code]_on_live_event[/code] (held weakly).
static func watch(id: int, client: Object) -> void:
	_by_id[id] = weakref(client)


static func unwatch(id: int) -> void:
	_by_id.erase(id)


func _notification(what: int) -> void:
	if what == NOTIFICATION_PREDELETE and _native != null:
		_by_id.erase(_id)
		_native.live_free(str(_id))
		_native = null


# Main thread, once per frame per active subscription: the first one reads every queue.
func _poll() -> void:
	var frame := Engine.get_process_frames()
	if frame == _drained_frame or _native == null:
		return
	_drained_frame = frame
	var entries: String = _native.take_events()
	for line in entries.split("\n", false):
		var space := line.find(" ")
		var space2 := line.find(" ", space + 1)
		var ref: WeakRef = _by_id.get(line.left(space).to_int())
		var target: Object = ref.get_ref() if ref != null else null
		var event: Variant = JSON.parse_string(line.substr(space2 + 1))
		if target != null and event is Dictionary:
			target._on_live_event(line.substr(space + 1, space2 - space - 1).to_int(), event)


# Main thread. Skips entries of a subscription stopped meanwhile (e.g. by a topic
# unsubscribe in an earlier handler of this frame).
func _on_live_event(kind: int, event: Dictionary) -> void:
	if not _active or _native == null or _native.live_is_stopped(str(_id)):
		return
	match kind:
		KIND_SUBSCRIBED:
			subscribed.emit(str(event.get("topic", topic)))
		KIND_EVENT:
			received.emit(event)
		KIND_ERROR:
			var error: Variant = event.get("error")
			failed.emit(ClientResponseError.new(error if error is Dictionary else {}))
		KIND_STATE:
			connection_state.emit(event)
