extends RefCounted
## Realtime (issue 13) and pub/sub (issue 15) in the real engine: signals on the main thread,
## record events in order from another client, a record-id topic, a filter, unsubscribe (by
## handle, by topic, by prefix, by dropping the object), connection states, re-login as
## another user, 100 subscribe/unsubscribe cycles without a leak or a blocked frame. Pub/sub
## needs BosBase's /api/pubsub: on a server without it (the dev server is PocketBase) those
## tests say so and are skipped; with it, two clients publish and receive.
## Run by test_runner.gd, whose check() counts the results.

const BosBase = preload("res://addons/bosbase/bosbase.gd")

const USER := ["user@example.com", "user-password"]
const USER2 := ["user2@example.com", "user2-password"]
const WAIT_MS := 10000
const QUIET_MS := 1500


## Collects what a subscription's (or a client's) signals give, and on which thread.
class Inbox:
	extends RefCounted
	var events: Array = []
	var subscribed := 0
	var errors: Array = []
	var off_main_thread := 0

	func on_received(event: Dictionary) -> void:
		_note_thread()
		events.append(event)

	func on_subscribed(_topic: String) -> void:
		_note_thread()
		subscribed += 1

	func on_failed(error: ClientResponseError) -> void:
		_note_thread()
		errors.append(error)

	func with_title(title: String) -> Array:
		return events.filter(
			func(e: Dictionary) -> bool:
				return e.get("record") is Dictionary and e.record.get("title") == title
		)

	func _note_thread() -> void:
		if OS.get_thread_caller_id() != OS.get_main_thread_id():
			off_main_thread += 1


var runner = null  # test_runner.gd (a SceneTree): check(), url
var url := ""
var tag := ""


func _init(test_runner: Variant) -> void:
	runner = test_runner
	url = runner.url
	tag = "rt%d" % (Time.get_ticks_usec() % 100000000)


func run() -> void:
	var before: int = runner.passed
	await test_record_events()
	await test_record_id_and_filter()
	await test_unsubscribe()
	await test_relogin()
	await test_cycles()
	await test_refused_and_closed()
	await test_pubsub()
	print("realtime tests: %d checks passed" % (runner.passed - before))


func check(ok: bool, what: String) -> void:
	runner.check(ok, what)


func signed_in(account: Array) -> BosBase:
	var pb := BosBase.new(url)
	var auth: Variant = await pb.collection("users").auth_with_password(account[0], account[1])
	check(auth is Dictionary, "sign in as %s (%s)" % [account[0], str(auth)])
	return pb


func listen(sub: RefCounted) -> Inbox:
	var inbox := Inbox.new()
	sub.received.connect(inbox.on_received)
	sub.subscribed.connect(inbox.on_subscribed)
	sub.failed.connect(inbox.on_failed)
	return inbox


## Runs frames until [param done] is true or [param ms] passed; returns [param done]'s value.
func until(done: Callable, ms: int = WAIT_MS) -> bool:
	var start := Time.get_ticks_msec()
	while not done.call() and Time.get_ticks_msec() - start < ms:
		await runner.process_frame
	return done.call()


func frames(ms: int) -> void:
	var start := Time.get_ticks_msec()
	while Time.get_ticks_msec() - start < ms:
		await runner.process_frame


func live_subscriptions() -> int:
	var probe: Object = ClassDB.instantiate("BosbaseNative")  # unopened: holds no client
	return probe.live_subscriptions()


func new_post(pb: BosBase, title: String) -> Variant:
	var post: Variant = await pb.collection("posts").create(
		{"title": title, "author": pb.auth_store.record.id}
	)
	check(post is Dictionary, "create post %s (%s)" % [title, str(post)])
	return post


func test_record_events() -> void:
	var listener := await signed_in(USER)
	var writer := await signed_in(USER)  # another client, same user
	var states: Array = []
	listener.realtime_state.connect(func(s: Dictionary) -> void: states.append(s))
	var sub: RefCounted = listener.collection("posts").subscribe("*")
	var inbox := listen(sub)
	check(sub.is_active(), "a new subscription is active")
	check(
		await until(func() -> bool: return inbox.subscribed == 1), "posts/*: subscribed signal"
	)
	check(
		await until(func() -> bool: return states.any(func(s): return s.state == "connected")),
		"realtime_state: connected (%s)" % str(states)
	)
	var title := tag + " events"
	var post: Variant = await new_post(writer, title)
	if not post is Dictionary:
		return
	var updated: Variant = await writer.collection("posts").update(post.id, {"body": "changed"})
	check(updated is Dictionary, "update the post")
	check(await writer.collection("posts").delete(post.id) == true, "delete the post")
	check(
		await until(func() -> bool: return inbox.with_title(title).size() >= 3),
		"three events for the post (%d)" % inbox.with_title(title).size()
	)
	var seen: Array = inbox.with_title(title).map(func(e: Dictionary) -> String: return e.event)
	check(seen == ["create", "update", "delete"], "create, update, delete in order (%s)" % str(seen))
	var first: Dictionary = inbox.with_title(title)[0]
	check(
		first.topic == "posts/*" and first.record.id == post.id and first.type == "event",
		"the event carries topic and record (%s)" % str(first)
	)
	check(inbox.with_title(title)[1].record.get("body") == "changed", "update: the new record")
	check(inbox.off_main_thread == 0, "every signal on the main thread")
	check(sub.dropped() == 0, "nothing dropped")
	sub.unsubscribe()
	check(not sub.is_active(), "inactive after unsubscribe()")


