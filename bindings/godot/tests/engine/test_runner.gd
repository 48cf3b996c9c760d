# gdlint: disable=max-public-methods
extends SceneTree
## The BosBase addon's tests, executed by a real Godot engine against the dev server:
##   godot --headless --path tests/engine --script res://test_runner.gd
## (tests/engine_test.sh runs it through scripts/godot and fails on any engine error line).
## BOSBASE_URL names a dev server started with --demo; BOSBASE_TLS_* the TLS fixture (optional).
##
## Output contract with engine_test.sh: "EXPECT-ERROR: <text>" announces one engine error line
## containing <text> that a test provokes on purpose (seed 003's push_error calls); the last
## line is "godot-engine: N passed, M failed".

const BosBase = preload("res://addons/bosbase/bosbase.gd")
const PendingCall = preload("res://addons/bosbase/pending_call.gd")
const Seed003 = preload("res://seed_003.gd")
const SurfaceTests = preload("res://surface_tests.gd")
const RealtimeTests = preload("res://realtime_tests.gd")
const DeliveryTests = preload("res://delivery_tests.gd")
const TransfersTests = preload("res://transfers_tests.gd")
const OAuth2Tests = preload("res://oauth2_tests.gd")
const SmokeTests = preload("res://smoke_gen.gd")
const TIME_LIMIT_S := 420.0

var passed := 0
var failed := 0
var url := ""
var _finished := false


func _initialize() -> void:
	url = OS.get_environment("BOSBASE_URL")
	create_timer(TIME_LIMIT_S).timeout.connect(_on_time_limit)
	_run_all()


func _run_all() -> void:
	if url == "":
		check(false, "BOSBASE_URL is set")
		_finish()
		return
	if OS.get_environment("BOSBASE_GODOT_ONLY") == "oauth2":  # a quick run of one part
		await OAuth2Tests.new(self).run()
		_finish()
		return
	await test_native_loaded()
	await test_basics()
	await test_generated_operations()
	await test_no_worker_thread_pool()
	await test_seed_snippets()
	await test_seed_complete_example()
	await test_seed_error_helpers()
	await test_error_fields_and_match()
	await test_refused_connection()
	await test_invalid_url_and_options()
	await test_password_refresh_send()
	await test_mfa()
	await test_auth_store()
	await test_concurrent_calls()
	await test_frames_keep_running()
	await test_timeout()
	await test_retries()
	await test_freed_while_pending()
	await test_cancel()
	await test_cancel_then_free_awaiting_node()
	await test_close()
	await test_tls()
	await SurfaceTests.new(self).run()
	await SmokeTests.new(self).run()
	await RealtimeTests.new(self).run()
	await DeliveryTests.new(self).run()
	await TransfersTests.new(self).run()
	await OAuth2Tests.new(self).run()
	await test_everything_released()
	_finish()


# --- helpers ---------------------------------------------------------------------------


func check(ok: bool, what: String) -> void:
	if ok:
		passed += 1
	else:
		failed += 1
		printerr("FAIL: ", what)


func expect_engine_error(text: String) -> void:
	print("EXPECT-ERROR: ", text)


func is_error(value: Variant) -> bool:
	return value is ClientResponseError


func _finish() -> void:
	if _finished:
		return
	_finished = true
	# Let deferred deliveries and frees run before the engine's own leak report at exit.
	for i in 3:
		await process_frame
	print("godot-engine: %d passed, %d failed" % [passed, failed])
	quit(0 if failed == 0 else 1)


func _on_time_limit() -> void:
	check(false, "suite finished within %d s" % TIME_LIMIT_S)
	_finished = true
	print("godot-engine: %d passed, %d failed" % [passed, failed])
	quit(1)


## A 127.0.0.1 port where nothing listens: bind, read the port, stop.
func closed_port() -> int:
	var server := TCPServer.new()
	server.listen(0, "127.0.0.1")
	var port := server.get_local_port()
	server.stop()
	return port


# --- tests -------------------------------------------------------------------------------


func test_native_loaded() -> void:
	check(ClassDB.class_exists("BosbaseNative"), "the GDExtension is loaded")
	check(
		not ClassDB.class_exists("BosBase"), "the native class stays internal (only bosbase.gd)"
	)


