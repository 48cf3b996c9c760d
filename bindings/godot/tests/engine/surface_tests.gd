extends RefCounted
## Issue 12's surface in the real engine, through the generated methods, against the dev
## server: filter (the hostile-input table), auth (auth methods, password, refresh,
## impersonate, MFA across two methods, account-email flows, superuser flag, cookie form),
## records (CRUD, lists, owner rules), files (bytes and a path, fetched back by URL),
## batch (atomic) and admin (collections, settings, logs, crons, backups, health).
## Run by test_runner.gd, whose check() counts the results.

const BosBase = preload("res://addons/bosbase/bosbase.gd")

const USER := ["user@example.com", "user-password"]
const USER2 := ["user2@example.com", "user2-password"]
const ADMIN := ["admin@example.com", "admin-password"]
const MFA := ["mfa@example.com", "mfa-password"]

var runner = null  # test_runner.gd (a SceneTree): check(), url, root
var url := ""
## A marker unique to this run, in titles and names.
var tag := ""


func _init(test_runner: Variant) -> void:
	runner = test_runner
	url = runner.url
	tag = "gd%d" % (Time.get_ticks_usec() % 100000000)


func run() -> void:
	var before: int = runner.passed
	await test_filter()
	await test_auth()
	await test_impersonate()
	await test_mfa_two_methods()
	await test_account_emails()
	await test_cookie()
	await test_auth_file()
	await test_records()
	await test_files()
	await test_batch()
	await test_admin()
	print("surface tests: %d checks passed" % (runner.passed - before))


func check(ok: bool, what: String) -> void:
	runner.check(ok, what)


func is_error(value: Variant) -> bool:
	return value is ClientResponseError


func is_http(value: Variant, status: int) -> bool:
	return value is ClientResponseError and value.kind == "http" and value.status == status


func signed_in(account: Array, collection := "users") -> BosBase:
	var pb := BosBase.new(url)
	var auth: Variant = await pb.collection(collection).auth_with_password(account[0], account[1])
	check(auth is Dictionary, "sign in as %s (%s)" % [account[0], str(auth)])
	return pb


# --- filter --------------------------------------------------------------------------------


func test_filter() -> void:
	var pb := BosBase.new(url)
	var table := [
		["a = {:x}", {"x": "plain"}, "a = 'plain'"],
		["a = {:x}", {"x": "it's"}, "a = 'it\\'s'"],
		["a = {:x}", {"x": "' || 1=1 || '"}, "a = '\\' || 1=1 || \\''"],
		["a = {:x}", {"x": "\\' || true || '"}, "a = '\\\\' || true || \\''"],
		["a = {:x}", {"x": "a\\b"}, "a = 'a\\b'"],
		["{:n} {:f} {:b} {:z}", {"n": 3, "f": 1.5, "b": false, "z": null}, "3 1.5 false null"],
		["d > {:d}", {"d": "2024-01-02 03:04:05.000Z"}, "d > '2024-01-02 03:04:05.000Z'"],
		["x ?= {:arr}", {"arr": [1, "a'b"]}, "x ?= '[1,\"a\\'b\"]'"],
		["x = {:o}", {"o": {"k": "v"}}, "x = '{\"k\":\"v\"}'"],
		["{:missing} and {:x", {"x": "v"}, "{:missing} and {:x"],
		["{:x}{:x}", {"x": "v"}, "'v''v'"],
	]
	for row in table:
		var got: Variant = pb.filter(row[0], row[1])
		check(
			got is String and got == row[2],
			"filter %s %s -> %s (got %s)" % [row[0], str(row[1]), row[2], str(got)]
		)
	for bad in ["x\\", "\\"]:
		var refused: Variant = pb.filter("a = {:x}", {"x": bad})
		check(
			is_error(refused) and refused.kind == "invalid_argument",
			"filter refuses a string ending in a backslash (%s)" % str(refused)
		)
	var two: Variant = pb.filter("email = {:a} || email = {:b}", {"a": "x\\", "b": " || email != "})
	check(is_error(two), "filter: the trailing-backslash injection is refused")

	# Hostile values stay literals on the server: they match nothing.
	var admin: BosBase = await signed_in(ADMIN, "_superusers")
	var users: RefCounted = admin.collection("users")
	var found: Variant = await users.get_list(
		1, 30, {"filter": admin.filter("email = {:e}", {"e": USER[0]})}
	)
	check(found is Dictionary and int(found.totalItems) == 1, "filter finds the user")
	for hostile in ["' || email != '", "\\' || email != '", "' || 1=1 || '", "a\\b"]:
		var page: Variant = await users.get_list(
			1, 30, {"filter": admin.filter("email = {:e}", {"e": hostile})}
		)
		check(
			page is Dictionary and int(page.totalItems) == 0,
			"hostile filter value %s matches nothing (%s)" % [hostile, str(page)]
		)


