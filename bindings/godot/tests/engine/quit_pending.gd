extends SceneTree
## Quits the engine while calls are pending and their script side is torn down (the calls'
## awaits never resume): run by tests/engine_test.sh quit, which fails on a crash, an engine
## error or leak line, or a slow exit. BOSBASE_URL names the dev server.

const BosBase = preload("res://addons/bosbase/bosbase.gd")

var _clients: Array = []


func _initialize() -> void:
	# A listener outside the engine that never answers (tests/engine_test.sh quit).
	var port := OS.get_environment("BOSBASE_SILENT_PORT")
	var slow := BosBase.new("http://127.0.0.1:" + port, {"timeoutMs": 20000})
	var fast := BosBase.new(OS.get_environment("BOSBASE_URL"))
	for i in 4:
		_wait(slow.health().check())
		_wait(slow.collection("users").auth_with_token("t"))
	_wait(slow.send("/api/health"))
	_wait(fast.health().check())
	_clients = [slow, fast]
	print("quit-pending: 10 calls started, quitting")
	print("quit-pending: quit at %d ms" % int(Time.get_unix_time_from_system() * 1000.0))
	quit(0)


func _wait(call: Signal) -> void:
	var result: Variant = await call
	print("quit-pending: a call resumed after quit: ", result)
