/*
 * BosBase native client — C ABI (version BOSBASE_ABI_VERSION).
 *
 * Conventions:
 *  - Every public name starts with bosbase_, Bosbase or BOSBASE_ (a test checks it).
 *  - Every fallible function returns a BosbaseStatus (0 = BOSBASE_STATUS_OK).
 *  - Strings passed in are borrowed for the duration of the call and must be UTF-8.
 *  - Out-pointers, one rule: `error_out` may be NULL (the error is then discarded);
 *    every other out-pointer is required, and NULL there is BOSBASE_STATUS_INVALID_ARGUMENT
 *    with nothing done (no request sent). Every `char *` written to an out-pointer is owned
 *    by the caller: free it with bosbase_string_free(); every handle written to one is owned
 *    by the caller too, freed with its own _free function. Results are written only on
 *    success, `*error_out` only on failure; otherwise out-pointers are left untouched.
 *  - Every REST operation is a row of the operation table (bosbase_operations_json()),
 *    run by name with bosbase_call() or, without blocking, bosbase_call_async(); the
 *    typed functions below are shims over the same rows.
 *  - Thread safety: every handle may be used from many threads at once. Calls block
 *    the calling thread until the answer or the call's deadline (default 30 s, option
 *    "timeoutMs"); hosts that must not block use the _async forms, whose deadline runs
 *    from when they are started (time queued for a worker counts), pull subscriptions and
 *    bosbase_client_release().
 *
 * Lifetime. The free rule (wasmtime's C API states the same): a _free function must not
 * race another function on the same handle; no other thread may be inside, or later enter,
 * a function with that handle (the one exception: a callback may free what runs it). What
 * each one does:
 *  - bosbase_client_close(): refuses new calls, subscriptions, listeners and auth-store
 *    changes (BOSBASE_STATUS_CLOSED; store reads still work), stops realtime and pub/sub,
 *    and waits for every function already running with the handle, every started async
 *    call's callback and every running callback of the client (not from a callback: there
 *    it waits for nothing). bosbase_client_free(): close, then free. Blocks like close.
 *  - bosbase_client_release(): close + free without blocking the caller (no join, no wait
 *    for calls in flight); the waiting happens on a library thread, which then calls `done`.
 *  - bosbase_call_free(): frees the handle only; does not cancel (the callback still runs
 *    exactly once; bosbase_call_cancel() cancels). Never waits.
 *  - bosbase_subscription_free(): unsubscribes (queued entries are discarded), then frees.
 *    Joins no thread; waits only for a callback (push) or ready call (pull) of that
 *    subscription running on another thread. Callable from inside that callback.
 *  - bosbase_files_free(): frees the list; calls already started keep their parts.
 *  - bosbase_string_free(): frees a string this library wrote to an out-pointer.
 *  Subscription and call handles keep what they need: they stay valid (inactive) after
 *  their client was closed, freed or released.
 *
 * Callbacks and their threads. No callback may unwind into the library. `user_data` is
 * passed through untouched; the caller vouches it may be used on the callback's thread.
 *  - BosbaseCallCallback (async completions): a worker-pool thread of the client (512 KiB
 *    stack); the cancelling thread when bosbase_call_cancel() cancels it; and the CALLING
 *    thread, inside bosbase_call_async()/bosbase_send_async(), when the client was closed as
 *    the call started (a CLOSED completion): do not hold a lock the callback takes.
 *  - BosbaseAuthChangeCallback: the thread that changed the store (the caller of a blocking
 *    login, save, clear or import; a worker thread for async calls).
 *  - BosbaseEventCallback (push subscriptions) and BosbaseRealtimeStateCallback: the client's
 *    realtime dispatch thread, or its pub/sub dispatch thread (one each per client, only
 *    while it has subscriptions), one call at a time, in order.
 *  - BosbaseReadyCallback (pull subscriptions): the same dispatch thread; it must return
 *    quickly (it only wakes the host's own thread, which then calls bosbase_subscription_next()).
 *  - BosbaseReleaseCallback: the release's library thread (the caller's, for a NULL client).
 *  Each typedef says what it may call; every removal function says when it stops for good.
 *  From inside any callback, bosbase_client_close(), _free() and _release() of any client
 *  (its own included) are allowed and never wait, so clients may close each other from
 *  their callbacks without deadlock.
 *
 * Errors: no function unwinds or aborts: NULL, invalid UTF-8 and malformed JSON return
 * BOSBASE_STATUS_INVALID_ARGUMENT; an internal bug returns BOSBASE_STATUS_PANIC. Error JSON
 * mirrors BosBase's ClientResponseError:
 *     {"kind": "http", "url": "...", "status": 400, "response": {server body, `data` intact},
 *      "isAbort": false, "message": "...", "mfaId": "..." (kind "mfa_required" only),
 *      "attempts": 1 (requests sent, retries included; absent when none was sent)}
 * `status` is 0 only when no HTTP answer arrived; an answer whose body is unreadable or over
 * the size limit keeps its status. `url` has no query, fragment or userinfo and is at most
 * 256 bytes. It never contains passwords, custom tokens, auth tokens, query strings or
 * option values.
 *
 * Call options: `options_json` of bosbase_call*, bosbase_send* and the typed shims (always
 * optional, NULL = none) is an object with any of
 *     "method"    (string; the send functions only; default "GET")
 *     "body"      (any JSON; the request body)
 *     "query"     (object; extra query parameters, strings/numbers/bools)
 *     "headers"   (object of strings; extra headers; a caller-set Authorization wins)
 *     "expand"    (string; relations to expand)
 *     "fields"    (string; fields to return)
 *     "filter"    (string; list calls' filter, see bosbase_filter())
 *     "sort"      (string; list calls' sort, e.g. "-created,title")
 *     "skipTotal" (bool; list pages without counting the total)
 *     "mfaId"     (string; the MFA session of an mfa_required error, to finish a login)
 *     "timeoutMs" (integer; this call's deadline, replacing the client's)
 *     "retries"   (integer or object; replaces the client's option of that name for this
 *                 call, same forms; default: the client's, off unless set)
 *     "idempotent" (bool; lets a call other than GET/HEAD be retried; only GET/HEAD calls
 *                 and calls marked so are ever retried)
 * Unknown fields are rejected so typos do not pass silently. Header names must be HTTP
 * tokens, values free of control characters; Host, Content-Length, Transfer-Encoding,
 * Connection, Keep-Alive, TE, Trailer, Upgrade and Expect are refused (the transport sets
 * them). Client options: see bosbase_client_new(); subscription options: see
 * bosbase_realtime_subscribe() and bosbase_pubsub_subscribe().
 */

#ifndef BOSBASE_H
#define BOSBASE_H

/* Generated by cbindgen from src/ffi/ — do not edit; run `make header`. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* Version of this header's ABI; bumped on any incompatible change. */
#define BOSBASE_ABI_VERSION 5
/* Library version this header was generated for (see bosbase_version()). */
#define BOSBASE_VERSION "0.1.0"


/**
 * Bytes of undelivered entries one subscription (realtime or pub/sub, push or pull, or an
 * `EventReceiver`) holds at most, 16 MiB, next to the count bound of 1,024 entries: an
 * entry's size is its estimated size in memory (about its JSON length for text). Past
 * either bound the oldest event is dropped and counted; the subscribed/error/state notices
 * never are, and the newest event is always kept (so one event larger than the bound is
 * still delivered).
 */
#define BOSBASE_QUEUE_MAX_BYTES ((16 * 1024) * 1024)

/**
 * Default largest answer body read into memory (10 MiB).
 */