func test_basics() -> void:
	var pb := BosBase.new(url)
	check(pb.version() != "", "version() is the native library's")
	var t1: String = pb.generate_token()
	var t2: String = pb.generate_token()
	check(t1.length() == 43 and t1 != t2, "generate_token: 43 characters, fresh each time")
	var url_safe := RegEx.create_from_string("^[A-Za-z0-9_-]+$")
	check(url_safe.search(t1) != null, "generate_token is URL-safe")
	var health: Variant = await pb.send("/api/health")
	check(health is Dictionary and int(health.get("code", 0)) == 200, "send /api/health")
	var op: Variant = await pb.call_operation("health.check")
	check(op is Dictionary and int(op.get("code", 0)) == 200, "call_operation health.check")
	var unknown: Variant = await pb.call_operation("no.such.operation")
	check(
		is_error(unknown) and unknown.kind == "invalid_argument",
		"unknown operation: ClientResponseError invalid_argument"
	)
	var typed: Variant = await pb.call_operation(
		"records.authWithPassword",
		{"collection": "users", "identity": "user@example.com", "password": "user-password"}
	)
	check(
		typed is Dictionary and typed.record.email == "user@example.com",
		"call_operation records.authWithPassword"
	)


## health.check and collections.getList through the methods generated from the core's table.
func test_generated_operations() -> void:
	var pb := BosBase.new(url)
	var health: Variant = await pb.health().check()
	check(health is Dictionary and int(health.get("code", 0)) == 200, "generated health().check()")
	var anonymous: Variant = await pb.collections().get_list()
	check(
		is_error(anonymous) and anonymous.status in [401, 403],
		"collections().get_list() needs a superuser (%s)" % str(anonymous)
	)
	var admin: Variant = await pb.collection("_superusers").auth_with_password(
		"admin@example.com", "admin-password"
	)
	check(admin is Dictionary and pb.auth_store.is_valid(), "superuser auth_with_password")
	var page: Variant = await pb.collections().get_list()
	check(
		page is Dictionary and int(page.get("page", 0)) == 1 and int(page.get("perPage", 0)) == 30,
		"generated collections().get_list() with its defaults (page 1, 30 per page)"
	)
	var names: Array = []
	if page is Dictionary:
		for c in page.get("items", []):
			names.append(c.get("name"))
	check("users" in names, "get_list lists the users collection (%s)" % str(names))
	var small: Variant = await pb.collections().get_list(2, 1, {"fields": "name"})
	check(
		small is Dictionary and int(small.page) == 2 and small.items.size() == 1,
		"get_list(2, 1, options): page 2, one item"
	)
	check(
		small is Dictionary and small.items[0].keys() == ["name"], "options reach the core (fields)"
	)


## The addon never uses the engine's thread pool: calls run on the core's own threads.
func test_no_worker_thread_pool() -> void:
	var dir := "res://addons/bosbase/"
	var scripts := 0
	var users: Array = []
	for file in DirAccess.get_files_at(dir):
		if file.ends_with(".gd"):
			scripts += 1
			if FileAccess.get_file_as_string(dir + file).contains("WorkerThreadPool"):
				users.append(file)
	check(scripts >= 8, "addon scripts found (%d)" % scripts)
	check(users.is_empty(), "no addon script mentions WorkerThreadPool (%s)" % str(users))


func test_seed_snippets() -> void:
	var s: Node = Seed003.new()
	root.add_child(s)
	await s.binding_a_token()
	await s.logging_in_with_a_token()
	check(s.pb.auth_store.record.email == "admin@example.com", "seed: superuser login last")
	check(s.pb.auth_store.is_valid(), "seed: auth store valid after token login")
	await s.unbinding_a_token()
	var again: Variant = await s.pb.collection("users").auth_with_token("my-app-token")
	check(is_error(again) and again.status >= 400, "seed: unbound token no longer signs in")
	s.queue_free()
	await process_frame


