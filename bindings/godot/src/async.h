/* Asynchronous calls and client release without any engine thread or thread of this library.
 *
 * Operations and sends run on the core's worker pool (bosbase_call_async,
 * bosbase_send_async). Their completion callback (a core worker thread, or the thread
 * cancelling the call) copies the outcome into one process-wide queue and touches nothing of
 * the engine; the main thread takes the queue's contents (take_completed, once per frame
 * while calls are pending) and resumes the awaiting GDScript there. That queue holds call
 * outcomes only (at most one per call started), never subscription events. Closing and
 * releasing a client use the core's non-blocking bosbase_client_release, whose completion
 * ends on a library thread of the core. */
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

/* Downloads `filename` of the record `record_json` to the OS path `path`
 * (bosbase_files_download_async): returns, completes and cancels as async_call; progress
 * reports come before the outcome, through the same queue, as {"progress":[done,total]}
 * lines under the call's id (so do the staged parts of an async_call after
 * files_report_progress). */
char *async_download(BosbaseNative *self, const char *record_json, const char *filename, const char *path,
                     const char *options_json);

/* The all-in-one OAuth2 sign-in (bosbase_auth_with_oauth2_async) on the core's pool: returns,
 * completes and cancels as async_call; before its outcome, the queue carries one
 * {"oauth2Url": url} line under the same id (the URL for the script to open). */
char *async_oauth2(BosbaseNative *self, const char *collection, const char *provider, const char *oauth2_json,
                   const char *options_json);

/* Closes the client without waiting: bosbase_client_release of it, whose completion (after
 * the calls running now finished) queues the outcome `true`; from here on the instance
 * answers with a closed stand-in (see async.c), so later calls fail with kind "closed".
 * Returns as async_call. */
char *async_close(BosbaseNative *self);

/* Cancels the calls of `self` started by async_call or async_send and not finished: each
 * completes with kind "cancelled" (queued before this returns). Returns how many were
 * cancelled. */
int64_t async_cancel_all(BosbaseNative *self);

/* Every outcome queued so far, oldest first, one per line: "<id> <envelope JSON>\n"
 * (JSON text never holds a raw newline). "" when none. malloc'd. */
char *async_take_completed(void);

/* Called by free_instance: cancels what is running and releases the client with
 * bosbase_client_release (never waits); `self` is freed once every release of it ended. */
void async_release(BosbaseNative *self);

/* Natives set up (create_instance). */
void async_native_init(BosbaseNative *self);

/* At extension deinitialization: waits at most 200 ms for releases still running (the
 * engine is exiting: it never waits for the network), then drops the undelivered outcomes
 * if none is left to add any. */
void async_shutdown(void);

#endif