# --- auth ----------------------------------------------------------------------------------


func test_auth() -> void:
	var pb := BosBase.new(url)
	var users: RefCounted = pb.collection("users")
	var methods: Variant = await users.list_auth_methods()
	check(
		methods is Dictionary and methods.has("password") and methods.password.enabled == true,
		"list_auth_methods: password enabled (%s)" % str(methods)
	)
	var auth: Variant = await users.auth_with_password(USER[0], USER[1])
	check(auth is Dictionary and auth.record.email == USER[0], "auth_with_password")
	check(not pb.auth_store.is_superuser(), "a user is no superuser")
	var refreshed: Variant = await users.auth_refresh()
	check(
		refreshed is Dictionary and refreshed.record.email == USER[0],
		"auth_refresh gives the account"
	)
	check(refreshed is Dictionary and pb.auth_store.token == refreshed.token, "refresh is saved")
	var admin: BosBase = await signed_in(ADMIN, "_superusers")
	check(admin.auth_store.is_superuser(), "is_superuser after a _superusers login")


func test_impersonate() -> void:
	var admin: BosBase = await signed_in(ADMIN, "_superusers")
	var user: Variant = await admin.collection("users").get_first_list_item(
		admin.filter("email = {:e}", {"e": USER[0]})
	)
	check(user is Dictionary and user.email == USER[0], "get_first_list_item finds the user")
	if not user is Dictionary:
		return
	var as_user: Variant = await admin.collection("users").impersonate(user.id, 600)
	check(as_user is BosBase, "impersonate gives a new client (%s)" % str(as_user))
	if not as_user is BosBase:
		return
	check(as_user != admin and as_user.base_url == admin.base_url, "a new client, same server")
	check(as_user.auth_store.record.email == USER[0], "the new client holds the user's login")
	check(as_user.auth_store.is_valid() and not as_user.auth_store.is_superuser(), "as a user")
	check(admin.auth_store.is_superuser(), "the original client stays a superuser")
	# The new client acts as the user: owner rules apply to its calls.
	var post: Variant = await as_user.collection("posts").create(
		{"title": tag + " impersonated", "author": user.id}
	)
	check(post is Dictionary and post.author == user.id, "the impersonated client creates a post")
	var refused: Variant = await as_user.collections().get_list()
	check(is_error(refused) and refused.status in [401, 403], "it cannot list collections")
	var listed: Variant = await admin.collections().get_list(1, 1)
	check(listed is Dictionary, "the superuser still can")
	if post is Dictionary:
		check(await as_user.collection("posts").delete(post.id) == true, "and deletes its post")
	# A refused impersonation passes its error through (no client).
	var plain: BosBase = await signed_in(USER2)
	var denied: Variant = await plain.collection("users").impersonate(user.id)
	check(is_http(denied, 403) or is_http(denied, 401), "a user cannot impersonate (%s)" % str(denied))
	var closed: Variant = await as_user.close()
	check(closed == true, "the impersonated client closes like any client")


