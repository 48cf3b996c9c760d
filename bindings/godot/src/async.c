/* See async.h. Why a queue the main thread drains rather than call_deferred from the core's
 * threads: the completion callback then uses no engine function at all, so no engine object
 * or message queue has to outlive the core's threads (at shutdown the core may still finish
 * a cancelled call after the engine tore down its queue), and the C test host can check the
 * whole path under ASan with its own storage. The cost: an outcome waits for the next frame
 * (the main loop drains once per frame while calls are pending, and not at all otherwise). */
#define _GNU_SOURCE /* recursive mutexes and clock_gettime under -std=c11 */
#include "async.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"
#include "live.h"

/* ---- the process-wide outcome queue ---- */

typedef struct Outcome {
    struct Outcome *next;
    int64_t id;
    char *envelope;
} Outcome;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static Outcome *queue_head, *queue_tail;
static atomic_int_fast64_t next_id = 1;

static int64_t new_id(void) {
    return (int64_t)atomic_fetch_add(&next_id, 1);
}

/* Takes ownership of `envelope` (NULL, out of memory, becomes a panic outcome). */
static void queue_push(int64_t id, char *envelope) {
    Outcome *o = malloc(sizeof *o);
    if (envelope == NULL) {
        envelope = cstr_dup("{\"status\":99,\"result\":null,\"error\":{\"kind\":\"panic\",\"url\":\"\","
                            "\"status\":0,\"response\":{},\"isAbort\":false,\"message\":\"out of memory\"}}");
    }
    if (o == NULL || envelope == NULL) {
        free(o);
        free(envelope);
        return; /* out of memory: the await stays pending (nothing better is possible) */
    }
    *o = (Outcome){.next = NULL, .id = id, .envelope = envelope};
    pthread_mutex_lock(&queue_lock);
    if (queue_tail != NULL) {
        queue_tail->next = o;
    } else {
        queue_head = o;
    }
    queue_tail = o;
    pthread_mutex_unlock(&queue_lock);
}

char *async_take_completed(void) {
    pthread_mutex_lock(&queue_lock);
    Outcome *list = queue_head;
    queue_head = queue_tail = NULL;
    pthread_mutex_unlock(&queue_lock);

    size_t len = 1;
    for (Outcome *o = list; o != NULL; o = o->next) {
        len += 21 + 1 + strlen(o->envelope) + 1;
    }
    char *out = malloc(len);
    size_t at = 0;
    if (out != NULL) {
        out[0] = '\0';
    }
    while (list != NULL) {
        Outcome *o = list;
        list = o->next;
        if (out != NULL) {
            at += (size_t)snprintf(out + at, len - at, "%lld %s\n", (long long)o->id, o->envelope);
        }
        free(o->envelope);
        free(o);
    }
    return out;
}

static char *started_envelope(int64_t id) {
    char result[32];
    snprintf(result, sizeof result, "%lld", (long long)id);
    return envelope_new(BOSBASE_STATUS_OK, result, NULL);
}

/* ---- calls and sends on the core's pool ---- */

typedef struct AsyncCall {
    struct AsyncCall *next;
    BosbaseNative *owner;
    int64_t id;
    BosbaseCall *handle; /* set once bosbase_call_async / bosbase_send_async returned */
    bool done;           /* the callback finished with this record */
} AsyncCall;

/* BosbaseCallCallback: a core worker thread, or the thread cancelling the call. The owner
 * outlives it: it is freed only once the client's release ended, which waits for them. */
static void on_complete(void *user_data, BosbaseStatus status, const char *result_json, const char *error_json) {
    AsyncCall *c = user_data;
    queue_push(c->id, envelope_new(status, result_json, error_json));
    pthread_mutex_lock(&c->owner->lock);
    c->done = true;
    pthread_mutex_unlock(&c->owner->lock);
}

/* BosbaseProgressCallback of a download or of an upload asked for with files_report_progress:
 * the core's thread doing the transfer.
 * Queued like an outcome, as {"progress":[done,total]} under the call's id (pending_call.gd
 * emits its `progress` signal on the main thread). The core never reports after the
 * completion, which frees nothing of `c` before it ran: `c` is alive. */
static void on_progress(void *user_data, uint64_t done, uint64_t total) {
    AsyncCall *c = user_data;
    char text[64];
    snprintf(text, sizeof text, "{\"progress\":[%llu,%llu]}", (unsigned long long)done, (unsigned long long)total);
    queue_push(c->id, cstr_dup(text));
}

/* Releases the records whose callback has run. Caller holds self->lock. */
static void sweep(BosbaseNative *self) {
    for (AsyncCall **at = &self->calls; *at != NULL;) {
        AsyncCall *c = *at;
        if (c->done && c->handle != NULL) {
            *at = c->next;
            bosbase_call_free(c->handle);
            free(c);
        } else {
            at = &c->next;
        }
    }
}

