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
## Signals fire on the main thread only, once per frame at most a frame after the event
## reached the client: the BosBase core calls the native library on its own dispatch
## thread, which queues the event and returns (no engine function runs there); the first
## subscription polled in a frame takes the queue and emits every signal. Subscribing and
## unsubscribing never block a frame (the native work runs on a thread of the library).
## [br][br]
## Overflow: at most 1024 events of one subscription wait (in the core, and again in the
## native library's queue); beyond that the oldest is dropped and counted by
## [method dropped] (the subscribed and error notices never are). After
## [method unsubscribe] returns no signal of it fires any more. Dropping the last
## reference unsubscribes and frees the native subscription. (A handler that captures its
## own subscription keeps it alive: unsubscribe it explicitly.)

## The server accepted the subscription (again after every reconnect for pub/sub).
signal subscribed(topic: String)
## An event: realtime [code]{"type": "event", "topic", "event": "create"|"update"|"delete",
## "record": {...}}[/code] (or [code]"data"[/code] for a custom topic); pub/sub
## [code]{"type": "message", "topic", "id", "created", "data"}[/code].
signal received(event: Dictionary)
## The subscription failed: refused by the server (realtime: it ends there), or it could not
## be started (e.g. kind "invalid_argument" or "closed").
signal failed(error: ClientResponseError)

const PendingCall = preload("pending_call.gd")

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


## Stops the subscription: no signal of it fires after this returns. The native unsubscribe
## runs off the main thread.
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


## Events lost because more than 1024 were waiting (oldest dropped first).
func dropped() -> int:
	return _native.live_dropped(str(_id)) if _native != null else 0


## Routes the connection-state events queued under [param id] to [param client]'s
## [code]_on_live_event[/code] (held weakly).
static func watch(id: int, client: Object) -> void:
	_by_id[id] = weakref(client)


static func unwatch(id: int) -> void:
	_by_id.erase(id)


func _notification(what: int) -> void:
	if what == NOTIFICATION_PREDELETE and _native != null:
		_by_id.erase(_id)
		_native.live_free(str(_id))
		_native = null


# Main thread, once per frame per active subscription: the first one takes every event.
func _poll() -> void:
	var frame := Engine.get_process_frames()
	if frame == _drained_frame or _native == null:
		return
	_drained_frame = frame
	var events: String = _native.take_events()
	for line in events.split("\n", false):
		var space := line.find(" ")
		var ref: WeakRef = _by_id.get(line.left(space).to_int())
		var target: Object = ref.get_ref() if ref != null else null
		var event: Variant = JSON.parse_string(line.substr(space + 1))
		if target != null and event is Dictionary:
			target._on_live_event(event)


# Main thread. Skips events of a subscription stopped meanwhile (e.g. by a topic
# unsubscribe in an earlier handler of this frame).
func _on_live_event(event: Dictionary) -> void:
	if not _active or _native == null or _native.live_is_stopped(str(_id)):
		return
	match str(event.get("type", "")):
		"subscribed":
			subscribed.emit(str(event.get("topic", topic)))
		"event", "message":
			received.emit(event)
		"error":
			var error: Variant = event.get("error")
			failed.emit(ClientResponseError.new(error if error is Dictionary else {}))