func test_mfa_two_methods() -> void:
	var pb := BosBase.new(url)
	var mfa_users: RefCounted = pb.collection("mfa_users")
	var token: String = pb.generate_token()
	check(await mfa_users.bind_custom_token(MFA[0], MFA[1], token) == true, "MFA: bind a token")
	var first: Variant = await mfa_users.auth_with_password(MFA[0], MFA[1])
	check(is_error(first) and first.kind == "mfa_required", "MFA: password is the first factor")
	if not is_error(first):
		return
	check(pb.auth_store.token == "", "MFA: the first factor saves nothing")
	var second: Variant = await mfa_users.auth_with_token(token, {"mfaId": first.mfa_id})
	check(
		second is Dictionary and second.record.email == MFA[0],
		"MFA: finished with the token and mfaId (%s)" % str(second)
	)
	check(pb.auth_store.is_valid(), "MFA: the login is saved")
	# The other order: the token first, then the password.
	var again := BosBase.new(url)
	first = await again.collection("mfa_users").auth_with_token(token)
	check(is_error(first) and first.kind == "mfa_required", "MFA: token is the first factor")
	if is_error(first):
		second = await again.collection("mfa_users").auth_with_password(
			MFA[0], MFA[1], {"mfaId": first.mfa_id}
		)
		check(second is Dictionary and second.record.email == MFA[0], "MFA: password second")
	await mfa_users.unbind_custom_token(MFA[0], MFA[1], token)


## The emails cannot be read from the dev server: the requests must succeed and a confirm
## with a bogus token must be a typed 400.
func test_account_emails() -> void:
	var pb := BosBase.new(url)
	var users: RefCounted = pb.collection("users")
	check(await users.request_verification(USER[0]) == true, "request_verification: true")
	check(await users.request_password_reset(USER[0]) == true, "request_password_reset: true")
	var mfa_users: RefCounted = pb.collection("mfa_users")  # OTP is enabled there
	var otp: Variant = await mfa_users.request_otp(MFA[0])
	check(otp is Dictionary and str(otp.get("otpId", "")) != "", "request_otp gives an otpId")
	var bogus: Variant = await users.confirm_verification("bogus-token")
	check(is_http(bogus, 400), "confirm_verification, bogus token: http 400 (%s)" % str(bogus))
	bogus = await users.confirm_password_reset("bogus-token", "new-password-1", "new-password-1")
	check(is_http(bogus, 400), "confirm_password_reset, bogus token: http 400")
	if otp is Dictionary:
		bogus = await mfa_users.auth_with_otp(otp.otpId, "000000")
		check(is_http(bogus, 400), "auth_with_otp, wrong password: http 400 (%s)" % str(bogus))


func test_cookie() -> void:
	var admin: BosBase = await signed_in(ADMIN, "_superusers")
	var cookie: Variant = admin.auth_store.export_to_cookie()
	check(cookie is String and cookie.begins_with("pb_auth="), "export_to_cookie")
	check(cookie is String and cookie.contains("HttpOnly"), "the cookie is HttpOnly by default")
	var custom: Variant = admin.auth_store.export_to_cookie({"key": "sess", "secure": false})
	check(custom is String and custom.begins_with("sess=") and not custom.contains("Secure"), "key")
	var bad_options: Variant = admin.auth_store.export_to_cookie({"bogus": 1})
	check(is_error(bad_options), "export_to_cookie refuses unknown options")
	var server := BosBase.new(url)
	var header: String = "theme=dark; " + str(cookie).get_slice(";", 0)
	check(server.auth_store.load_from_cookie(header) == null, "load_from_cookie")
	check(server.auth_store.is_superuser(), "the loaded login is the superuser's")
	check(server.auth_store.token == admin.auth_store.token, "the same token")
	var listed: Variant = await server.collections().get_list(1, 1)
	check(listed is Dictionary, "and it works for calls")
	check(
		server.auth_store.load_from_cookie(str(custom).get_slice(";", 0), "sess") == null,
		"load_from_cookie with a key"
	)
	var broken: Variant = server.auth_store.load_from_cookie("pb_auth=not-json")
	check(is_error(broken) and server.auth_store.token == "", "a broken cookie signs out")
	check(server.auth_store.load_from_cookie("other=1") == null, "no cookie: signed out, no error")