/* Starts one call on the core's pool: operation `op` with `args_json` (bosbase_call_async),
 * or a download of `download` = {record_json,
 * filename, path} to `path` (bosbase_files_download_async, with progress), or, when both
 * are NULL, a send to `path` under `collection` (bosbase_send_async; the server's path when
 * `collection` is NULL). All complete through on_complete. */
static char *start_on_core(BosbaseNative *self, const char *op, const char *args_json, const BosbaseFiles *files,
                           const char *collection, const char *path, const char *options_json,
                           const char *const *download) {
    AsyncCall *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->owner = self;
    c->id = new_id();
    pthread_mutex_lock(&self->lock);
    sweep(self);
    pthread_mutex_unlock(&self->lock);

    BosbaseClient *client = atomic_load(&self->client);
    BosbaseCall *handle = NULL;
    char *error = NULL;
    BosbaseStatus status;
    if (download != NULL) {
        status = bosbase_files_download_async(client, download[0], download[1], download[2], options_json,
                                              on_progress, c, on_complete, c, &handle, &error);
    } else if (op != NULL) {
        if (files != NULL && self->staged_progress) {
            bosbase_files_on_progress(files, on_progress, c, NULL);
        }
        status = bosbase_call_async_with_files(client, op, args_json, options_json, files, on_complete, c, &handle,
                                               &error);
    } else {
        status = bosbase_send_async(client, collection, path, options_json, on_complete, c, &handle, &error);
    }
    if (status != BOSBASE_STATUS_OK) {
        free(c); /* nothing started: the callback never runs */
        return envelope_from_core(status, NULL, error);
    }
    int64_t id = c->id; /* `c` belongs to the list once inserted */
    pthread_mutex_lock(&self->lock);
    c->handle = handle;
    c->next = self->calls;
    self->calls = c;
    pthread_mutex_unlock(&self->lock);
    return started_envelope(id);
}

char *async_call(BosbaseNative *self, const char *op, const char *args_json, const char *options_json) {
    /* The staged parts go with this call (the core keeps its own reference to them). */
    BosbaseFiles *files = self->staged_files;
    self->staged_files = NULL;
    char *out = start_on_core(self, op, args_json, files, NULL, NULL, options_json, NULL);
    self->staged_progress = false;
    bosbase_files_free(files);
    return out;
}

char *async_send(BosbaseNative *self, const char *collection, const char *path, const char *options_json) {
    return start_on_core(self, NULL, NULL, NULL, collection, path, options_json, NULL);
}

char *async_download(BosbaseNative *self, const char *record_json, const char *filename, const char *path,
                     const char *options_json) {
    const char *download[3] = {record_json, filename, path};
    return start_on_core(self, NULL, NULL, NULL, NULL, NULL, options_json, download);
}

/* BosbaseUrlCallback of async_oauth2: queues {"oauth2Url": url} under the call's id, for
 * the main thread to hand to the script's open_url before the outcome. The core never runs
 * it after the completion, so `c` is alive. */
static void on_oauth2_url(void *user_data, const char *url) {
    AsyncCall *c = user_data;
    char *envelope = envelope_oauth2_url(url);
    if (envelope != NULL) { /* (out of memory: no URL, the flow ends at its deadline) */
        queue_push(c->id, envelope);
    }
}

char *async_oauth2(BosbaseNative *self, const char *collection, const char *provider, const char *oauth2_json,
                   const char *options_json) {
    AsyncCall *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->owner = self;
    c->id = new_id();
    pthread_mutex_lock(&self->lock);
    sweep(self);
    pthread_mutex_unlock(&self->lock);

    BosbaseClient *client = atomic_load(&self->client);
    BosbaseCall *handle = NULL;
    char *error = NULL;
    BosbaseStatus status = bosbase_auth_with_oauth2_async(client, collection, provider, oauth2_json, options_json,
                                                          on_oauth2_url, c, on_complete, c, &handle, &error);
    if (status != BOSBASE_STATUS_OK) {
        free(c); /* nothing started: neither callback runs */
        return envelope_from_core(status, NULL, error);
    }
    int64_t id = c->id;
    pthread_mutex_lock(&self->lock);
    c->handle = handle;
    c->next = self->calls;
    self->calls = c;
    pthread_mutex_unlock(&self->lock);
    return started_envelope(id);
}

int64_t async_cancel_all(BosbaseNative *self) {
    int64_t n = 0;
    pthread_mutex_lock(&self->lock);
    for (AsyncCall *c = self->calls; c != NULL; c = c->next) {
        if (!c->done) {
            /* The callback runs on this thread before cancel returns (if this cancels it),
             * taking the recursive lock again; a worker finishing it meanwhile waits. */
            bosbase_call_cancel(c->handle);
            n++; /* (a call finishing on a worker right now keeps its own outcome) */
        }
    }
    sweep(self);
    pthread_mutex_unlock(&self->lock);
    return n;
}

/* ---- close and release: the core's bosbase_client_release, which never blocks ---- */

#define SHUTDOWN_WAIT_MS 200L