#define BOSBASE_DEFAULT_MAX_RESPONSE_BYTES ((10 * 1024) * 1024)

/**
 * Default number of idle keep-alive connections kept (per host and in all).
 */
#define BOSBASE_DEFAULT_MAX_IDLE_CONNECTIONS 64

/**
 * How many answers' worth of JSON (`max_response_bytes` each) one full list may hold.
 */
#define BOSBASE_FULL_LIST_ANSWERS 10

/**
 * Default bound on a client's worker threads: 256 asynchronous calls run at once.
 * (256 calls to a server answering in 200 ms take 0.2 s, not 3.2 s as with the 16 of old;
 * each running call holds a socket, and 256 stays well inside the usual 1024 open files.)
 */
#define BOSBASE_DEFAULT_POOL_SIZE 256

/**
 * Entries one subscription (realtime or pub/sub, push or pull) may have queued before the
 * oldest event is dropped; the queue is also bounded by 16 MiB of the entries' estimated
 * size in memory (`QUEUE_MAX_BYTES`; in C both carry the `BOSBASE_` prefix).
 */
#define BOSBASE_QUEUE_MAX_EVENTS 1024



/**
 * Attempts of `"retries": {}` (the object form without `maxAttempts`).
 */
#define BOSBASE_DEFAULT_RETRY_ATTEMPTS 3

/**
 * Most attempts a call may be given.
 */
#define BOSBASE_MAX_RETRY_ATTEMPTS 100

/**
 * Result of a C call: 0 on success, otherwise the failure's kind (the error
 * JSON's `kind` field names the same thing). Values never change; new kinds get new values.
 */
enum BosbaseStatus
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Success; result out-pointers were written.
   */
  BOSBASE_STATUS_OK = 0,
  /**
   * NULL pointer, invalid UTF-8, malformed JSON or another unusable argument.
   */
  BOSBASE_STATUS_INVALID_ARGUMENT = 1,
  /**
   * The server answered with a non-2xx status (`status`, `response` in the error JSON).
   */
  BOSBASE_STATUS_HTTP = 2,
  /**
   * The server asked for a second factor; the error JSON carries `mfaId`.
   */
  BOSBASE_STATUS_MFA_REQUIRED = 3,
  /**
   * No HTTP response (connection refused, DNS, reset). `status` is 0.
   */
  BOSBASE_STATUS_NETWORK = 4,
  /**
   * The request timed out (`isAbort` is true).
   */
  BOSBASE_STATUS_TIMEOUT = 5,
  /**
   * A 2xx answer whose body was not the expected JSON (`status` is kept).
   */
  BOSBASE_STATUS_JSON = 6,
  /**
   * The client was closed (`bosbase_client_close`); nothing was sent.
   */
  BOSBASE_STATUS_CLOSED = 7,
  /**
   * TLS handshake or certificate verification failed; the message says what
   * (unknown issuer, name mismatch, expired…). `status` is 0.
   */
  BOSBASE_STATUS_TLS = 8,
  /**
   * The call was cancelled; it had no effect on the auth store.
   */
  BOSBASE_STATUS_CANCELLED = 9,
  /**
   * A download was larger than its `maxBytes` cap; no file was left (`status` is the
   * answer's).
   */
  BOSBASE_STATUS_TOO_LARGE = 10,
  /**
   * The OAuth2 provider refused the sign-in or its redirect carried no code
   * (`bosbase_auth_with_oauth2`); the auth store is unchanged.
   */
  BOSBASE_STATUS_OAUTH2 = 11,
  /**
   * A bug inside the library was caught at the boundary; the process is intact.
   */
  BOSBASE_STATUS_PANIC = 99,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum BosbaseStatus BosbaseStatus;
#else
typedef uint32_t BosbaseStatus;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * What a subscription entry is.
 *
 */
enum BosbaseEventKind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * `bosbase_subscription_next`: nothing is queued now.
   */
  BOSBASE_EVENT_NONE = 0,
  /**
   * A record change (realtime) or a topic message (pub/sub).
   */
  BOSBASE_EVENT_EVENT = 1,
  /**
   * The server accepted the subscription (first, once; pub/sub: again after a reconnect).
   */
  BOSBASE_EVENT_SUBSCRIBED = 2,
  /**
   * The server refused the subscription; nothing follows (the handle must still be freed).
   */
  BOSBASE_EVENT_ERROR = 3,
  /**
   * The stream's state: `{"type": "state", "state": "connected"}`,
   * `{"type": "state", "state": "disconnected", "cause": "..."}` (lost; reconnecting) or
   * `{"type": "state", "state": "reconnected"}` (events sent meanwhile were missed).
   */
  BOSBASE_EVENT_STATE = 4,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum BosbaseEventKind BosbaseEventKind;
#else
typedef uint32_t BosbaseEventKind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * A started asynchronous call (from `bosbase_call_async` or `bosbase_send_async`): cancel it with
 * `bosbase_call_cancel`, release it with `bosbase_call_free`.
 */
typedef struct BosbaseCall BosbaseCall;

/**
 * An opaque client handle. Thread-safe: one handle may be used from many threads
 * at once; calls block the calling thread until the server answers or their deadline passes.
 */
typedef struct BosbaseClient BosbaseClient;

/**
 * An opaque list of file parts. Bytes are copied in when added; paths are opened when a
 * call using the list runs (and streamed, never read whole into memory). A call takes its
 * own reference to the parts, so the list may be freed or reused once the call started.
 * Thread-safe.
 */
typedef struct BosbaseFiles BosbaseFiles;

/**
 * An opaque subscription handle (realtime or pub/sub, push or pull mode) from
 * `bosbase_realtime_subscribe`, `bosbase_collection_subscribe` or `bosbase_pubsub_subscribe`.
 * Free it with `bosbase_subscription_free` (which unsubscribes). It keeps what it needs of
 * its client: it stays valid after the client was closed, freed or released (it is then
 * inactive). Thread-safe.
 */
typedef struct BosbaseSubscription BosbaseSubscription;

/**
 * Called after each auth-store change with the new token (`""` after clear) and
 * record JSON (`"null"` after clear), both borrowed for the call only.
 * Runs synchronously on the thread that changed the store: the thread of a blocking auth
 * call or of `bosbase_auth_store_save/clear/import/load_cookie`, or a worker thread of the
 * client for a call started with `bosbase_call_async`. Changes and their callbacks are
 * serialised, so callbacks arrive in order and the last one carries the final state.
 * It may call any `bosbase_auth_store_*` function (a change it makes is delivered,
 * nested, before it returns), remove listeners, and close or free any client, its own
 * included (see `bosbase_client_close`: from a callback it does not wait). It must not
 * wait for another thread that changes the store, and must not unwind.
 */
typedef void (*BosbaseAuthChangeCallback)(void *user_data,
                                          const char *token,
                                          const char *record_json);

/**
 * Completion of `bosbase_call_async`, invoked exactly once: `status` as
 * `bosbase_call` would return it; on success `result_json` is the result and
 * `error_json` NULL, on failure the reverse. Both are borrowed for the duration of the
 * callback only (copy what you keep). It runs on one of the client's worker threads
 * (also with BOSBASE_STATUS_TIMEOUT when the call's deadline passed while it was queued
 * behind `poolSize` running calls; nothing was sent); for a cancelled call on the thread
 * calling `bosbase_call_cancel`, before that returns; for a call the client's close refused
 * just as it started, on the thread calling `bosbase_call_async`, with CLOSED, before that
 * returns. It may call any function of this library (start other calls, read the auth
 * store, close or free any client, its own included: see `bosbase_client_close`, which does
 * not wait there), and must not unwind.
 */