func test_seed_complete_example() -> void:
	var s: Node = Seed003.new()
	root.add_child(s)
	# The seed's sample password is not the demo account's: step 1 fails with a 400.
	expect_engine_error("Failed to bind token: ClientResponseError(status 400")
	await s.setup_custom_token_auth()
	# The same flow with the demo account's password reaches step 3.
	var token: String = s.pb.generate_token()
	var users: RefCounted = s.pb.collection("users")
	check(
		await users.bind_custom_token("user@example.com", "user-password", token) == true,
		"complete example: step 1 with the demo password"
	)
	var auth: Variant = await users.auth_with_token(token)
	check(auth is Dictionary and auth.record.email == "user@example.com", "complete example: step 2")
	check(auth is Dictionary and auth.token == s.pb.auth_store.token, "auth.token is the store's")
	check(
		await users.unbind_custom_token("user@example.com", "user-password", token) == true,
		"complete example: step 3"
	)
	s.queue_free()
	await process_frame


func test_seed_error_helpers() -> void:
	var s: Node = Seed003.new()
	root.add_child(s)
	var token: String = s.pb.generate_token()
	check(
		await s.safe_bind_token("users", "user@example.com", "user-password", token),
		"safe_bind_token with the demo account"
	)
	var auth: Dictionary = await s.safe_auth_with_token("users", token)
	check(auth.get("record", {}).get("email") == "user@example.com", "safe_auth_with_token")
	expect_engine_error("Invalid request - check email, password, or token format")
	check(
		not await s.safe_bind_token("users", "user@example.com", "wrong-password", token),
		"safe_bind_token: wrong password is false (match 400)"
	)
	# BosBase answers an unknown token with a 400, so the seed's match takes its `_` branch.
	expect_engine_error("Authentication error: ClientResponseError(status 400, http)")
	var none: Dictionary = await s.safe_auth_with_token("users", "never-bound-" + token)
	check(none.is_empty(), "safe_auth_with_token: unknown token gives {}")
	await s.pb.collection("users").unbind_custom_token("user@example.com", "user-password", token)
	s.queue_free()
	await process_frame


func test_error_fields_and_match() -> void:
	var pb := BosBase.new(url)
	var secret := "secret-token-" + pb.generate_token()
	var err: Variant = await pb.collection("users").bind_custom_token(
		"user@example.com", "wrong-password-123", secret
	)
	check(is_error(err), "a 400 is a ClientResponseError")
	if not is_error(err):
		return
	check(err.status == 400 and err.kind == "http", "status 400, kind http")
	check(err.url.ends_with("/api/collections/users/bind-token"), "url: " + err.url)
	check(int(err.response.get("status", 0)) == 400, "response keeps the server body")
	check(err.response.has("data") and err.response.has("message"), "response data and message")
	check(err.message != "" and not err.is_abort, "message set, not an abort")
	check(str(err) == err.to_string() and "400" in err.to_string(), "to_string / str()")
	check(
		not ("wrong-password-123" in err.to_string() or secret in err.to_string()),
		"no password or token in the error"
	)
	var branch := ""
	match err.status:
		400:
			branch = "400"
		401:
			branch = "401"
		_:
			branch = "other"
	check(branch == "400", "match on status takes the 400 branch")


func test_refused_connection() -> void:
	var down := BosBase.new("http://127.0.0.1:%d" % closed_port())
	var r: Variant = await down.collection("users").bind_custom_token("a@b.c", "p", "t")
	check(r != null and is_error(r), "refused connection: never null, a ClientResponseError")
	if is_error(r):
		check(r.status == 0 and r.kind == "network", "refused: status 0, kind network")
		var branch := ""
		match r.status:
			0:
				branch = "no answer"
			_:
				branch = "answer"
		check(branch == "no answer", "match status 0")
	var auth: Variant = await down.collection("users").auth_with_token("t")
	check(is_error(auth) and auth.status == 0, "auth_with_token refused: status 0")