func test_record_id_and_filter() -> void:
	var listener := await signed_in(USER)
	var writer := await signed_in(USER)
	var a: Variant = await new_post(writer, tag + " one")
	var b: Variant = await new_post(writer, tag + " two")
	if not (a is Dictionary and b is Dictionary):
		return
	var by_id: RefCounted = listener.collection("posts").subscribe(a.id)
	var id_inbox := listen(by_id)
	var wanted := tag + " filtered"
	var filtered: RefCounted = listener.collection("posts").subscribe(
		"*", {"filter": listener.filter("title = {:t}", {"t": wanted})}
	)
	var filter_inbox := listen(filtered)
	var all: RefCounted = listener.realtime().subscribe("posts/*")
	var all_inbox := listen(all)
	var all_ready := func() -> bool:
		return id_inbox.subscribed + filter_inbox.subscribed + all_inbox.subscribed == 3
	check(await until(all_ready), "record-id, filtered and plain topic subscribed")
	await writer.collection("posts").update(b.id, {"body": "b changed"})
	await writer.collection("posts").update(a.id, {"body": "a changed"})
	var c: Variant = await new_post(writer, wanted)
	await new_post(writer, tag + " unwanted")
	check(
		await until(func() -> bool: return all_inbox.events.size() >= 4),
		"the plain posts/* topic (realtime().subscribe) sees all four (%d)" % all_inbox.events.size()
	)
	check(
		await until(func() -> bool: return filter_inbox.events.size() >= 1),
		"the filtered subscription gets its post"
	)
	await frames(300)
	check(
		id_inbox.events.size() == 1 and id_inbox.events[0].record.id == a.id,
		"the record-id topic sees only its record (%s)" % str(id_inbox.events)
	)
	check(id_inbox.events.size() == 1 and id_inbox.events[0].topic == "posts/" + a.id, "its topic")
	check(
		filter_inbox.events.size() == 1 and filter_inbox.events[0].record.title == wanted,
		"the filter lets only matching records through (%d)" % filter_inbox.events.size()
	)
	for post in [a, b, c]:
		if post is Dictionary:
			await writer.collection("posts").delete(post.id)
	var unwanted: Variant = await writer.collection("posts").get_first_list_item(
		writer.filter("title = {:t}", {"t": tag + " unwanted"})
	)
	if unwanted is Dictionary:
		await writer.collection("posts").delete(unwanted.id)
	for sub in [by_id, filtered, all]:
		sub.unsubscribe()


func test_unsubscribe() -> void:
	var listener := await signed_in(USER)
	var writer := await signed_in(USER)
	var kept: RefCounted = listener.realtime().subscribe("posts/*")
	var kept_inbox := listen(kept)
	var by_handle: RefCounted = listener.collection("posts").subscribe("*")
	var handle_inbox := listen(by_handle)
	var by_topic: RefCounted = listener.collection("posts").subscribe("*", {"fields": "id,title"})
	var topic_inbox := listen(by_topic)
	var dropped_inbox := listen(listener.collection("posts").subscribe("*"))  # object dropped
	var ready := func() -> bool:
		return kept_inbox.subscribed + handle_inbox.subscribed + topic_inbox.subscribed == 3
	check(await until(ready), "four subscriptions")
	var first: Variant = await new_post(writer, tag + " before")
	check(
		await until(func() -> bool: return topic_inbox.events.size() >= 1),
		"delivered before unsubscribing"
	)
	check(dropped_inbox.events.is_empty(), "a dropped subscription object delivers nothing")
	by_handle.unsubscribe()
	check(not by_handle.is_active(), "unsubscribe() by handle")
	check(listener.collection("posts").unsubscribe("*") == true, "collection unsubscribe('*')")
	check(not by_topic.is_active(), "every posts/* subscription stopped by the topic")
	check(not kept.is_active(), "realtime().subscribe('posts/*') has the same topic: stopped too")
	var handle_before: int = handle_inbox.events.size()
	var topic_before: int = topic_inbox.events.size()
	# A fresh one on the same topic still receives: the server keeps sending.
	var fresh: RefCounted = listener.collection("posts").subscribe("*")
	var fresh_inbox := listen(fresh)
	check(await until(func() -> bool: return fresh_inbox.subscribed == 1), "subscribe again")
	var second: Variant = await new_post(writer, tag + " after")
	check(
		await until(func() -> bool: return fresh_inbox.events.size() >= 1),
		"the new subscription receives"
	)
	await frames(QUIET_MS)
	check(handle_inbox.events.size() == handle_before, "no event after unsubscribe() by handle")
	check(topic_inbox.events.size() == topic_before, "no event after unsubscribe by topic")
	check(listener.realtime().unsubscribe_by_prefix("posts/") == true, "unsubscribe_by_prefix")
	check(not fresh.is_active(), "stopped by prefix")
	for post in [first, second]:
		if post is Dictionary:
			await writer.collection("posts").delete(post.id)
	await frames(QUIET_MS)
	check(fresh_inbox.events.size() == 1, "no event after unsubscribe_by_prefix")
	check(kept_inbox.off_main_thread + fresh_inbox.off_main_thread == 0, "main thread only")