typedef void (*BosbaseCallCallback)(void *user_data,
                                    BosbaseStatus status,
                                    const char *result_json,
                                    const char *error_json);

/**
 * Receives the end of a `bosbase_client_release` (`user_data` as given to it).
 */
typedef void (*BosbaseReleaseCallback)(void *user_data);

/**
 * Progress of an upload or a download: `done` bytes of `total` (0 while the total is
 * unknown: a download whose answer has no `Content-Length`; an upload's total is its whole
 * request body, framing included). Reports are throttled in the core (one per 1% or per
 * 100 ms while bytes move) and end with one where `done == total` once every byte went
 * through (none after a failure). It runs on the thread doing the transfer (the calling
 * thread of a blocking call, a worker thread of an asynchronous one), in order, and never
 * after the call's completion callback was invoked: `bosbase_call_cancel` waits for a
 * report in progress on another thread. It must be quick, must not unwind, and may call
 * this library (but should not block on the call it reports).
 */
typedef void (*BosbaseProgressCallback)(void *user_data,
                                        uint64_t done,
                                        uint64_t total);

/**
 * Receives the provider's authorization URL of `bosbase_auth_with_oauth2`: open it in a
 * browser, or show it. Invoked at most once per flow (not at all when the flow fails
 * before, e.g. an unknown provider), before the flow waits for the redirect, on the thread
 * running the flow: the caller's for the blocking form, a worker thread for the
 * asynchronous one (a host with a main thread, such as Godot, forwards the URL there). `url`
 * is borrowed for the call only. It never runs after the completion of the asynchronous
 * form began (a cancel arriving while it runs waits for it). It may call any function of
 * this library, should return promptly (the deadline keeps running) and must not unwind.
 */
typedef void (*BosbaseUrlCallback)(void *user_data,
                                   const char *url);

/**
 * Push mode: receives each entry of a subscription, in order: its kind, its sequence
 * number (1, 2, ... per subscription, assigned when the core queued it: a gap means that
 * many entries were dropped) and its JSON (borrowed for the call only; see
 * `bosbase_realtime_subscribe` and `bosbase_pubsub_subscribe` for the shapes).
 *
 * Called on the client's dispatch thread of that kind (realtime or pub/sub: a library
 * thread, one per client and kind, only while it has subscriptions), one call at a time.
 * It may call any `bosbase_*` function, including blocking calls on the same client (the
 * client's other callbacks of that kind wait meanwhile), subscribing, unsubscribing or
 * freeing any subscription (its own included: the current call then finishes normally),
 * and closing, freeing or releasing any client (from a callback close does not wait). It
 * must not wait for another thread that is unsubscribing from this client (that thread
 * waits for the callback), and must not unwind. A callback slower than the events lets the
 * queue (`BOSBASE_QUEUE_MAX_EVENTS` entries or `BOSBASE_QUEUE_MAX_BYTES`, the entries'
 * estimated size in memory) fill: the oldest queued EVENT is then dropped and counted
 * (`bosbase_subscription_dropped`); notices (SUBSCRIBED, ERROR, STATE) are never dropped.
 */
typedef void (*BosbaseEventCallback)(void *user_data,
                                     BosbaseEventKind kind,
                                     uint64_t sequence,
                                     const char *json);

/**
 * Pull mode: "something is queued". Called with `user_data` on a library thread (the
 * client's dispatch thread of that kind) when the subscription's queue got an entry after
 * the consumer last saw `BOSBASE_EVENT_NONE` from `bosbase_subscription_next` (or never
 * read): at most once per batch, re-armed by draining the queue. It must return quickly
 * (wake the host's own thread: a channel send, an `enif_send`, a flag) and must not call
 * `bosbase_subscription_next` on a subscription whose consumer runs elsewhere. Never called
 * after `bosbase_subscription_unsubscribe`/`_free` of that subscription returned.
 */
typedef void (*BosbaseReadyCallback)(void *user_data);

/**
 * Receives a connection-state change as JSON (borrowed for the call only):
 * `{"state": "connected"}` (the stream is open and the server accepted the subscriptions),
 * `{"state": "disconnected", "cause": "..."}` (lost; reconnecting with backoff) or
 * `{"state": "reconnected"}` (open again, subscriptions submitted again; events sent
 * meanwhile were missed, so refetch). Same thread and rules as `BosbaseEventCallback`,
 * in order with the events.
 */
typedef void (*BosbaseRealtimeStateCallback)(void *user_data,
                                             const char *state_json);

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Writes the stored token (`""` when none) to `*token_out`; free with `bosbase_string_free`.
 * Returns OK, INVALID_ARGUMENT (NULL argument) or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_auth_store_token(const struct BosbaseClient *client,
                                       char **token_out,
                                       char **error_out);

/**
 * Writes the stored auth record as JSON (`null` when none) to `*record_out`;
 * free with `bosbase_string_free`. Returns OK, INVALID_ARGUMENT or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_auth_store_record(const struct BosbaseClient *client,
                                        char **record_out,
                                        char **error_out);

/**
 * True when the store holds a token whose JWT `exp` is in the future
 * (signature not checked). False for NULL. Thread-safe.
 */
bool bosbase_auth_store_is_valid(const struct BosbaseClient *client);

/**
 * Forgets token and record, then runs change callbacks. Returns OK, INVALID_ARGUMENT,
 * CLOSED (once `bosbase_client_close` began, the store no longer changes) or PANIC.
 */
BosbaseStatus bosbase_auth_store_clear(const struct BosbaseClient *client,
                                       char **error_out);

/**
 * Saves `token` and `record_json` (a JSON object or `null`; NULL meaning `null`), then
 * runs change callbacks. A token with a control character (CR, LF, NUL…) cannot be sent as
 * a header, and a record of another type could never be exported and loaded back: both
 * are refused and the store is unchanged. Returns OK, INVALID_ARGUMENT (with
 * `*error_out`), CLOSED or PANIC.
 */
BosbaseStatus bosbase_auth_store_save(const struct BosbaseClient *client,
                                      const char *token,
                                      const char *record_json,
                                      char **error_out);

/**
 * Writes `{"token": ..., "record": ...}` to `*json_out` so an app can persist the login;
 * free with `bosbase_string_free`. Returns OK, INVALID_ARGUMENT or PANIC.
 */
BosbaseStatus bosbase_auth_store_export(const struct BosbaseClient *client,
                                        char **json_out,
                                        char **error_out);

/**
 * True when the store holds a token of a superuser (`_superusers`). False for NULL.
 * Thread-safe.
 */
bool bosbase_auth_store_is_superuser(const struct BosbaseClient *client);

/**
 * Writes a `Set-Cookie` value holding the login to `*cookie_out` (JS SDK
 * `exportToCookie`): `pb_auth=<URI-encoded {token, record}>; Path=/; Expires=<token exp>;
 * HttpOnly; Secure; SameSite=Strict`. `options_json` (NULL: defaults) may set `"key"` (an
 * RFC 6265 token), `"path"`, `"domain"`, `"secure"`, `"httpOnly"`, `"sameSite"`. Over 4096 bytes, the record
 * is cut to id/email/collectionId/collectionName/verified. Free with `bosbase_string_free`.
 * Returns OK, INVALID_ARGUMENT or PANIC.
 */
BosbaseStatus bosbase_auth_store_export_cookie(const struct BosbaseClient *client,
                                               const char *options_json,
                                               char **cookie_out,
                                               char **error_out);