func test_invalid_url_and_options() -> void:
	expect_engine_error("ClientResponseError(status 0, invalid_argument)")
	var bad := BosBase.new("http://user:pw@127.0.0.1:8090")
	var r: Variant = await bad.send("/api/health")
	check(is_error(r) and r.kind == "invalid_argument", "userinfo URL: every call fails")
	check(is_error(r) and not ("pw@" in r.to_string()), "the URL's password stays out")
	var lang := BosBase.new(url, "de-DE")
	check(lang.lang == "de-DE", "second argument as a language code")
	var health: Variant = await lang.send("/api/health")
	check(health is Dictionary, "client with a language code works")
	var opts := BosBase.new(url, {"lang": "fr-FR", "timeoutMs": 5000, "maxIdleConnections": 4})
	check(opts.lang == "fr-FR", "options Dictionary: lang")
	health = await opts.send("/api/health")
	check(health is Dictionary, "client with an options Dictionary works")
	expect_engine_error("ClientResponseError(status 0, invalid_argument)")
	var typo := BosBase.new(url, {"timeoutMs": "soon"})
	r = await typo.send("/api/health")
	check(is_error(r) and r.kind == "invalid_argument", "a mistyped client option is refused")
	r = await opts.send("/api/health", {"bogus": 1})
	check(is_error(r) and r.kind == "invalid_argument", "an unknown call option is refused")


func test_password_refresh_send() -> void:
	var pb := BosBase.new(url)
	var users: RefCounted = pb.collection("users")
	var auth: Variant = await users.auth_with_password("user2@example.com", "user2-password")
	check(auth is Dictionary and auth.record.email == "user2@example.com", "auth_with_password")
	var refreshed: Variant = await users.auth_refresh()
	check(refreshed is Dictionary and refreshed.token != "", "auth_refresh")
	check(refreshed is Dictionary and pb.auth_store.token == refreshed.token, "refresh saved")
	var methods: Variant = await users.send("/auth-methods")
	check(methods is Dictionary and methods.has("password"), "collection send /auth-methods")
	var missing: Variant = await users.send("/records/no-such-record-id")
	check(
		is_error(missing) and missing.kind == "http" and missing.status == 404,
		"collection send, HTTP error: kind http, status 404 (%s)" % str(missing)
	)
	var posted: Variant = await pb.send("/api/collections/posts/records", {"query": {"perPage": 1}})
	check(posted is Dictionary and posted.has("items"), "send with query, authorized")
	var wrong: Variant = await users.auth_with_password("user2@example.com", "nope")
	check(is_error(wrong) and wrong.status == 400, "wrong password: 400")


func test_mfa() -> void:
	var pb := BosBase.new(url)
	var r: Variant = await pb.collection("mfa_users").auth_with_password(
		"mfa@example.com", "mfa-password"
	)
	check(is_error(r) and r.kind == "mfa_required", "MFA: kind mfa_required")
	check(is_error(r) and r.mfa_id != "" and r.status == 401, "MFA: mfa_id, status 401")
	check(pb.auth_store.token == "", "MFA first factor saves nothing")


func test_auth_store() -> void:
	var pb := BosBase.new(url)
	var store: RefCounted = pb.auth_store
	var seen: Array = []
	store.changed.connect(func(t: String, rec: Variant) -> void: seen.append([t, rec]))
	check(store.token == "" and store.record == null and not store.is_valid(), "empty store")
	var auth: Variant = await pb.collection("users").auth_with_password(
		"user@example.com", "user-password"
	)
	check(seen.size() == 1, "changed after an auth call (%d)" % seen.size())
	check(seen.size() >= 1 and seen[-1][0] == auth.token, "changed carries the token")
	check(seen.size() >= 1 and seen[-1][1].email == "user@example.com", "changed carries record")
	var exported: String = store.export_json()
	check(exported.contains(auth.token), "export_json holds the token")
	check(store.clear() == null, "clear")
	check(seen.size() == 2 and seen[-1][0] == "" and seen[-1][1] == null, "changed after clear")
	check(store.token == "" and not store.is_valid(), "cleared")
	check(store.import_json(exported) == null, "import_json")
	check(store.token == auth.token and store.is_valid(), "import restores the login")
	check(seen.size() == 3, "changed after import")
	var bad: Variant = store.import_json("[]")
	check(is_error(bad) and bad.kind == "invalid_argument", "import of [] refused")
	check(store.token == auth.token, "a refused import leaves the store")
	check(store.save("tok", {"id": "x", "email": "e@x"}) == null, "save")
	check(store.token == "tok" and store.record.id == "x", "save stored token and record")
	check(seen.size() == 4 and seen[-1][0] == "tok", "changed after save")
	var bind: Variant = await pb.collection("users").bind_custom_token(
		"user@example.com", "user-password", pb.generate_token()
	)
	check(bind == true and seen.size() == 4, "bind never touches the store")