func test_relogin() -> void:
	var listener := await signed_in(USER)
	var writer1 := await signed_in(USER)
	var writer2 := await signed_in(USER2)
	var states: Array = []
	listener.realtime_state.connect(func(s: Dictionary) -> void: states.append(s))
	var sub: RefCounted = listener.collection("posts").subscribe("*")
	var inbox := listen(sub)
	check(await until(func() -> bool: return inbox.subscribed == 1), "subscribed as user")
	var hidden: Variant = await new_post(writer2, tag + " user2 early")
	var mine: Variant = await new_post(writer1, tag + " user1")
	check(
		await until(func() -> bool: return inbox.with_title(tag + " user1").size() == 1),
		"user sees user's post"
	)
	check(inbox.with_title(tag + " user2 early").is_empty(), "user does not see user2's post")
	var auth: Variant = await listener.collection("users").auth_with_password(USER2[0], USER2[1])
	check(auth is Dictionary, "re-login as user2")
	check(
		await until(func() -> bool: return states.any(func(s): return s.state == "reconnected")),
		"realtime_state: reconnected after the re-login (%s)" % str(states)
	)
	check(
		states.any(func(s): return s.state == "disconnected" and str(s.get("cause", "")) != ""),
		"realtime_state: disconnected with a cause"
	)
	var theirs: Variant = await new_post(writer2, tag + " user2 late")
	var mine2: Variant = await new_post(writer1, tag + " user1 late")
	check(
		await until(func() -> bool: return inbox.with_title(tag + " user2 late").size() == 1),
		"as user2, the stream sees user2's post"
	)
	await frames(QUIET_MS)
	check(inbox.with_title(tag + " user1 late").is_empty(), "and no longer user's post")
	sub.unsubscribe()
	for pair in [[writer2, hidden], [writer1, mine], [writer2, theirs], [writer1, mine2]]:
		if pair[1] is Dictionary:
			await pair[0].collection("posts").delete(pair[1].id)


func test_cycles() -> void:
	var pb := await signed_in(USER)
	var live_before := live_subscriptions()
	var clients_before: int = runner.live_clients()
	var longest := 0
	var start := Time.get_ticks_msec()
	var confirmed := 0
	for i in 100:
		var t := Time.get_ticks_usec()
		var sub: RefCounted = pb.collection("posts").subscribe("*")
		longest = max(longest, Time.get_ticks_usec() - t)
		var inbox := listen(sub)
		if await until(func() -> bool: return inbox.subscribed == 1, 5000):
			confirmed += 1
		t = Time.get_ticks_usec()
		if i % 2 == 0:
			sub.unsubscribe()  # odd ones: just dropped
		sub = null
		longest = max(longest, Time.get_ticks_usec() - t)
	check(confirmed == 100, "100 cycles: each subscription confirmed by the server (%d)" % confirmed)
	# Each is a few calls into the core (median about 0.25 ms, measured); the bound is loose
	# because a loaded machine may preempt the main thread, yet far below a thread join
	# (what ABI 4's subscribe could wait for).
	print("realtime: longest subscribe()/unsubscribe() %d us" % longest)
	check(longest < 100000, "subscribe / unsubscribe never block a frame (longest %d us)" % longest)
	var last: RefCounted = pb.collection("posts").subscribe("*")
	var inbox := listen(last)
	check(
		await until(func() -> bool: return inbox.subscribed == 1),
		"after 100 cycles a subscription still works"
	)
	last.unsubscribe()
	last = null
	check(
		await until(func() -> bool: return live_subscriptions() == live_before),
		"100 cycles: every native subscription freed (%d left)" % (live_subscriptions() - live_before)
	)
	check(runner.live_clients() == clients_before, "no client handle left behind")
	print("realtime: 100 subscribe/unsubscribe cycles in %d ms" % (Time.get_ticks_msec() - start))