/**
 * Loads the login from a `Cookie` request header (JS SDK `loadFromCookie`): the cookie
 * `key` (NULL or `""`: `pb_auth`) holds `{token, record}`. A header without it clears the
 * store (signed out); a cookie that does not hold such an object (checked as
 * `bosbase_auth_store_import` checks) clears the store and returns INVALID_ARGUMENT; a `key`
 * that is not an RFC 6265 token is INVALID_ARGUMENT and leaves the store unchanged. Runs
 * change callbacks. Returns OK, INVALID_ARGUMENT, CLOSED or PANIC.
 */
BosbaseStatus bosbase_auth_store_load_cookie(const struct BosbaseClient *client,
                                             const char *cookie_header,
                                             const char *key,
                                             char **error_out);

/**
 * Restores what `bosbase_auth_store_export` wrote (a JSON object: `token` a string without
 * control characters or absent, `record` an object or absent), then runs change callbacks.
 * Anything else is INVALID_ARGUMENT and leaves the store unchanged.
 * Returns OK, INVALID_ARGUMENT, CLOSED or PANIC.
 */
BosbaseStatus bosbase_auth_store_import(const struct BosbaseClient *client,
                                        const char *json,
                                        char **error_out);

/**
 * Registers `callback` (see `BosbaseAuthChangeCallback`) with `user_data` passed through
 * untouched; writes its id to `*listener_id_out`. The callback runs for changes that start
 * after this returns. Returns OK, INVALID_ARGUMENT (NULL client, callback or out-pointer),
 * CLOSED or PANIC.
 */
BosbaseStatus bosbase_auth_store_on_change(const struct BosbaseClient *client,
                                           BosbaseAuthChangeCallback callback,
                                           void *user_data,
                                           uint64_t *listener_id_out,
                                           char **error_out);

/**
 * Unregisters a callback. Returns OK, INVALID_ARGUMENT (NULL client or unknown id) or PANIC.
 * When it returns, the callback is not running on any other thread and will never be
 * called again, so `user_data` may be freed. (Called from inside that same callback, it
 * returns at once; the callback finishes its current run.)
 */
BosbaseStatus bosbase_auth_store_remove_listener(const struct BosbaseClient *client,
                                                 uint64_t listener_id,
                                                 char **error_out);

/**
 * Writes to `*problem_out` why the client's `"authFile"` could not be used the last time
 * it was read or written, as error JSON (kind `invalid_argument`, a `message` starting
 * with `authFile:`, never quoting the file), or `null` when it was, or when the client has
 * no auth file. Set when the file found at `bosbase_client_new` was unreadable, not a
 * regular file or not an export (the store then started empty; a missing file is no
 * problem), or when writing a change failed (the store keeps the change in memory);
 * cleared by the next successful write. Free with `bosbase_string_free`.
 * Returns OK, INVALID_ARGUMENT (NULL argument) or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_auth_store_file_error(const struct BosbaseClient *client,
                                            char **problem_out,
                                            char **error_out);

/**
 * Runs operation `op` (a name from `bosbase_operations_json`, e.g.
 * `"records.authWithToken"`) with `args_json` (NULL or an object of named arguments, e.g.
 * `{"collection":"users","token":"…"}`) and `options_json` (see the header's preamble).
 * Blocks until the answer or the call's deadline. Writes the result JSON to `*result_out`.
 * Returns OK or the failure's status (unknown operation or argument: INVALID_ARGUMENT).
 * An operation of several requests (`*.getFullList`) is one call: its deadline covers
 * every page (TIMEOUT when the list is not complete by then), and its pages together may
 * hold at most 10 times `maxResponseBytes` of JSON (JSON beyond it, status kept): a server
 * whose pages are always full cannot keep it running or growing.
 * Thread-safe.
 */
BosbaseStatus bosbase_call(const struct BosbaseClient *client,
                           const char *op,
                           const char *args_json,
                           const char *options_json,
                           char **result_out,
                           char **error_out);

/**
 * `bosbase_call` with the file parts of `files` (NULL: none), sent as
 * `multipart/form-data` with the other body fields as `@jsonPayload` (e.g.
 * `records.create`, `records.update`, `backups.upload`). Thread-safe.
 */
BosbaseStatus bosbase_call_with_files(const struct BosbaseClient *client,
                                      const char *op,
                                      const char *args_json,
                                      const char *options_json,
                                      const struct BosbaseFiles *files,
                                      char **result_out,
                                      char **error_out);

/**
 * Starts operation `op` (as `bosbase_call`) on the client's worker pool and returns at
 * once. On OK, `callback` (see `BosbaseCallCallback`) will be invoked exactly once with
 * `user_data`, and `*call_out` receives a handle to cancel the call with and to release
 * with `bosbase_call_free` (before or after the callback). On any other status nothing was
 * started and the callback is never invoked (bad arguments, unknown operation, closed
 * client). `bosbase_client_close` waits until the callbacks of started calls have run
 * (unless it is called from a callback).
 * Thread-safe.
 */
BosbaseStatus bosbase_call_async(const struct BosbaseClient *client,
                                 const char *op,
                                 const char *args_json,
                                 const char *options_json,
                                 BosbaseCallCallback callback,
                                 void *user_data,
                                 struct BosbaseCall **call_out,
                                 char **error_out);

/**
 * `bosbase_call_async` with the file parts of `files` (NULL: none), as for
 * `bosbase_call_with_files`. The call keeps its own reference to the parts: `files` may
 * be freed as soon as this returns. Thread-safe.
 */
BosbaseStatus bosbase_call_async_with_files(const struct BosbaseClient *client,
                                            const char *op,
                                            const char *args_json,
                                            const char *options_json,
                                            const struct BosbaseFiles *files,
                                            BosbaseCallCallback callback,
                                            void *user_data,
                                            struct BosbaseCall **call_out,
                                            char **error_out);

/**
 * `bosbase_send` / `bosbase_collection_send` without blocking: sends to `path` relative to
 * `collection` (`/api/collections/{collection}/...`), or to the server's `path` when
 * `collection` is NULL, on the client's worker pool. The callback, the handle and the
 * statuses are as for `bosbase_call_async`. Thread-safe.
 */
BosbaseStatus bosbase_send_async(const struct BosbaseClient *client,
                                 const char *collection,
                                 const char *path,
                                 const char *options_json,
                                 BosbaseCallCallback callback,
                                 void *user_data,
                                 struct BosbaseCall **call_out,
                                 char **error_out);

/**
 * Cancels a call started by `bosbase_call_async`, unless it already finished. If this
 * cancels it, the callback runs on this thread with BOSBASE_STATUS_CANCELLED before this
 * returns, and the call applies no auth-store effect (a login it was making is not saved,
 * whatever the server answered). It shuts the call's connection down, so a call stuck on
 * a stalled server (an answer, an upload, a download) frees its thread at once, and
 * `bosbase_client_close` does not wait for it until its deadline. NULL is ignored.
 * Thread-safe.
 */
void bosbase_call_cancel(const struct BosbaseCall *call);

/**
 * Releases a call handle. Does not cancel: the callback still runs exactly once. NULL is
 * ignored; freeing twice is undefined behaviour.
 */
void bosbase_call_free(struct BosbaseCall *call);

/**
 * Writes the operation table to `*json_out`:
 * `[{"name","method","path","args":[{"name","in","type","required","default","zeroIsValue"}],"effect","result","local","files","forks","doc"}]`
 * (`in`: path/query/body/fields/local; `type`: string/integer/boolean/object/array;
 * `result`: json/list/string/integer/true; `local`: builds a URL without a request; `files`: takes
 * file parts (other rows refuse them); `forks`: typed APIs return a new client signed in with the
 * result; `zeroIsValue`: the type's zero value is not the default). Bindings generate their
 * wrappers from it. Free with `bosbase_string_free`. Thread-safe.
 */