## Awaits [param call] at once (as every call must be: a [Signal] fires once) and stores the
## result in [param into] at [param index]; the way to run calls side by side.
func collect(call: Signal, into: Array, index: int) -> void:
	into[index] = await call


## Calls started together on one client, each awaited by its own coroutine.
func test_concurrent_calls() -> void:
	var pb := BosBase.new(url)
	var token: String = pb.generate_token()
	var users: RefCounted = pb.collection("users")
	await users.bind_custom_token("user2@example.com", "user2-password", token)
	var results: Array = []
	results.resize(16)
	results.fill(null)
	for i in 16:
		if i % 2 == 0:
			collect(users.auth_with_token(token), results, i)
		else:
			collect(pb.send("/api/health"), results, i)
	check(PendingCall.pending_count() >= 16, "16 calls in flight at once")
	while results.has(null):
		await process_frame
	var ok := 0
	for i in 16:
		var r: Variant = results[i]
		if i % 2 == 0:
			ok += int(r is Dictionary and r.get("record", {}).get("email") == "user2@example.com")
		else:
			ok += int(r is Dictionary and int(r.get("code", 0)) == 200)
	check(ok == 16, "16 concurrent calls, each with its own result (%d ok)" % ok)
	check(pb.auth_store.record.email == "user2@example.com", "store holds the login")
	await users.unbind_custom_token("user2@example.com", "user2-password", token)
	check(PendingCall.pending_count() == 0, "no call left pending")


## The main loop keeps running frames while calls wait on the network: eight calls against
## a listener that never answers (fault injection), each ending at its 700 ms deadline.
func test_frames_keep_running() -> void:
	var silent := TCPServer.new()  # accepts connections (kernel backlog), never answers
	silent.listen(0, "127.0.0.1")
	var pb := BosBase.new("http://127.0.0.1:%d" % silent.get_local_port())
	var frames := [0]
	var count := func() -> void: frames[0] += 1
	process_frame.connect(count)
	var started := Time.get_ticks_msec()
	var results: Array = []
	results.resize(8)
	results.fill(null)
	for i in 8:
		match i % 3:
			0:
				collect(pb.health().check({"timeoutMs": 700}), results, i)
			1:
				collect(pb.collection("users").auth_with_token("t", {"timeoutMs": 700}), results, i)
			_:
				collect(pb.send("/api/health", {"timeoutMs": 700}), results, i)
	var longest_frame_us := 0
	var last := Time.get_ticks_usec()
	while results.has(null):
		await process_frame
		var now := Time.get_ticks_usec()
		longest_frame_us = maxi(longest_frame_us, now - last)
		last = now
	process_frame.disconnect(count)
	var elapsed := Time.get_ticks_msec() - started
	var timeouts := 0
	for r in results:
		timeouts += int(is_error(r) and r.kind == "timeout")
	check(timeouts == 8, "8 calls to a silent server: each a timeout (%d)" % timeouts)
	print(
		(
			"%d frames ran while 8 calls were pending for %d ms (longest frame %d us)"
			% [frames[0], elapsed, longest_frame_us]
		)
	)
	check(frames[0] >= 10, "%d frames ran during %d ms of pending calls" % [frames[0], elapsed])
	check(longest_frame_us < 100000, "no frame took 100 ms or more (%d us)" % longest_frame_us)
	silent.stop()