# The authFile option with a user:// path: the login outlives the client; a corrupt file is
# reported by file_error() and ignored.
func test_auth_file() -> void:
	var path := "user://bosbase_auth_%s.json" % tag
	var os_path := ProjectSettings.globalize_path(path)
	DirAccess.remove_absolute(os_path)
	var pb := BosBase.new(url, {"authFile": path})
	check(pb.auth_store.file_error() == null, "authFile: a missing file is no problem")
	var auth: Variant = await pb.collection("users").auth_with_password(USER[0], USER[1])
	check(auth is Dictionary, "authFile: sign in (%s)" % str(auth))
	check(FileAccess.file_exists(path), "authFile: the login is written under user://")
	var again := BosBase.new(url, {"authFile": path})
	check(
		auth is Dictionary and again.auth_store.token == auth.token,
		"authFile: the next client starts signed in"
	)
	var file := FileAccess.open(path, FileAccess.WRITE)
	file.store_string('{"token": "s3cr3t", "record": 5}')
	file.close()
	var corrupt := BosBase.new(url, {"authFile": path})
	var problem: ClientResponseError = corrupt.auth_store.file_error()
	check(
		(
			problem != null
			and problem.kind == "invalid_argument"
			and problem.message.begins_with("authFile:")
			and not str(problem).contains("s3cr3t")
		),
		"authFile: a corrupt file is reported (%s)" % str(problem)
	)
	check(corrupt.auth_store.token == "", "authFile: a corrupt file leaves the store empty")
	check(BosBase.new(url).auth_store.file_error() == null, "no authFile, no problem")
	DirAccess.remove_absolute(os_path)


# --- records -------------------------------------------------------------------------------


func test_records() -> void:
	var pb: BosBase = await signed_in(USER)
	var uid: String = pb.auth_store.record.id
	var posts: RefCounted = pb.collection("posts")
	var ids: Array = []
	for i in 3:
		var made: Variant = await posts.create(
			{"title": "%s post %d" % [tag, i], "body": "b%d" % i, "author": uid}
		)
		check(made is Dictionary and made.title == "%s post %d" % [tag, i], "create post %d" % i)
		if made is Dictionary:
			ids.append(made.id)
	if ids.size() != 3:
		return
	var one: Variant = await posts.get_one(ids[0])
	check(one is Dictionary and one.body == "b0", "get_one")
	var mine: String = pb.filter("title ~ {:t}", {"t": tag + " post"})
	var page: Variant = await posts.get_list(1, 2, {"filter": mine, "sort": "-title"})
	check(
		page is Dictionary and int(page.totalItems) == 3 and page.items.size() == 2,
		"get_list with filter, page size 2 (%s)" % str(page)
	)
	check(page is Dictionary and page.items[0].title.ends_with("post 2"), "sorted by -title")
	var full: Variant = await posts.get_full_list(2, {"filter": mine, "sort": "title"})
	check(full is Array and full.size() == 3, "get_full_list in batches of 2")
	check(full is Array and full.size() == 3 and full[2].id == ids[2], "get_full_list sorted")
	var first: Variant = await posts.get_first_list_item(mine, {"sort": "title"})
	check(first is Dictionary and first.id == ids[0], "get_first_list_item")
	var none: Variant = await posts.get_first_list_item(pb.filter("title = {:t}", {"t": tag + "?"}))
	check(is_http(none, 404), "get_first_list_item with no match: http 404")
	var fields: Variant = await posts.get_one(ids[1], {"fields": "id,title"})
	check(fields is Dictionary and not fields.has("body"), "fields option")
	var updated: Variant = await posts.update(ids[1], {"title": tag + " post 1 edited"})
	check(updated is Dictionary and updated.title.ends_with("edited"), "update")

	# Owner rules: another user neither sees nor writes these posts.
	var other: BosBase = await signed_in(USER2)
	var hidden: Variant = await other.collection("posts").get_one(ids[0])
	check(is_http(hidden, 404), "another user cannot see the post")
	var theirs: Variant = await other.collection("posts").get_list(1, 30, {"filter": mine})
	check(theirs is Dictionary and int(theirs.totalItems) == 0, "nor list it")
	var forged: Variant = await other.collection("posts").create({"title": "x", "author": uid})
	check(is_http(forged, 400), "nor create a post as its author")
	var removed: Variant = await other.collection("posts").delete(ids[0])
	check(is_http(removed, 404), "nor delete it")

	# getCount: BosBase's route; the dev server (PocketBase) may lack it, then a typed 404.
	var counted: Variant = await posts.get_count({"filter": mine})
	print("records.getCount on this server: ", counted)
	check(
		is_http(counted, 404) or (counted is int and counted == 3),
		(
			"get_count reaches the server: the int 3, or http 404 where the route is missing (%s)"
			% str(counted)
		)
	)

	# Updating the signed-in account refreshes the stored record.
	var renamed: Variant = await pb.collection("users").update(uid, {"name": tag})
	check(renamed is Dictionary and renamed.name == tag, "update own account")
	check(pb.auth_store.record.name == tag, "the stored record is refreshed")

	for id in ids:
		check(await posts.delete(id) == true, "delete")
	var gone: Variant = await posts.get_one(ids[0])
	check(is_http(gone, 404), "deleted: http 404")