BosbaseStatus bosbase_operations_json(char **json_out,
                                      char **error_out);

/**
 * Writes the contract's kinds to `*json_out`: `{"errorKinds":[{"name","status","meaning"}],
 * "statusOk":0,"eventKinds":[{"name","value","meaning","fields"}]}`: each error kind (the
 * `kind` of error JSON) with its `BosbaseStatus` code, and each subscription event kind with
 * its value and the fields of its JSON. Bindings generate their kind constants from it.
 * Free with `bosbase_string_free`. Thread-safe.
 */
BosbaseStatus bosbase_kinds_json(char **json_out,
                                 char **error_out);

/**
 * Creates a client for the server at `base_url` (`http(s)://host[:port][/path]`; userinfo,
 * out-of-range ports, query and fragment are refused).
 *
 * `options_json` may be NULL or an object with any of:
 * `"lang"` (default `"en-US"`), `"userAgent"` (default `"bosbase-rust/<version>"`),
 * `"timeoutMs"` (deadline of each call, connect to last byte; default 30000),
 * `"connectTimeoutMs"` (default 10000), `"maxResponseBytes"` (largest answer body read;
 * default 10485760; a full list's pages may hold 10 times it together),
 * `"maxIdleConnections"` (keep-alive connections kept; default 64),
 * `"poolSize"` (most worker threads running `bosbase_call_async` calls at once, started on
 * demand and stopped after 10 s idle; more calls queue, their deadline running; default 256),
 * `"caPem"` (PEM text of extra trusted CA certificates), `"caFile"` (path of such a PEM file),
 * `"dangerAcceptInvalidCerts"` (**development only**: accept any certificate; default false),
 * `"proxy"` (`"http://[user:password@]host[:port]"`: every connection, realtime and pub/sub
 * included, goes through that HTTP proxy as a CONNECT tunnel; `"none"`: connect directly; either
 * way HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY are not read. Default: those variables, read
 * when the client is created, lower case first, NO_PROXY honoured, loopback not exempt; SOCKS
 * and https:// proxies are INVALID_ARGUMENT; credentials never appear in errors).
 * Certificates are verified against the platform's trust store plus `caPem`/`caFile`.
 * `"authFile"` (path of a file keeping the auth store across restarts; default none): the
 * store starts with the login it holds and every change replaces it atomically (owner-only,
 * `0600`, never half-written; a missing file is an empty store; the directory must exist).
 * A file that cannot be used does not fail this call: the store starts empty and
 * `bosbase_auth_store_file_error` says why. Clients from `bosbase_client_fork` do not use it;
 * two clients on one file: the last change wins.
 * `"retries"` (default 0: one attempt): `2` (two retries, up to 3 attempts) or
 * `{"maxAttempts": 3, "baseDelayMs": 200, "maxDelayMs": 5000}` (each optional; the values
 * shown are the defaults; maxAttempts 1..=100). Only GET/HEAD calls, and calls whose options
 * say `"idempotent": true`, are retried: when the connection was reset or closed before any
 * byte of the answer, or on 502/503/504 and 429, waiting the answer's `Retry-After` (429/503)
 * or an exponential backoff (baseDelayMs doubling up to maxDelayMs, a random 50–100 % of it);
 * every attempt and wait inside the call's one deadline (a wait that does not fit returns
 * the last failure at once). The error JSON's `"attempts"` counts the requests sent.
 * Writes a new handle to `*client_out`; free it with `bosbase_client_free`.
 * Returns OK, INVALID_ARGUMENT (the message names the bad field, never its value) or PANIC.
 * Thread-safe.
 */
BosbaseStatus bosbase_client_new(const char *base_url,
                                 const char *options_json,
                                 struct BosbaseClient **client_out,
                                 char **error_out);

/**
 * Creates a client with the settings of `client` (base URL, language, timeouts, limits,
 * TLS; connections are shared) and an auth store of its own: empty when `auth_json` is
 * NULL, else holding its `{token, record}` — e.g. the result of `records.impersonate`, to
 * act as that account while `client` stays signed in as the superuser. Writes the new
 * handle to `*client_out` (free it with `bosbase_client_free`). Returns OK,
 * INVALID_ARGUMENT (an `auth_json` without a string `token` and an object `record`),
 * CLOSED or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_client_fork(const struct BosbaseClient *client,
                                  const char *auth_json,
                                  struct BosbaseClient **client_out,
                                  char **error_out);

/**
 * Closes a client: from now on calls, subscriptions, listeners and auth-store changes on
 * it fail with BOSBASE_STATUS_CLOSED without sending anything (auth-store reads still
 * work, as reads of the last state), realtime and pub/sub stop, and this returns once
 * every function already running with this handle on another thread has returned (calls
 * are bounded by their deadlines), every call started with `bosbase_call_async` has
 * invoked its callback (queued ones run first), and no realtime or pub/sub callback of
 * the client is running. No callback of the client starts after it returned.
 * Idempotent; NULL is ignored. Thread-safe.
 *
 * From inside any callback of this library (of this client or another) it does not wait:
 * it refuses new calls, stops realtime and pub/sub, and returns at once, while the calls
 * still running — the one running the callback included — finish on their own and their
 * callbacks still come. Waiting there could wait for the very call that runs the callback,
 * or for another client that waits in turn (two clients closing each other from their
 * callbacks), so it never does: closing from callbacks cannot deadlock. Close again (or
 * free) outside a callback to wait for the rest.
 */
void bosbase_client_close(const struct BosbaseClient *client);

/**
 * Frees a handle from `bosbase_client_new` or `bosbase_client_fork`, closing it first
 * (as `bosbase_client_close`, waiting for what runs on it unless called from a callback).
 * NULL is ignored; freeing twice is undefined behaviour.
 *
 * It must not race another function on the same handle (the rule wasmtime's C API states
 * too): no other thread may be inside, or later enter, a function with this handle. Use
 * `bosbase_client_close` to stop concurrent users (their calls return CLOSED at once),
 * let them stop, then free. The one exception is the call on this thread that runs the
 * current callback: a callback may free any client, its own included (the running call
 * keeps what it needs until it returns). Subscription and call handles stay valid
 * (inactive) after their client was freed, and are freed on their own.
 */
void bosbase_client_free(struct BosbaseClient *client);

/**
 * Closes and frees a client without blocking the caller: it never joins a thread nor waits
 * for calls in flight. From its return, new calls, subscriptions and listeners on the
 * client fail with CLOSED (queued `bosbase_call_async` calls end CLOSED); the rest — waiting
 * for the calls already running (bounded by their deadlines) and every started async call's
 * callback, stopping realtime and pub/sub and joining their threads, freeing — happens on a
 * library thread, and then `done` (may be NULL) is called exactly once, on that thread,
 * with `user_data`. Subscription handles stay valid (inactive) and are freed on their own.
 * NULL client: `done` is called at once on the caller's thread. Safe to call from any
 * thread and from any callback of this library (a Godot main thread, a BEAM scheduler, a Go
 * finalizer). The handle must not be used after this call except by the functions already
 * running with it (the free rule); freeing or releasing it twice is undefined behaviour.
 * (The client's idle worker-pool threads exit on their own within 10 s.)
 */
void bosbase_client_release(struct BosbaseClient *client,
                            BosbaseReleaseCallback done,
                            void *user_data);