## Retries (fault injection): a loopback server served from this frame loop answers 503 twice,
## then 200; the client's "retries" option retries the GET through both, a call's own option
## replaces it, and a failure counts its attempts.
func test_retries() -> void:
	var server := TCPServer.new()
	server.listen(0, "127.0.0.1")
	var base := "http://127.0.0.1:%d" % server.get_local_port()
	var quick := {"maxAttempts": 3, "baseDelayMs": 10, "maxDelayMs": 40}
	var served := [0, 2]  # requests answered, how many of them get 503
	var peers: Array = []
	var serve := func() -> void:
		while server.is_connection_available():
			peers.append([server.take_connection(), ""])
		for p in peers:
			var peer: StreamPeerTCP = p[0]
			peer.poll()
			if peer.get_status() != StreamPeerTCP.STATUS_CONNECTED:
				continue
			var n := peer.get_available_bytes()
			if n > 0:
				p[1] += peer.get_utf8_string(n)
			while p[1].contains("\r\n\r\n"):  # GETs only: a request is its head
				p[1] = p[1].substr(p[1].find("\r\n\r\n") + 4)
				served[0] += 1
				var busy: bool = served[0] <= served[1]
				var body := '{"status":503,"message":"busy","data":{}}' if busy else '{"code":200}'
				var status := "503 Service Unavailable" if busy else "200 OK"
				var head := "HTTP/1.1 %s\r\nContent-Type: application/json\r\n" % status
				peer.put_data(
					("%sContent-Length: %d\r\n\r\n%s" % [head, body.length(), body]).to_utf8_buffer()
				)
	var run := func(pb: RefCounted, options: Dictionary) -> Variant:
		var results := [null]
		collect(pb.health().check(options), results, 0)
		var until := Time.get_ticks_msec() + 5000
		while results[0] == null and Time.get_ticks_msec() < until:
			serve.call()
			await process_frame
		return results[0]

	var got: Variant = await run.call(BosBase.new(base, {"retries": quick}), {})
	check(
		got is Dictionary and int(got.get("code", 0)) == 200 and served[0] == 3,
		"retries option: 503, 503, then 200 in one call (%d requests)" % served[0]
	)
	served[0] = 0
	got = await run.call(BosBase.new(base), {})
	check(
		is_error(got) and got.status == 503 and got.attempts == 1 and served[0] == 1,
		"retries are off by default: one attempt"
	)
	served[0] = 0
	served[1] = 1
	got = await run.call(BosBase.new(base), {"retries": quick})
	check(got is Dictionary and served[0] == 2, "a call's retries option retries it")
	server.stop()


func test_timeout() -> void:
	var silent := TCPServer.new()
	silent.listen(0, "127.0.0.1")
	var pb := BosBase.new("http://127.0.0.1:%d" % silent.get_local_port(), {"timeoutMs": 400})
	var started := Time.get_ticks_msec()
	var r: Variant = await pb.collection("users").auth_with_token("t")
	var elapsed := Time.get_ticks_msec() - started
	check(is_error(r) and r.kind == "timeout" and r.status == 0, "client timeoutMs: timeout")
	check(is_error(r) and r.is_abort, "a timeout is an abort")
	check(elapsed >= 300 and elapsed < 5000, "ended near its deadline (%d ms)" % elapsed)
	r = await pb.send("/api/health", {"timeoutMs": 150})
	check(is_error(r) and r.kind == "timeout", "per-call timeoutMs")
	silent.stop()


## Dropping the last reference to a client while its calls are pending: nothing blocks the
## main thread, the awaits resolve, and the native client goes once the calls are done.
func test_freed_while_pending() -> void:
	for i in 3:
		await process_frame
	var live_before := live_clients()
	print("live clients before the freed-while-pending test: ", live_before)
	var silent := TCPServer.new()
	silent.listen(0, "127.0.0.1")
	var pb := BosBase.new(url)
	var slow := BosBase.new("http://127.0.0.1:%d" % silent.get_local_port(), {"timeoutMs": 800})
	check(live_clients() == live_before + 2, "two native clients alive")
	var token: String = pb.generate_token()
	var users: RefCounted = pb.collection("users")
	var signals: Array[Signal] = [
		users.bind_custom_token("user@example.com", "user-password", token),
		pb.send("/api/health"),
		slow.send("/api/health"),
		slow.collection("users").auth_with_token("t"),
	]
	var t0 := Time.get_ticks_usec()
	users = null
	pb = null
	slow = null  # the last references: both BosBase objects are freed here
	var drop_us := Time.get_ticks_usec() - t0
	print("dropping clients took ", drop_us, " us")
	check(drop_us < 50000, "dropping clients with calls pending took %d us" % drop_us)
	var results: Array = [null, null, null, null]
	for i in signals.size():
		collect(signals[i], results, i)
	while results.has(null):
		await process_frame
	check(results[0] == true, "pending bind finished after its client was dropped")
	check(results[1] is Dictionary, "pending send finished after its client was dropped")
	check(is_error(results[2]) and results[2].kind == "timeout", "slow call resolved (timeout)")
	check(is_error(results[3]) and results[3].kind == "timeout", "second slow call resolved")
	# Released by the core off the main thread (bosbase_client_release): gone soon after.
	var waited := Time.get_ticks_msec()
	while live_clients() != live_before and Time.get_ticks_msec() - waited < 3000:
		await process_frame
	check(
		live_clients() == live_before,
		"native clients freed after their last call (%d, was %d)" % [live_clients(), live_before]
	)
	check(PendingCall.pending_count() == 0, "no call left pending")
	var cleanup := BosBase.new(url)
	await cleanup.collection("users").unbind_custom_token(
		"user@example.com", "user-password", token
	)
	silent.stop()


