class_name ClientResponseError
extends RefCounted
## A failed BosBase call, as built by the native core.
##
## [code]status[/code] is the HTTP status, or 0 when no response arrived (connection refused,
## DNS, TLS, timeout): such a failure is never reported as success.

## The request URL (without query string).
var url: String = ""
## HTTP status of the answer; 0 when there was none.
var status: int = 0
## The server's JSON error body ([code]status[/code], [code]message[/code], [code]data[/code]).
var response: Dictionary = {}
## True when the request was aborted (timed out).
var is_abort: bool = false
## A short description of the failure.
var message: String = ""
## The core's machine-readable cause: "http", "network", "timeout", "tls", "mfa_required",
## "invalid_argument", "json", "closed", "cancelled", "oauth2" (the OAuth2 provider refused
## the sign-in), "too_large" (a download over its maxBytes cap) or "panic". Every failure of
## the addon is a ClientResponseError, so [code]match error.kind[/code] covers them all.
var kind: String = ""
## Set when [code]kind[/code] is "mfa_required": pass [code]{"mfaId": mfa_id}[/code] as
## options to the second auth method.
var mfa_id: String = ""
## How many attempts the call made: 1 without retries, more when the client's or the call's
## [code]retries[/code] option retried it; 0 when it failed before trying (bad input).
var attempts: int = 0


func _init(data: Dictionary = {}) -> void:
	url = str(data.get("url", ""))
	status = int(data.get("status", 0))
	var body: Variant = data.get("response", {})
	response = body if body is Dictionary else {}
	is_abort = bool(data.get("isAbort", false))
	message = str(data.get("message", ""))
	kind = str(data.get("kind", ""))
	mfa_id = str(data.get("mfaId", ""))
	attempts = int(data.get("attempts", 0))


## Used by [method Object.to_string], so [code]error.to_string()[/code] and
## [code]str(error)[/code] read the same.
func _to_string() -> String:
	return "ClientResponseError(status %d, %s): %s" % [status, kind, message]