/**
 * Number of native clients alive in this process (created and not yet freed);
 * bindings use it to prove their handles are released. Thread-safe.
 */
size_t bosbase_live_clients(void);

/**
 * Downloads `filename` of the record `record_json` (its JSON, with `id` and
 * `collectionId` or `collectionName`) to the file `path` (UTF-8), streamed on the
 * client's connections (TLS trust, proxy, auth header). `options_json` (NULL: none):
 * `{"thumb": "100x100", "token": "…" (from `files.getToken`, for a protected file),
 * "download": true, "maxBytes": N (default: no cap; TOO_LARGE beyond it),
 * "timeoutMs": N (the whole download's deadline; default the client's), "headers": {}}`.
 * The bytes go to a temporary file in the same directory, renamed over `path` once all
 * arrived: a failed or cancelled download leaves no file (an existing `path` is then
 * untouched). `progress` (NULL: none) gets `user_data` (see `BosbaseProgressCallback`).
 * Blocks until done; writes `{"path": …, "bytes": N, "contentType": …}` to
 * `*result_out`. Returns OK, HTTP (the server's JSON: a missing file, a protected file
 * without a valid token), NETWORK, TIMEOUT, TLS, TOO_LARGE, CLOSED, or INVALID_ARGUMENT
 * (a bad record, filename or options, a path that cannot be written: its directory
 * must exist). Thread-safe.
 */
BosbaseStatus bosbase_files_download(const struct BosbaseClient *client,
                                     const char *record_json,
                                     const char *filename,
                                     const char *path,
                                     const char *options_json,
                                     BosbaseProgressCallback progress,
                                     void *progress_user_data,
                                     char **result_out,
                                     char **error_out);

/**
 * `bosbase_files_download` on the client's worker pool: returns at once; the callback,
 * the handle and the statuses are as for `bosbase_call_async` (`bosbase_call_cancel`
 * stops the download: no file is left, and no progress report runs after the cancelled
 * completion). `progress_user_data` must stay valid until the completion ran.
 * Thread-safe.
 */
BosbaseStatus bosbase_files_download_async(const struct BosbaseClient *client,
                                           const char *record_json,
                                           const char *filename,
                                           const char *path,
                                           const char *options_json,
                                           BosbaseProgressCallback progress,
                                           void *progress_user_data,
                                           BosbaseCallCallback callback,
                                           void *user_data,
                                           struct BosbaseCall **call_out,
                                           char **error_out);

/**
 * A new, empty list of file parts; free it with `bosbase_files_free`. NULL only if the
 * library failed internally (it never does in practice: nothing here can fail).
 */
struct BosbaseFiles *bosbase_files_new(void);

/**
 * Adds a part holding a copy of `len` bytes at `data` (NULL only when `len` is 0) for the
 * record field `field`, named `filename`, of `content_type` (NULL: from the filename's
 * extension, else `application/octet-stream`). Returns OK, INVALID_ARGUMENT or PANIC.
 */
BosbaseStatus bosbase_files_add_bytes(const struct BosbaseFiles *files,
                                      const char *field,
                                      const char *filename,
                                      const char *content_type,
                                      const uint8_t *data,
                                      size_t len,
                                      char **error_out);

/**
 * Adds a part streamed from the file at `path` (UTF-8) when the call runs, for the record
 * field `field`, named `filename` (NULL: the path's last component), of `content_type`
 * (NULL: from the filename). Returns OK, INVALID_ARGUMENT or PANIC. The call reports, at
 * once and as INVALID_ARGUMENT naming the field, a path that cannot be read or is not a
 * regular file (a FIFO, device or directory is never opened for a blocking read) and a
 * file that changes size while it is sent.
 */
BosbaseStatus bosbase_files_add_path(const struct BosbaseFiles *files,
                                     const char *field,
                                     const char *path,
                                     const char *filename,
                                     const char *content_type,
                                     char **error_out);

/**
 * Reports the upload progress of every call that starts with these parts afterwards to
 * `callback` with `user_data` (see `BosbaseProgressCallback`); NULL `callback` removes it.
 * `user_data` must stay valid until those calls completed. Returns OK, INVALID_ARGUMENT
 * (`files` NULL) or PANIC.
 */
BosbaseStatus bosbase_files_on_progress(const struct BosbaseFiles *files,
                                        BosbaseProgressCallback callback,
                                        void *user_data,
                                        char **error_out);

/**
 * Frees a list from `bosbase_files_new` (calls already started keep their parts). NULL is
 * ignored; freeing twice is undefined behaviour.
 */
void bosbase_files_free(struct BosbaseFiles *files);

/**
 * The library version (e.g. `"0.1.0"`), a static string: do not free it. Thread-safe.
 */
const char *bosbase_version(void);

/**
 * The stable name of a status (`"ok"`, `"http"`, `"mfa_required"`, ...), a static
 * string: do not free it. Unknown values give `"unknown"`. Thread-safe.
 */
const char *bosbase_status_name(uint32_t status);

/**
 * Writes a new random custom token (256 bits from the OS CSPRNG, URL-safe base64,
 * 43 characters) to `*token_out`; free with `bosbase_string_free`. Returns OK,
 * INVALID_ARGUMENT (NULL `token_out`) or PANIC (no system randomness). Thread-safe.
 */
BosbaseStatus bosbase_generate_token(char **token_out,
                                     char **error_out);

/**
 * Fills the `{:name}` placeholders of a filter expression with the values of the JSON
 * object `params_json`, quoted so hostile input cannot break out of its literal
 * (strings single-quoted, `'` escaped; a string ending in a backslash is refused because
 * PocketBase's parser cannot express it). Writes the filter to `*filter_out`; free with
 * `bosbase_string_free`. Returns OK, INVALID_ARGUMENT (with `*error_out`) or PANIC.
 */
BosbaseStatus bosbase_filter(const char *expr,
                             const char *params_json,
                             char **filter_out,
                             char **error_out);

/**
 * Frees a string this library returned. NULL is ignored; freeing twice is undefined.
 */
void bosbase_string_free(char *s);

/**
 * Signs in with the OAuth2 `provider` (a name from `records.listAuthMethods`, e.g.
 * `"google"`) of the auth collection `collection`, as the JS SDK's `authWithOAuth2`: lists
 * the collection's auth methods, subscribes to `@oauth2` on realtime, hands the provider's
 * authorization URL (PKCE, this client's realtime clientId as `state`, `redirect_uri` =
 * `<base URL>/api/oauth2-redirect`) to `url_callback` (see `BosbaseUrlCallback`), waits for
 * the redirect's message (one with another `state` is ignored), exchanges the code and
 * saves `{token, record}` (plus `meta`) in the auth store; the result JSON is the server's
 * answer. `oauth2_json`: NULL or
 * `{"scopes": ["..."], "createData": {...}, "urlQuery": {...}}` (scopes replacing the
 * provider's, fields of an account created on first sign-in, extra parameters of the
 * authorization URL). `options_json` (see the preamble) goes to the code exchange; its
 * `timeoutMs` bounds the whole flow (default 300000: a person signs in meanwhile).
 * Blocks until the login, the deadline (TIMEOUT), a refusal by the provider (OAUTH2) or an
 * unknown provider (INVALID_ARGUMENT); on failure the auth store is unchanged. Run one
 * flow per client at a time (they would share one `state`). Thread-safe.
 */
BosbaseStatus bosbase_auth_with_oauth2(const struct BosbaseClient *client,
                                       const char *collection,
                                       const char *provider,
                                       const char *oauth2_json,
                                       const char *options_json,
                                       BosbaseUrlCallback url_callback,
                                       void *url_user_data,
                                       char **result_out,
                                       char **error_out);