# --- files ---------------------------------------------------------------------------------


func fetch(file_url: String) -> PackedByteArray:
	var request := HTTPRequest.new()
	runner.root.add_child(request)
	var err := request.request(file_url)
	var body := PackedByteArray()
	if err == OK:
		var reply: Array = await request.request_completed
		if int(reply[1]) == 200:
			body = reply[3]
	request.queue_free()
	return body


func test_files() -> void:
	var pb: BosBase = await signed_in(USER)
	var uid: String = pb.auth_store.record.id
	var posts: RefCounted = pb.collection("posts")
	var bytes := ("bytes from a PackedByteArray " + tag).to_utf8_buffer()
	bytes.append(0)
	bytes.append(255)
	var post: Variant = await posts.create(
		{"title": tag + " file", "author": uid},
		{"files": [{"field": "attachment", "bytes": bytes, "filename": "hello.bin"}]}
	)
	check(
		post is Dictionary and post.attachment.begins_with("hello"),
		"create with a bytes part (%s)" % str(post)
	)
	if not post is Dictionary:
		return
	var file_url: Variant = await pb.files().get_url(post, post.attachment)
	check(file_url is String and file_url.begins_with(url), "files.get_url (%s)" % str(file_url))
	check((await fetch(file_url)) == bytes, "the uploaded bytes come back from the URL")

	# A path, user:// globalized by the addon; the file is streamed when the call runs.
	var path := "user://bosbase_upload_%s.txt" % tag
	var from_disk := ("streamed from a path " + tag).repeat(100).to_utf8_buffer()
	var file := FileAccess.open(path, FileAccess.WRITE)
	file.store_buffer(from_disk)
	file.close()
	var updated: Variant = await posts.update(
		post.id, {"title": tag + " file 2"}, {"files": [{"field": "attachment", "path": path}]}
	)
	check(
		updated is Dictionary and updated.attachment.begins_with("bosbase_upload"),
		"update with a path part (%s)" % str(updated)
	)
	if updated is Dictionary:
		file_url = await pb.files().get_url(updated, updated.attachment)
		check((await fetch(file_url)) == from_disk, "the file's content comes back from the URL")
		var thumb: Variant = await pb.files().get_url(updated, updated.attachment, "", true)
		check(thumb is String and thumb.contains("download"), "get_url with download")
	DirAccess.remove_absolute(ProjectSettings.globalize_path(path))

	var file_token: Variant = await pb.files().get_token()
	check(file_token is String and file_token.length() > 20, "files.get_token")

	# An upload is cancelled like any call (the part streams from a path: nothing stays).
	var big_path := "user://bosbase_cancel_%s.bin" % tag
	var big := FileAccess.open(big_path, FileAccess.WRITE)
	var blob := PackedByteArray()
	blob.resize(4 << 20)
	big.store_buffer(blob)
	big.close()
	var started: Signal = posts.create(
		{"title": tag + " cancelled", "author": uid},
		{"files": [{"field": "attachment", "path": big_path}]}
	)
	check(pb.cancel() == 1, "cancel() counts the upload in flight")
	var cancelled: Variant = await started
	check(
		is_error(cancelled) and cancelled.kind == "cancelled", "a cancelled upload: kind cancelled"
	)
	DirAccess.remove_absolute(ProjectSettings.globalize_path(big_path))

	# Refused parts: nothing is sent, and the next call carries no leftover part.
	var bad: Variant = await posts.update(post.id, {}, {"files": [{"field": "attachment"}]})
	check(is_error(bad) and bad.kind == "invalid_argument", "a part needs bytes or a path")
	bad = await posts.update(post.id, {}, {"files": "attachment"})
	check(is_error(bad) and bad.kind == "invalid_argument", "files must be an Array")
	bad = await posts.update(post.id, {}, {"files": [{"field": "attachment", "bytes": "text"}]})
	check(is_error(bad) and bad.kind == "invalid_argument", "bytes must be a PackedByteArray")
	bad = await posts.update(
		post.id, {}, {"files": [{"field": "attachment", "path": "user://no-such-file.bin"}]}
	)
	check(
		is_error(bad) and bad.kind == "invalid_argument" and bad.message.contains("attachment"),
		"an unreadable path is refused by the call, naming the field (%s)" % str(bad)
	)
	var plain: Variant = await posts.update(post.id, {"body": "no file"})
	check(
		plain is Dictionary and updated is Dictionary and plain.attachment == updated.attachment,
		"no part left over"
	)
	check(await posts.delete(post.id) == true, "delete the post with its file")