/* Releases started and not ended (their completion may still queue an outcome). */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t ended;
    int running;
} releases = {.lock = PTHREAD_MUTEX_INITIALIZER, .ended = PTHREAD_COND_INITIALIZER};

typedef struct {
    BosbaseNative *owner;
    int64_t close_id; /* close(): the id its outcome is queued under; 0 for the final release */
} Release;

/* Every callback of its calls has run (its releases ended): nothing else can touch it. */
static void free_native(BosbaseNative *self) {
    while (self->calls != NULL) {
        AsyncCall *c = self->calls;
        self->calls = c->next;
        bosbase_call_free(c->handle);
        free(c);
    }
    bosbase_files_free(self->staged_files);
    pthread_mutex_destroy(&self->lock);
    free(self);
}

static void drop_hold(BosbaseNative *self) {
    if (atomic_fetch_sub(&self->holds, 1) == 1) {
        free_native(self);
    }
}

/* BosbaseReleaseCallback: a library thread of the core, once the client's calls, callbacks
 * and threads have all ended (or at once, on the caller's thread, for a NULL client). */
static void release_done(void *user_data) {
    Release *r = user_data;
    if (r->close_id != 0) {
        /* After the outcomes of the calls that were running: close resolves last. */
        queue_push(r->close_id, envelope_new(BOSBASE_STATUS_OK, "true", NULL));
    }
    drop_hold(r->owner);
    free(r);
    pthread_mutex_lock(&releases.lock);
    releases.running--;
    pthread_cond_broadcast(&releases.ended);
    pthread_mutex_unlock(&releases.lock);
}

/* Hands `client` to bosbase_client_release; `self` stays until its completion. */
static void release_client(BosbaseNative *self, BosbaseClient *client, int64_t close_id) {
    Release *r = malloc(sizeof *r);
    if (r == NULL) {
        /* Out of memory: released all the same, and `self` is kept for good (its calls'
         * callbacks may still come; a leak is the safe side). */
        atomic_fetch_add(&self->holds, 1);
        bosbase_client_release(client, NULL, NULL);
        return;
    }
    *r = (Release){.owner = self, .close_id = close_id};
    atomic_fetch_add(&self->holds, 1);
    pthread_mutex_lock(&releases.lock);
    releases.running++;
    pthread_mutex_unlock(&releases.lock);
    bosbase_client_release(client, release_done, r);
}

/* What answers for a closed instance: a fork of the client (same settings, a copy of its
 * login so the auth store still reads the same), closed at once, which takes no time as
 * nothing ever ran on it. Later calls, subscriptions and listeners then fail with the
 * core's own "closed" error, as on a closed client. NULL when the fork failed (later calls
 * then fail as on a client never opened). */
static BosbaseClient *closed_stand_in(BosbaseClient *client) {
    char *token = NULL, *login = NULL;
    bosbase_auth_store_token(client, &token, NULL);
    if (token != NULL && token[0] != '\0') {
        bosbase_auth_store_export(client, &login, NULL);
    }
    BosbaseClient *stand_in = NULL;
    if (bosbase_client_fork(client, login, &stand_in, NULL) == BOSBASE_STATUS_OK) {
        bosbase_client_close(stand_in);
    }
    bosbase_string_free(token);
    bosbase_string_free(login);
    return stand_in;
}

char *async_close(BosbaseNative *self) {
    BosbaseClient *client = atomic_load(&self->client);
    if (client == NULL && !self->closed) {
        /* Never opened: the core's own NULL-handle error, as every call of such an instance. */
        char *result = NULL, *error = NULL;
        BosbaseStatus status = bosbase_send(NULL, "/", NULL, &result, &error); /* sends nothing */
        return envelope_from_core(status, result, error);
    }
    int64_t id = new_id();
    if (self->closed) {
        queue_push(id, envelope_new(BOSBASE_STATUS_OK, "true", NULL)); /* closed already */
    } else {
        atomic_store(&self->client, closed_stand_in(client));
        self->closed = true;
        release_client(self, client, id);
    }
    return started_envelope(id);
}

void async_native_init(BosbaseNative *self) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&self->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    self->calls = NULL;
    atomic_init(&self->holds, 1); /* the engine's instance */
    self->closed = false;
    self->staged_files = NULL;
    self->state_event_id = live_new_id();
}

void async_release(BosbaseNative *self) {
    async_cancel_all(self);
    release_client(self, atomic_exchange(&self->client, NULL), 0);
    drop_hold(self); /* the engine's instance */
}

void async_shutdown(void) {
    /* A release still running (calls waiting for their deadline) is not waited for beyond
     * SHUTDOWN_WAIT: the engine is exiting, and the library stays mapped (-z nodelete)
     * until the process ends, so it may finish or be ended with the process. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += SHUTDOWN_WAIT_MS * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&releases.lock);
    while (releases.running > 0 && pthread_cond_timedwait(&releases.ended, &releases.lock, &deadline) == 0) {
    }
    bool idle = releases.running == 0;
    pthread_mutex_unlock(&releases.lock);
    if (idle) {
        free(async_take_completed());
    }
}