/**
 * `bosbase_auth_with_oauth2` on the client's worker pool: returns at once, and the flow
 * runs as a call of `bosbase_call_async` (`callback` invoked exactly once, `*call_out` to
 * cancel with `bosbase_call_cancel`, which ends the wait at once with CANCELLED and saves
 * nothing, and to release with `bosbase_call_free`; the same statuses). `url_callback`
 * runs on the worker thread. Thread-safe.
 */
BosbaseStatus bosbase_auth_with_oauth2_async(const struct BosbaseClient *client,
                                             const char *collection,
                                             const char *provider,
                                             const char *oauth2_json,
                                             const char *options_json,
                                             BosbaseUrlCallback url_callback,
                                             void *url_user_data,
                                             BosbaseCallCallback callback,
                                             void *user_data,
                                             struct BosbaseCall **call_out,
                                             char **error_out);

/**
 * Subscribes to the pub/sub `topic` (a non-empty string without control characters).
 * `options_json` must be NULL or `{}` (none are defined yet).
 *
 * Entries (see `BosbaseEventKind`; JSON borrowed in push mode, owned in pull mode):
 *
 * - SUBSCRIBED `{"type": "subscribed", "topic": "..."}`: the server accepted the subscription;
 *   first, once per connection (again after a reconnect).
 * - EVENT `{"type": "message", "topic": "...", "id": "...", "created": "...", "data": ...}`: a
 *   published message (`data` as the publisher sent it).
 * - ERROR `{"type": "error", "topic": "...", "error": {error JSON}}`: the server refused the topic.
 * - STATE `{"type": "state", "state": "connected" | "disconnected" | "reconnected"}` (with
 *   `"cause"` when disconnected): the client's WebSocket changed state.
 *
 * Exactly one mode, as for `bosbase_realtime_subscribe`: `callback` set (push, on the
 * client's pub/sub dispatch thread; `ready` must be NULL) or `callback` NULL (pull, with the
 * optional `ready`).
 *
 * Returns at once (waits for no thread); the WebSocket opens with the first subscription
 * or publish and closes when none is left; connecting (TCP, TLS, the upgrade and the
 * server's `ready`) has one deadline, the connect timeout. It reconnects by itself (backoff
 * 200 ms doubling to 5 s, with jitter, started over only after a connection that stayed up
 * 5 s), subscribes every topic again, and reconnects under the new identity after any
 * auth-store change (the token goes in the `Authorization` header, never in the URL).
 * Writes the handle to `*subscription_out`; free it with `bosbase_subscription_free`.
 * Returns OK, INVALID_ARGUMENT, CLOSED (once `bosbase_client_close` began), NETWORK (no
 * thread could be started) or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_pubsub_subscribe(const struct BosbaseClient *client,
                                       const char *topic,
                                       const char *options_json,
                                       BosbaseEventCallback callback,
                                       BosbaseReadyCallback ready,
                                       void *user_data,
                                       struct BosbaseSubscription **subscription_out,
                                       char **error_out);

/**
 * Stops every subscription of `topic` on this client (their handles stay to be freed).
 * Returns OK, INVALID_ARGUMENT or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_pubsub_unsubscribe_topic(const struct BosbaseClient *client,
                                               const char *topic,
                                               char **error_out);

/**
 * True while the client's pub/sub WebSocket is open. False for NULL. Thread-safe.
 */
bool bosbase_pubsub_is_connected(const struct BosbaseClient *client);

/**
 * Subscribes to `topic`: `COLLECTION/` followed by `*` (every record of the collection
 * the signed-in user may list) or by a record id (one record, if the user may view it), or
 * a custom topic. `options_json` may be NULL or an object with any of `"filter"`, `"expand"`,
 * `"fields"` (strings), `"query"` (object of strings/numbers/bools) and `"headers"`
 * (object of strings); the server applies them to the events it sends.
 *
 * Entries (see `BosbaseEventKind`; JSON borrowed in push mode, owned in pull mode):
 *
 * - SUBSCRIBED `{"type": "subscribed", "topic": "posts/RECORD_ID"}`: the server accepted the
 *   subscription; comes first, once.
 * - EVENT `{"type": "event", "topic": "posts/RECORD_ID", "event": "create", "record": {...}}`:
 *   a record was created, updated or deleted (`"event"` is the server's action), or
 *   `{"type": "event", "topic": "...", "data": ...}`: a message of a non-record topic (its
 *   JSON data, or a string when the data was not JSON).
 * - ERROR `{"type": "error", "topic": "...", "error": {error JSON}}`: the server refused the
 *   subscription; nothing follows.
 * - STATE `{"type": "state", "state": "connected" | "disconnected" | "reconnected"}` (with
 *   `"cause"` when disconnected): the client's stream changed state (also reported to
 *   `bosbase_realtime_on_state` listeners).
 *
 * Exactly one mode: `callback` set (push, `ready` must be NULL): called as described at
 * `BosbaseEventCallback`; `callback` NULL (pull): read with `bosbase_subscription_next`,
 * `ready` (may be NULL) called as described at `BosbaseReadyCallback`. `user_data` is passed
 * through untouched to whichever is set.
 *
 * Returns at once (it does not wait for the server nor for any thread; the first entry is
 * SUBSCRIBED, or `bosbase_subscription_wait` blocks until then). The first
 * subscription of a client starts its realtime threads; the stream reconnects by itself
 * (backoff 250 ms doubling up to 10 s, with jitter, started over only after a connection
 * whose subscriptions the server accepted stayed up 10 s; a refused subscription POST
 * other than a 400 is retried with it) and reconnects at once under a new
 * identity after any auth-store change.
 *
 * Writes the handle to `*subscription_out`; free it with `bosbase_subscription_free`.
 * Returns OK, INVALID_ARGUMENT (NULL, invalid UTF-8, empty topic, malformed or unknown
 * options, both `callback` and `ready` set), CLOSED, NETWORK (no thread could be started)
 * or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_realtime_subscribe(const struct BosbaseClient *client,
                                         const char *topic,
                                         const char *options_json,
                                         BosbaseEventCallback callback,
                                         BosbaseReadyCallback ready,
                                         void *user_data,
                                         struct BosbaseSubscription **subscription_out,
                                         char **error_out);

/**
 * `bosbase_realtime_subscribe` for a collection's records: the topic is
 * `"<collection>/<topic>"`, `topic` being `"*"` or a record id. Same rules and results.
 */
BosbaseStatus bosbase_collection_subscribe(const struct BosbaseClient *client,
                                           const char *collection,
                                           const char *topic,
                                           const char *options_json,
                                           BosbaseEventCallback callback,
                                           BosbaseReadyCallback ready,
                                           void *user_data,
                                           struct BosbaseSubscription **subscription_out,
                                           char **error_out);

/**
 * Unsubscribes every subscription of `client` to exactly `topic` (whatever its options),
 * with the guarantee of `bosbase_subscription_unsubscribe` for each; their handles stay
 * valid (inactive) and must still be freed. Returns OK (also when none matched),
 * INVALID_ARGUMENT or PANIC. Thread-safe; callable from callbacks.
 */
BosbaseStatus bosbase_realtime_unsubscribe(const struct BosbaseClient *client,
                                           const char *topic,
                                           char **error_out);

/**
 * Like `bosbase_realtime_unsubscribe`, for every topic starting with `prefix`
 * (e.g. `"posts/"` for all of a collection's subscriptions).
 */
BosbaseStatus bosbase_realtime_unsubscribe_by_prefix(const struct BosbaseClient *client,
                                                     const char *prefix,
                                                     char **error_out);