## cancel(): the calls in flight — operations and sends — end at once as "cancelled" (a login
## is not saved), and a client dropped after that is freed once its cancelled requests ended,
## off the main thread.
func test_cancel() -> void:
	var live_before := live_clients()
	var silent := TCPServer.new()
	silent.listen(0, "127.0.0.1")
	var pb := BosBase.new("http://127.0.0.1:%d" % silent.get_local_port(), {"timeoutMs": 1500})
	var results: Array = [null, null, null, null, null]
	collect(pb.collection("users").auth_with_token("t"), results, 0)
	collect(pb.health().check(), results, 1)
	collect(pb.collections().get_list(), results, 2)
	collect(pb.send("/api/health"), results, 3)
	collect(pb.collection("users").send("/auth-methods"), results, 4)
	await process_frame
	check(results.count(null) == 5, "nothing resolved before cancel()")
	var t0 := Time.get_ticks_usec()
	var cancelled: int = pb.cancel()
	var cancel_us := Time.get_ticks_usec() - t0
	check(cancelled == 5, "cancel() cancelled the 3 calls and 2 sends in flight (%d)" % cancelled)
	print("cancel() took ", cancel_us, " us")
	check(cancel_us < 50000, "cancel() took %d us" % cancel_us)
	var frames := 0
	while results.has(null) and frames < 10:
		await process_frame
		frames += 1
	var ok := 0
	for r in results:
		ok += int(is_error(r) and r.kind == "cancelled" and r.status == 0)
	# Their outcomes were queued before cancel() returned: this is the delivery latency.
	print("cancelled awaits resolved after %d frame(s)" % frames)
	check(ok == 5, "the 5 awaits resolved as cancelled within %d frames (%d)" % [frames, ok])
	check(
		is_error(results[3]) and results[3].kind == "cancelled",
		"the pending send resolved as cancelled (%s)" % str(results[3])
	)
	check(
		is_error(results[4]) and results[4].kind == "cancelled",
		"the pending collection send resolved as cancelled (%s)" % str(results[4])
	)
	check(frames == 1, "queued outcomes are delivered on the next frame (%d)" % frames)
	check(pb.auth_store.token == "", "a cancelled login saved nothing")
	t0 = Time.get_ticks_usec()
	pb = null
	var drop_us := Time.get_ticks_usec() - t0
	check(drop_us < 50000, "dropping the client after cancel() took %d us" % drop_us)
	var waited := Time.get_ticks_msec()
	while live_clients() != live_before and Time.get_ticks_msec() - waited < 5000:
		await process_frame
	check(
		live_clients() == live_before,
		(
			"the client was freed once its cancelled requests ended (%d ms)"
			% (Time.get_ticks_msec() - waited)
		)
	)
	silent.stop()