func test_refused_and_closed() -> void:
	var pb := BosBase.new(url)
	var bad: RefCounted = pb.realtime().subscribe("")
	var bad_inbox := listen(bad)
	check(
		await until(func() -> bool: return bad_inbox.errors.size() == 1),
		"an empty topic fails through the failed signal"
	)
	check(
		bad_inbox.errors.size() == 1 and bad_inbox.errors[0].kind == "invalid_argument",
		"kind invalid_argument"
	)
	var odd: RefCounted = pb.collection("posts").subscribe("*", {"nosuch": 1})
	var odd_inbox := listen(odd)
	check(
		await until(func() -> bool: return odd_inbox.errors.size() == 1),
		"an unknown option fails (%s)" % str(odd_inbox.errors)
	)
	check(not odd.is_active(), "a failed subscription is not active")
	check(await pb.close() == true, "close")
	var late: RefCounted = pb.collection("posts").subscribe("*")
	var late_inbox := listen(late)
	check(
		await until(func() -> bool: return late_inbox.errors.size() == 1),
		"subscribing on a closed client fails"
	)
	check(late_inbox.errors.size() == 1 and late_inbox.errors[0].kind == "closed", "kind closed")
	runner.expect_engine_error("ClientResponseError(status 0, invalid_argument)")
	var broken := BosBase.new("ftp://nowhere")
	var none: RefCounted = broken.collection("posts").subscribe("*")
	var none_inbox := listen(none)
	check(
		await until(func() -> bool: return none_inbox.errors.size() == 1),
		"a client that could not be opened: failed signal"
	)


## Pub/sub needs BosBase's /api/pubsub. A publish discovers it: a server without the route
## answers the WebSocket handshake with http 404, and the tests are skipped, saying so.
func test_pubsub() -> void:
	var a := await signed_in(USER)
	var b := await signed_in(USER2)
	var topic := tag + "-chat"
	var probe: Variant = await a.pubsub().publish(topic, {"probe": true})
	if probe is ClientResponseError and probe.status == 404:
		print(
			"SKIPPED pub/sub tests: this server has no /api/pubsub (WebSocket handshake: http 404)",
			"; they run against the real BosBase server (make test-bosbase)"
		)
		a.pubsub_subscribe(topic).unsubscribe()  # the API still behaves without the route
		return
	check(probe is Dictionary and probe.get("topic") == topic, "publish: ack (%s)" % str(probe))
	var sub: RefCounted = b.pubsub_subscribe(topic)
	var inbox := listen(sub)
	check(await until(func() -> bool: return inbox.subscribed >= 1), "pub/sub: subscribed")
	check(b.pubsub_is_connected(), "pubsub_is_connected")
	var ack: Variant = await a.pubsub().publish(topic, {"text": "hello", "n": 1})
	check(ack is Dictionary and str(ack.get("id", "")) != "", "publish ack has an id")
	check(await until(func() -> bool: return inbox.events.size() >= 1), "the other client receives")
	if inbox.events.size() >= 1:
		var m: Dictionary = inbox.events[0]
		check(
			m.type == "message" and m.topic == topic and m.data.get("text") == "hello",
			"message: topic and data (%s)" % str(m)
		)
		check(ack is Dictionary and m.get("id") == ack.get("id"), "the message id is the ack's")
	check(inbox.off_main_thread == 0, "pub/sub signals on the main thread")
	var other: RefCounted = b.pubsub_subscribe(topic)
	var other_inbox := listen(other)
	# A second subscription of a topic the server already confirmed is told so at once.
	check(
		await until(func() -> bool: return other_inbox.subscribed >= 1, 2000),
		"a second pub/sub subscription of a confirmed topic gets 'subscribed'"
	)
	sub.unsubscribe()
	check(not sub.is_active(), "pub/sub unsubscribe()")
	await a.pubsub().publish(topic, {"text": "after"})
	check(
		await until(func() -> bool: return other_inbox.events.size() >= 1),
		"the remaining subscription still receives"
	)
	await frames(QUIET_MS)
	check(inbox.events.size() == 1, "no message after unsubscribe() (%d)" % inbox.events.size())
	check(b.pubsub_unsubscribe(topic) == true, "pubsub_unsubscribe(topic)")
	check(not other.is_active(), "stopped by topic")
	await a.pubsub().publish(topic, {"text": "gone"})
	await frames(QUIET_MS)
	check(other_inbox.events.size() == 1, "no message after pubsub_unsubscribe")
	var guest := BosBase.new(url)
	var refused: Variant = await guest.pubsub().publish(topic, {"text": "guest"})
	check(
		refused is ClientResponseError and refused.kind != "",
		"a guest's publish is refused with a typed error (%s)" % str(refused)
	)