/**
 * Registers a connection-state callback (see `BosbaseRealtimeStateCallback`) with
 * `user_data` passed through untouched; writes its id to `*listener_id_out`. It is called
 * for state changes after this returns, while the client has subscriptions. Returns OK,
 * INVALID_ARGUMENT (NULL client, callback or out-pointer), CLOSED or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_realtime_on_state(const struct BosbaseClient *client,
                                        BosbaseRealtimeStateCallback callback,
                                        void *user_data,
                                        uint64_t *listener_id_out,
                                        char **error_out);

/**
 * Unregisters a state callback. When it returns, the callback is not running on any other
 * thread and will never be called again (called from inside it: returns at once).
 * Returns OK, INVALID_ARGUMENT (NULL client or unknown id) or PANIC. Thread-safe.
 */
BosbaseStatus bosbase_realtime_remove_state_listener(const struct BosbaseClient *client,
                                                     uint64_t listener_id,
                                                     char **error_out);

/**
 * Binds `token` to the account `email`/`password` of `collection`
 * (`POST /api/collections/{collection}/bind-token`). `*result_out` is `true`.
 * Never changes the auth store. Returns OK, INVALID_ARGUMENT, HTTP, NETWORK, TLS, TIMEOUT, JSON,
 * CLOSED or PANIC.
 */
BosbaseStatus bosbase_bind_custom_token(const struct BosbaseClient *client,
                                        const char *collection,
                                        const char *email,
                                        const char *password,
                                        const char *token,
                                        const char *options_json,
                                        char **result_out,
                                        char **error_out);

/**
 * Stops accepting `token` for the account (`POST .../unbind-token`). `*result_out` is `true`,
 * also when the token was not bound. Never changes the auth store. Statuses as for bind.
 */
BosbaseStatus bosbase_unbind_custom_token(const struct BosbaseClient *client,
                                          const char *collection,
                                          const char *email,
                                          const char *password,
                                          const char *token,
                                          const char *options_json,
                                          char **result_out,
                                          char **error_out);

/**
 * Signs in with a bound custom token (`POST .../auth-with-token`). `*result_out` is
 * `{"token": ..., "record": {...}}`, also saved in the client's auth store.
 * `mfaId` in `options_json` finishes an MFA login. Returns OK, INVALID_ARGUMENT, HTTP,
 * MFA_REQUIRED (error JSON has `mfaId`), NETWORK, TLS, TIMEOUT, JSON, CLOSED or PANIC.
 */
BosbaseStatus bosbase_auth_with_token(const struct BosbaseClient *client,
                                      const char *collection,
                                      const char *token,
                                      const char *options_json,
                                      char **result_out,
                                      char **error_out);

/**
 * Signs in with `identity` (email) and `password` (`POST .../auth-with-password`);
 * result and statuses as for `bosbase_auth_with_token`.
 */
BosbaseStatus bosbase_auth_with_password(const struct BosbaseClient *client,
                                         const char *collection,
                                         const char *identity,
                                         const char *password,
                                         const char *options_json,
                                         char **result_out,
                                         char **error_out);

/**
 * Refreshes the stored token (`POST .../auth-refresh`) and saves the answer;
 * result and statuses as for `bosbase_auth_with_token`.
 */
BosbaseStatus bosbase_auth_refresh(const struct BosbaseClient *client,
                                   const char *collection,
                                   const char *options_json,
                                   char **result_out,
                                   char **error_out);

/**
 * Sends a request to `path` relative to `collection` (`"/bind-token"` →
 * `/api/collections/{collection}/bind-token`); `options_json` may set `"method"`
 * (default GET). `*result_out` is the JSON answer, `null` for an empty body.
 * Saves nothing in the auth store. Statuses as for `bosbase_auth_with_token`.
 */
BosbaseStatus bosbase_collection_send(const struct BosbaseClient *client,
                                      const char *collection,
                                      const char *path,
                                      const char *options_json,
                                      char **result_out,
                                      char **error_out);

/**
 * Sends a request to any `path` of the server (e.g. `"/api/health"`); `options_json`
 * may set `"method"` (default GET). Result and statuses as for `bosbase_collection_send`.
 */
BosbaseStatus bosbase_send(const struct BosbaseClient *client,
                           const char *path,
                           const char *options_json,
                           char **result_out,
                           char **error_out);

/**
 * Pull mode, non-blocking: writes the oldest queued entry's kind, sequence number and JSON
 * (owned by the caller: `bosbase_string_free`) and removes it from the queue; when nothing
 * is queued, OK with `*kind_out = BOSBASE_EVENT_NONE`, `*sequence_out = 0` and
 * `*json_out = NULL` (this re-arms the ready callback). After unsubscribe (or the client's
 * close) it returns NONE. Returns OK, INVALID_ARGUMENT (NULL, or a push-mode subscription:
 * its callback gets the entries) or PANIC. Thread-safe; one consumer per subscription keeps
 * the order meaningful.
 */
BosbaseStatus bosbase_subscription_next(const struct BosbaseSubscription *subscription,
                                        BosbaseEventKind *kind_out,
                                        uint64_t *sequence_out,
                                        char **json_out,
                                        char **error_out);

/**
 * Blocks until the server confirmed the subscription, at most `timeout_ms` milliseconds.
 * Returns OK (confirmed; also when it had been confirmed before), HTTP (refused by the
 * server, the error JSON says why; realtime: also at the timeout when the server kept
 * refusing the subscription POST, e.g. 403 or 5xx, while retries went on), TIMEOUT,
 * CANCELLED (unsubscribed meanwhile), CLOSED, INVALID_ARGUMENT (NULL) or PANIC. Both kinds,
 * both modes. Thread-safe; may be called from a callback (confirmation comes from the
 * stream thread, not the dispatch thread).
 */
BosbaseStatus bosbase_subscription_wait(const struct BosbaseSubscription *subscription,
                                        uint64_t timeout_ms,
                                        char **error_out);

/**
 * True until the subscription is unsubscribed (by handle, topic or prefix, or by closing the
 * client). False for NULL. Thread-safe.
 */
bool bosbase_subscription_is_active(const struct BosbaseSubscription *subscription);

/**
 * Entries of this subscription dropped because its consumer fell `BOSBASE_QUEUE_MAX_EVENTS`
 * entries or `BOSBASE_QUEUE_MAX_BYTES` behind (drop-oldest; notices are never dropped).
 * 0 for NULL. Thread-safe.
 */
uint64_t bosbase_subscription_dropped(const struct BosbaseSubscription *subscription);

/**
 * Stops a subscription's delivery; its queued entries are discarded. When it returns, its
 * callback (push) or ready callback (pull) is not running on another thread and is never
 * called again, so `user_data` may be freed; called from inside that callback it returns at
 * once (the current call finishes). It joins no thread: push mode waits only for a running
 * callback of this subscription, pull mode only for a running ready call (which must return
 * quickly). The last subscription of a client stops its realtime or pub/sub threads, which
 * end on their own. Idempotent; NULL is ignored. The handle still needs
 * `bosbase_subscription_free`. Thread-safe.
 */
void bosbase_subscription_unsubscribe(const struct BosbaseSubscription *subscription);

/**
 * Unsubscribes (as `bosbase_subscription_unsubscribe`, same guarantee, same waits) and frees
 * the handle. NULL is ignored; freeing twice is undefined behaviour. May be called after the
 * client was closed, freed or released, and from inside the subscription's own callback.
 */
void bosbase_subscription_free(struct BosbaseSubscription *subscription);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* BOSBASE_H */
