/* Asynchronous calls without any engine thread.
 *
 * Operations and sends run on the core's worker pool (bosbase_call_async,
 * bosbase_send_async). Their completion callback (a core worker thread, or the thread
 * cancelling the call) copies the outcome into one process-wide queue and touches nothing of
 * the engine; the main thread takes the queue's contents (take_completed, once per frame
 * while calls are pending) and resumes the awaiting GDScript there. Only what waits by
 * design — close, and the release of a client whose calls may still be running — runs on a
 * small pool of this library's own threads; close answers through the same queue. */
#ifndef BOSBASE_GODOT_ASYNC_H
#define BOSBASE_GODOT_ASYNC_H

#include <stdint.h>

#include "native.h"

/* Starts operation `op` on the core's pool, with the file parts staged on `self` (which it
 * takes: the next call starts with none). Returns an envelope whose result is the call's
 * id (its outcome arrives later through async_take_completed), or an error envelope when
 * nothing was started. malloc'd; NULL only when out of memory. */
char *async_call(BosbaseNative *self, const char *op, const char *args_json, const char *options_json);

/* A send to `path` under `collection`, or to the server's `path` when `collection` is NULL,
 * on the core's pool (bosbase_send_async): returns, completes and cancels as async_call. */
char *async_send(BosbaseNative *self, const char *collection, const char *path, const char *options_json);

/* The all-in-one OAuth2 sign-in (bosbase_auth_with_oauth2_async) on the core's pool: returns,
 * completes and cancels as async_call; before its outcome, the queue carries one
 * {"oauth2Url": url} line under the same id (the URL for the script to open). */
char *async_oauth2(BosbaseNative *self, const char *collection, const char *provider, const char *oauth2_json,
                   const char *options_json);

/* bosbase_client_close on this library's threads (it waits for the calls in flight); the
 * outcome (`true`) arrives through the queue; returns as async_call. */
char *async_close(BosbaseNative *self);

/* Cancels the calls of `self` started by async_call or async_send and not finished: each
 * completes with kind "cancelled" (queued before this returns). Returns how many were
 * cancelled. */
int64_t async_cancel_all(BosbaseNative *self);

/* Every outcome queued so far, oldest first, one per line: "<id> <envelope JSON>\n"
 * (JSON text never holds a raw newline). "" when none. malloc'd. */
char *async_take_completed(void);

/* Called by free_instance: cancels what is running and frees the client — inline when
 * nothing of it can still be running (the usual case: every call has been delivered),
 * otherwise on this library's threads, so the engine's thread never waits for the network.
 * Frees `self` (now or later). */
void async_release(BosbaseNative *self);

/* A job of another part of this library (live.c) starts / ends using `self`'s client:
 * the release of `self` waits for it before freeing the client. */
void async_job_begin(BosbaseNative *self);
void async_job_end(BosbaseNative *self);

/* Natives set up / released (create_instance, free_instance). */
void async_native_init(BosbaseNative *self);

/* At extension deinitialization: stops this library's threads, waiting at most 200 ms for
 * those still in a job (the engine is exiting: it never waits for the network), and drops
 * the undelivered outcomes once no thread can add any. */
void async_shutdown(void);

#endif