# --- batch ---------------------------------------------------------------------------------


func test_batch() -> void:
	var admin: BosBase = await signed_in(ADMIN, "_superusers")
	var enabled: Variant = await admin.settings().update(
		{"batch": {"enabled": true, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}}
	)
	check(enabled is Dictionary and enabled.batch.enabled == true, "enable the batch API")
	var pb: BosBase = await signed_in(USER)
	var uid: String = pb.auth_store.record.id
	var target: Variant = await pb.collection("posts").create({"title": tag + " b0", "author": uid})
	if not target is Dictionary:
		check(false, "batch: a post to update")
		return
	var results: Variant = await pb.batch().send(
		[
			{"action": "create", "collection": "posts", "data": {"title": tag + " b1", "author": uid}},
			{"action": "create", "collection": "posts", "data": {"title": tag + " b2", "author": uid}},
			{"action": "update", "collection": "posts", "id": target.id, "data": {"body": "batched"}},
		]
	)
	check(results is Array and results.size() == 3, "batch: 3 results (%s)" % str(results))
	if results is Array and results.size() == 3:
		check(int(results[0].status) == 200 and results[0].body.title == tag + " b1", "item 1")
		check(int(results[2].status) == 200 and results[2].body.body == "batched", "item 3")
	var posts: RefCounted = pb.collection("posts")
	var mine: String = pb.filter("title ~ {:t}", {"t": tag + " b"})
	var listed: Variant = await posts.get_full_list(100, {"filter": mine})
	check(listed is Array and listed.size() == 3, "batch: the posts exist")

	var failing: Variant = await pb.batch().send(
		[
			{"action": "create", "collection": "posts", "data": {"title": tag + " c1", "author": uid}},
			{"action": "create", "collection": "posts", "data": {"title": tag + " c2"}},
		]
	)
	check(is_http(failing, 400), "batch with a failing item: http 400 (%s)" % str(failing))
	# Exact titles: "<tag> c" is also the prefix of the cancelled upload's "<tag> cancelled"
	# post, which BosBase (faster than the cancel) may have created.
	var rolled: Variant = await posts.get_list(
		1, 30, {"filter": pb.filter("title = {:a} || title = {:b}", {"a": tag + " c1", "b": tag + " c2"})}
	)
	check(
		rolled is Dictionary and int(rolled.totalItems) == 0,
		"the whole batch rolled back (%s)" % str(rolled)
	)
	if listed is Array:
		var deletes: Array = []
		for post in listed:
			deletes.append({"action": "delete", "collection": "posts", "id": post.id})
		var deleted: Variant = await pb.batch().send(deletes)
		check(deleted is Array and deleted.size() == listed.size(), "batch delete")


# --- admin ---------------------------------------------------------------------------------


