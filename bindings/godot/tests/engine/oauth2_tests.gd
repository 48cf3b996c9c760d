extends RefCounted
## The all-in-one OAuth2 sign-in (issue 23) in the real engine, against the test server with
## scripts/oauth2-provider as its provider (BOSBASE_OAUTH2_PROVIDER; without it the tests say
## so and are skipped). The browser is this script: browse() GETs the authorization URL on
## the provider and follows its redirect to the server's /api/oauth2-redirect, with
## HTTPClient. The URL reaches open_url on the main thread; awaits resolve there.
## Run by test_runner.gd, whose check() counts the results.

const BosBase = preload("res://addons/bosbase/bosbase.gd")

const EMAIL := "oauth2-user@example.com"

var runner: SceneTree
var url := ""
var provider := ""


func _init(test_runner: SceneTree) -> void:
	runner = test_runner
	url = test_runner.url
	provider = OS.get_environment("BOSBASE_OAUTH2_PROVIDER")


func run() -> void:
	if provider == "":
		print("SKIP: OAuth2 tests: no BOSBASE_OAUTH2_PROVIDER (run under scripts/oauth2-provider)")
		return
	var before: int = runner.passed
	await test_sign_in()
	await test_refusal()
	await test_cancel()
	await test_timeout_and_unknown_provider()
	print("oauth2 tests: %d checks passed" % (runner.passed - before))


func check(ok: bool, what: String) -> void:
	runner.check(ok, what)


## GETs [param target] (http://host:port/path?query) and returns [status, Location].
func http_get(target: String) -> Array:
	var rest := target.trim_prefix("http://")
	var slash := rest.find("/")
	var host_port := rest.left(slash)
	var colon := host_port.rfind(":")
	var client := HTTPClient.new()
	client.connect_to_host(host_port.left(colon), host_port.substr(colon + 1).to_int())
	var deadline := Time.get_ticks_msec() + 10000
	while client.get_status() in [HTTPClient.STATUS_CONNECTING, HTTPClient.STATUS_RESOLVING]:
		client.poll()
		OS.delay_msec(2)
		if Time.get_ticks_msec() > deadline:
			return [0, ""]
	if client.request(HTTPClient.METHOD_GET, rest.substr(slash), []) != OK:
		return [0, ""]
	while client.get_status() == HTTPClient.STATUS_REQUESTING:
		client.poll()
		OS.delay_msec(2)
		if Time.get_ticks_msec() > deadline:
			return [0, ""]
	var location := ""
	var headers: Dictionary = client.get_response_headers_as_dictionary()
	for name in headers:
		if str(name).to_lower() == "location":
			location = str(headers[name])
	var status := client.get_response_code()
	client.close()
	return [status, location]


## The browser: the provider's redirect, then the server's redirect page. True when the
## server took the redirect (it answers with its own 3xx either way; the code then went to a
## subscriber only if one had this state).
func browse(auth_url: String) -> bool:
	var first := http_get(auth_url)
	if first[0] != 302 or not str(first[1]).begins_with("http://"):
		return false
	var second := http_get(first[1])
	return second[0] in [302, 303, 307]


func test_sign_in() -> void:
	var pb := BosBase.new(url)
	var seen := {"url": "", "main": false, "browsed": false}
	var open_url := func(u: String) -> void:
		seen.url = u
		seen.main = OS.get_thread_caller_id() == OS.get_main_thread_id()
		seen.browsed = browse(u)
	var auth: Variant = await pb.collection("users").auth_with_oauth2(
		provider, open_url, {"scopes": ["openid", "email"], "timeoutMs": 20000}
	)
	check(auth is Dictionary, "OAuth2 sign-in (%s)" % str(auth))
	check(seen.main, "open_url ran on the main thread")
	check(seen.browsed, "the browser reached the server's redirect page")
	check(
		(
			str(seen.url).contains("%2Fapi%2Foauth2-redirect")
			and str(seen.url).contains("scope=openid%20email")
		),
		"the authorization URL carries redirect_uri and scopes (%s)" % seen.url
	)
	if auth is Dictionary:
		check(auth.record.email == EMAIL, "signed in as the provider's user")
		check(pb.auth_store.token == auth.token, "the login is in the auth store")


func test_refusal() -> void:
	var pb := BosBase.new(url)
	var open_url := func(u: String) -> void: browse(u + "&deny=1")
	var result: Variant = await pb.collection("users").auth_with_oauth2(
		provider, open_url, {"timeoutMs": 20000}
	)
	check(
		(
			result is ClientResponseError
			and result.kind == "oauth2"
			and "access_denied" in result.message
		),
		"a provider refusal is kind oauth2 (%s)" % str(result)
	)
	check(pb.auth_store.token == "", "a refused sign-in saved nothing")


func test_cancel() -> void:
	var pb := BosBase.new(url)
	var seen := {"url": ""}
	var open_url := func(u: String) -> void:
		seen.url = u
		pb.cancel()  # the user closed the sign-in dialog
	var result: Variant = await pb.collection("users").auth_with_oauth2(
		provider, open_url, {"timeoutMs": 20000}
	)
	check(
		result is ClientResponseError and result.kind == "cancelled",
		"cancel() ends the flow (%s)" % str(result)
	)
	browse(seen.url)  # the user finishes at the provider anyway
	var start := Time.get_ticks_msec()
	while Time.get_ticks_msec() - start < 300:
		await runner.process_frame
	check(pb.auth_store.token == "", "a cancelled sign-in saved nothing")


func test_timeout_and_unknown_provider() -> void:
	var pb := BosBase.new(url)
	var nothing := func(_u: String) -> void: pass
	var result: Variant = await pb.collection("users").auth_with_oauth2(
		provider, nothing, {"timeoutMs": 1000}
	)
	check(
		result is ClientResponseError and result.kind == "timeout",
		"no redirect in time: timeout (%s)" % str(result)
	)
	result = await pb.collection("users").auth_with_oauth2("nope", nothing)
	check(
		result is ClientResponseError and result.kind == "invalid_argument",
		"an unknown provider is invalid_argument (%s)" % str(result)
	)