## A node whose function awaits a slow call: cancel(), let the await resolve (next frame),
## then free the node (the README's advice; freeing it mid-await would make Godot keep the
## suspended function's locals, and so the client). Everything is released.
func test_cancel_then_free_awaiting_node() -> void:
	for i in 3:
		await process_frame
	var live_before := live_clients()
	var silent := TCPServer.new()
	silent.listen(0, "127.0.0.1")
	var s: Node = Seed003.new()
	root.add_child(s)
	s.pb = BosBase.new("http://127.0.0.1:%d" % silent.get_local_port(), {"timeoutMs": 400})
	expect_engine_error("Authentication error: ClientResponseError(status 0, cancelled)")
	s.safe_auth_with_token("users", "t")  # the node's own coroutine, not awaited here
	check(s.pb.cancel() == 1, "cancel() ends the node's call")
	await process_frame
	check(PendingCall.pending_count() == 0, "the node's await resolved on the next frame")
	s.queue_free()
	s = null
	var waited := Time.get_ticks_msec()
	while live_clients() != live_before and Time.get_ticks_msec() - waited < 3000:
		await process_frame
	check(
		live_clients() == live_before,
		"the node's clients were freed (%d, was %d)" % [live_clients(), live_before]
	)
	silent.stop()


func test_close() -> void:
	var silent := TCPServer.new()
	silent.listen(0, "127.0.0.1")
	var pb := BosBase.new("http://127.0.0.1:%d" % silent.get_local_port(), {"timeoutMs": 600})
	var running: Array = [null]
	collect(pb.send("/api/health"), running, 0)
	# Close once the send is running (connected): one still waiting for a core worker when
	# close starts would end with kind "closed" instead, sending nothing.
	var waited := 0
	while not silent.is_connection_available() and waited < 100:
		await process_frame
		waited += 1
	check(silent.is_connection_available(), "the send is running before close()")
	var frames := [0]
	var count := func() -> void: frames[0] += 1
	process_frame.connect(count)
	var closed: Variant = await pb.close()  # waits for the running call, off the main thread
	process_frame.disconnect(count)
	check(closed == true, "close() resolves true")
	check(frames[0] >= 5, "frames kept running while close waited (%d)" % frames[0])
	var r: Variant = running[0]
	check(is_error(r) and r.kind == "timeout", "the call running at close finished first")
	r = await pb.send("/api/health")
	check(is_error(r) and r.kind == "closed" and r.status == 0, "after close: kind closed")
	silent.stop()


func test_tls() -> void:
	var tls_url := OS.get_environment("BOSBASE_TLS_URL")
	if tls_url == "":
		print("SKIP: TLS tests (BOSBASE_TLS_URL not set)")
		return
	var ca_file := OS.get_environment("BOSBASE_TLS_CA_FILE")
	var ca_pem := FileAccess.get_file_as_string(ca_file)
	check(ca_pem.begins_with("-----BEGIN CERTIFICATE-----"), "the fixture's CA is readable")
	var r: Variant = await BosBase.new(tls_url, {"caPem": ca_pem}).send("/api/health")
	check(r is Dictionary, "HTTPS with caPem: OK")
	r = await BosBase.new(tls_url, {"caFile": ca_file}).send("/api/health")
	check(r is Dictionary, "HTTPS with caFile: OK")
	r = await BosBase.new(tls_url).send("/api/health")
	check(is_error(r) and r.kind == "tls" and r.status == 0, "HTTPS, unknown CA: kind tls")
	var wrong_host := OS.get_environment("BOSBASE_TLS_WRONG_HOST_URL")
	r = await BosBase.new(wrong_host, {"caPem": ca_pem}).send("/api/health")
	check(is_error(r) and r.kind == "tls", "HTTPS, wrong host name: kind tls")
	r = await BosBase.new(tls_url, {"dangerAcceptInvalidCerts": true}).send("/api/health")
	check(r is Dictionary, "HTTPS with dangerAcceptInvalidCerts: OK")


func test_everything_released() -> void:
	await process_frame
	var waited := Time.get_ticks_msec()
	while live_clients() != 0 and Time.get_ticks_msec() - waited < 5000:
		await process_frame
	check(PendingCall.pending_count() == 0, "no call pending at the end")
	check(live_clients() == 0, "every native client freed (%d alive)" % live_clients())
	var probe: Object = ClassDB.instantiate("BosbaseNative")
	while probe.live_subscriptions() != 0 and Time.get_ticks_msec() - waited < 5000:
		await process_frame
	check(probe.live_subscriptions() == 0, "every native subscription freed")


func live_clients() -> int:
	var probe: Object = ClassDB.instantiate("BosbaseNative")  # unopened: holds no client
	return probe.live_clients()