func test_admin() -> void:
	var admin: BosBase = await signed_in(ADMIN, "_superusers")
	var health: Variant = await admin.health().check()
	check(health is Dictionary and int(health.code) == 200, "health.check")
	var name := "tmp_" + tag
	var collections: RefCounted = admin.collections()
	var made: Variant = await collections.create(
		{"name": name, "type": "base", "fields": [{"name": "title", "type": "text"}]}
	)
	check(made is Dictionary and made.name == name, "collections.create (%s)" % str(made))
	var got: Variant = await collections.get_one(name)
	check(got is Dictionary and got.name == name, "collections.get_one")
	var page: Variant = await collections.get_list(1, 200, {"filter": "name = '%s'" % name})
	check(page is Dictionary and int(page.totalItems) == 1, "collections.get_list with filter")
	# BosBase refuses to change a collection for about 2 s after creating it (400 "relation …
	# already exists", a server bug; see tests/admin.rs); PocketBase does not. That refusal
	# alone is retried, for at most 5 s.
	var changed: Variant = await collections.update(name, {"listRule": ""})
	var retry_until := Time.get_ticks_msec() + 5000
	while (
		is_http(changed, 400)
		and "already exists" in changed.message
		and Time.get_ticks_msec() < retry_until
	):
		await runner.create_timer(0.25).timeout
		changed = await collections.update(name, {"listRule": ""})
	check(changed is Dictionary and changed.listRule == "", "collections.update (%s)" % str(changed))
	for i in 2:
		await admin.collection(name).create({"title": "t%d" % i})
	var count: Variant = await admin.collection(name).get_list()
	check(count is Dictionary and int(count.totalItems) == 2, "records in the new collection")
	check(await collections.truncate(name) == true, "collections.truncate")
	count = await admin.collection(name).get_list()
	check(count is Dictionary and int(count.totalItems) == 0, "truncated")
	check(await collections.delete(name) == true, "collections.delete")
	check(is_http(await collections.get_one(name), 404), "deleted collection: http 404")

	var settings: Variant = await admin.settings().get_all()
	check(settings is Dictionary and settings.has("meta"), "settings.get_all")
	var logs: Variant = await admin.logs().get_list(1, 5)
	check(logs is Dictionary and logs.has("items"), "logs.get_list")
	var crons: Variant = await admin.crons().get_full_list()
	check(crons is Array, "crons.get_full_list (%s)" % str(crons))

	var key := "%s.zip" % tag
	var backup: Variant = await admin.backups().create(key, {"timeoutMs": 60000})
	check(backup == true, "backups.create (%s)" % str(backup))
	var backups: Variant = await admin.backups().get_full_list()
	var keys: Array = []
	if backups is Array:
		for b in backups:
			keys.append(b.key)
	check(key in keys, "backups.get_full_list lists it (%s)" % str(backups))
	# Download it (a file token in the URL) and upload the bytes back under another name.
	var file_token: Variant = await admin.files().get_token()
	var download: Variant = await admin.backups().get_download_url(key, str(file_token))
	check(download is String and download.contains(key), "backups.get_download_url")
	var zip := PackedByteArray()
	if download is String:
		zip = await fetch(download)
	check(zip.size() > 4 and zip.slice(0, 2).get_string_from_ascii() == "PK", "the backup zip")
	var copy := "%s_copy.zip" % tag
	var uploaded: Variant = await admin.backups().upload(
		{"files": [{"field": "file", "bytes": zip, "filename": copy}], "timeoutMs": 60000}
	)
	check(uploaded == true, "backups.upload with a bytes part (%s)" % str(uploaded))
	backups = await admin.backups().get_full_list()
	var copied: bool = (
		backups is Array and backups.any(func(b: Dictionary) -> bool: return b.key == copy)
	)
	check(copied, "the uploaded backup is listed")
	check(await admin.backups().delete(copy) == true, "delete the uploaded backup")
	check(await admin.backups().delete(key) == true, "backups.delete")
	backups = await admin.backups().get_full_list()
	var listed: bool = (
		backups is Array and backups.any(func(b: Dictionary) -> bool: return b.key == key)
	)
	check(backups is Array and not listed, "the deleted backup is gone")
	var refused: Variant = await BosBase.new(url).settings().get_all()
	check(is_error(refused) and refused.status in [401, 403], "admin calls need a superuser")
