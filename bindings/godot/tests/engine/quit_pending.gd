extends SceneTree
## Quits the engine while calls are pending and their script side is torn down (the calls'
## awaits never resume), with a confirmed realtime subscription and a pub/sub one (whose
## threads run): run by tests/engine_test.sh quit, which fails on a crash, an engine error or
## leak line, or a slow exit. BOSBASE_URL names the dev server.

const BosBase = preload("res://addons/bosbase/bosbase.gd")

var _clients: Array = []
var _subscriptions: Array = []


func _initialize() -> void:
	_start()


func _start() -> void:
	var live := BosBase.new(OS.get_environment("BOSBASE_URL"))
	var sub: RefCounted = live.collection("posts").subscribe("*")
	_subscriptions = [sub, live.pubsub_subscribe("quit-test")]
	var timer := create_timer(10.0)
	var confirmed := [false]
	sub.subscribed.connect(func(_t: String) -> void: confirmed[0] = true)
	while not confirmed[0] and timer.time_left > 0.0:
		await process_frame
	print("quit-pending: realtime subscription confirmed: ", confirmed[0])
	# A listener outside the engine that never answers (tests/engine_test.sh quit).
	var port := OS.get_environment("BOSBASE_SILENT_PORT")
	var slow := BosBase.new("http://127.0.0.1:" + port, {"timeoutMs": 20000})
	var fast := BosBase.new(OS.get_environment("BOSBASE_URL"))
	for i in 4:
		_wait(slow.health().check())
		_wait(slow.collection("users").auth_with_token("t"))
	_wait(slow.send("/api/health"))
	_wait(fast.health().check())
	_clients = [slow, fast, live]
	print("quit-pending: 10 calls started, quitting")
	print("quit-pending: quit at %d ms" % int(Time.get_unix_time_from_system() * 1000.0))
	quit(0)


func _wait(call: Signal) -> void:
	var result: Variant = await call
	print("quit-pending: a call resumed after quit: ", result)
