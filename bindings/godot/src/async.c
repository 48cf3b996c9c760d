/* See async.h. Why a queue the main thread drains rather than call_deferred from the core's
 * threads: the completion callback then uses no engine function at all, so no engine object
 * or message queue has to outlive the core's threads (at shutdown the core may still finish
 * a cancelled call after the engine tore down its queue), and the C test host can check the
 * whole path under ASan with its own storage. The cost: an outcome waits for the next frame
 * (the main loop drains once per frame while calls are pending, and not at all otherwise). */
#define _GNU_SOURCE /* recursive mutexes under -std=c11 (glibc; mingw-w64 has them anyway) */
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
 * outlives it: it is freed only after bosbase_client_close, which waits for callbacks. */
static void on_complete(void *user_data, BosbaseStatus status, const char *result_json, const char *error_json) {
    AsyncCall *c = user_data;
    queue_push(c->id, envelope_new(status, result_json, error_json));
    pthread_mutex_lock(&c->owner->lock);
    c->done = true;
    pthread_mutex_unlock(&c->owner->lock);
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
 * or, when `op` is NULL, a send to `path` under `collection` (bosbase_send_async; the
 * server's path when `collection` is NULL). Both complete through on_complete. */
static char *start_on_core(BosbaseNative *self, const char *op, const char *args_json, const BosbaseFiles *files,
                           const char *collection, const char *path, const char *options_json) {
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
    BosbaseStatus status =
        op != NULL
            ? bosbase_call_async_with_files(client, op, args_json, options_json, files, on_complete, c, &handle,
                                            &error)
            : bosbase_send_async(client, collection, path, options_json, on_complete, c, &handle, &error);
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
    char *out = start_on_core(self, op, args_json, files, NULL, NULL, options_json);
    bosbase_files_free(files);
    return out;
}

char *async_send(BosbaseNative *self, const char *collection, const char *path, const char *options_json) {
    return start_on_core(self, NULL, NULL, NULL, collection, path, options_json);
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
            self->maybe_running = true; /* its request may still wait for an answer */
            n++; /* (a call finishing on a worker right now keeps its own outcome) */
        }
    }
    sweep(self);
    pthread_mutex_unlock(&self->lock);
    return n;
}

/* ---- this library's threads, for close and release (both wait for the network) ---- */

#define POOL_MAX 4
#define SHUTDOWN_WAIT_MS 200L

typedef enum { JOB_CLOSE, JOB_RELEASE } JobKind;

typedef struct Job {
    struct Job *next;
    JobKind kind;
    BosbaseNative *owner;
    int64_t id; /* close: the id its outcome is queued under */
} Job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    Job *head, *tail;
    pthread_t threads[POOL_MAX];
    /* exited[i]: thread i has left pool_main (announced on `exits`), so joining it cannot
     * block. A bounded join without glibc's pthread_timedjoin_np (absent on Windows). */
    bool exited[POOL_MAX];
    pthread_cond_t exits;
    int count, idle;
    bool stopping;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .exits = PTHREAD_COND_INITIALIZER};

static void free_native(BosbaseNative *self) {
    live_forget_native(self);
    pthread_mutex_lock(&self->lock);
    sweep(self);
    pthread_mutex_unlock(&self->lock);
    bosbase_files_free(self->staged_files);
    pthread_cond_destroy(&self->jobs_done);
    pthread_mutex_destroy(&self->lock);
    free(self);
}

/* A close job of `owner` ended: it no longer uses the client. Its last touch of `owner`. */
static void job_ended(BosbaseNative *owner) {
    pthread_mutex_lock(&owner->lock);
    owner->jobs--;
    pthread_cond_broadcast(&owner->jobs_done);
    pthread_mutex_unlock(&owner->lock);
}

void async_job_begin(BosbaseNative *self) {
    pthread_mutex_lock(&self->lock);
    self->jobs++;
    pthread_mutex_unlock(&self->lock);
}

void async_job_end(BosbaseNative *self) {
    job_ended(self);
}

/* Drops `self`'s close jobs still waiting in the queue (no thread has them; nobody awaits
 * them any more). */
static void drop_queued_closes(BosbaseNative *self) {
    Job *taken = NULL;
    pthread_mutex_lock(&pool.lock);
    pool.tail = NULL;
    for (Job **at = &pool.head; *at != NULL;) {
        Job *j = *at;
        if (j->owner == self && j->kind == JOB_CLOSE) {
            *at = j->next;
            j->next = taken;
            taken = j;
        } else {
            pool.tail = j;
            at = &j->next;
        }
    }
    pthread_mutex_unlock(&pool.lock);
    while (taken != NULL) {
        Job *next = taken->next;
        job_ended(self);
        free(taken);
        taken = next;
    }
}

static void run_job(Job *j) {
    BosbaseNative *self = j->owner;
    BosbaseClient *client = atomic_load(&self->client);
    switch (j->kind) {
    case JOB_CLOSE:
        /* The core's close waits for the calls and sends in flight, whose completion callbacks
         * have then queued their outcomes: close's outcome comes after theirs. */
        bosbase_client_close(client);
        queue_push(j->id, envelope_new(BOSBASE_STATUS_OK, "true", NULL));
        job_ended(self);
        break;
    case JOB_RELEASE:
        /* Nobody awaits this client's queued closes any more: dropped. Then waits for the
         * calls still running on the core's threads (bounded by their deadlines) and for the
         * close jobs running with the client on this library's threads, and frees both. */
        drop_queued_closes(self);
        bosbase_client_close(client);
        pthread_mutex_lock(&self->lock);
        while (self->jobs > 0) {
            pthread_cond_wait(&self->jobs_done, &self->lock);
        }
        pthread_mutex_unlock(&self->lock);
        bosbase_client_free(atomic_exchange(&self->client, NULL));
        free_native(self);
        break;
    }
    free(j);
}

static void *pool_main(void *arg) {
    int slot = (int)(intptr_t)arg;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        Job *j = pool.head;
        if (j != NULL) {
            pool.head = j->next;
            if (pool.head == NULL) {
                pool.tail = NULL;
            }
            pthread_mutex_unlock(&pool.lock);
            run_job(j);
            pthread_mutex_lock(&pool.lock);
            continue;
        }
        if (pool.stopping) {
            break;
        }
        pool.idle++;
        pthread_cond_wait(&pool.work, &pool.lock);
        pool.idle--;
    }
    pool.exited[slot] = true;
    pthread_cond_broadcast(&pool.exits);
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

/* Queues `j`, starting a thread when none is idle and the bound allows. False when no
 * thread exists to run it (none could be started). */
static bool pool_submit(Job *j) {
    pthread_mutex_lock(&pool.lock);
    if (pool.idle == 0 && pool.count < POOL_MAX && !pool.stopping &&
        pthread_create(&pool.threads[pool.count], NULL, pool_main, (void *)(intptr_t)pool.count) == 0) {
        pool.exited[pool.count] = false;
        pool.count++;
    }
    bool ok = pool.count > 0 && !pool.stopping;
    if (ok) {
        j->next = NULL;
        if (pool.tail != NULL) {
            pool.tail->next = j;
        } else {
            pool.head = j;
        }
        pool.tail = j;
        pthread_cond_signal(&pool.work);
    }
    pthread_mutex_unlock(&pool.lock);
    return ok;
}

char *async_close(BosbaseNative *self) {
    if (atomic_load(&self->client) == NULL) {
        /* Never opened: the core's own NULL-handle error, as every call of such an instance. */
        char *result = NULL, *error = NULL;
        BosbaseStatus status = bosbase_send(NULL, "/", NULL, &result, &error); /* sends nothing */
        return envelope_from_core(status, result, error);
    }
    Job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        return NULL;
    }
    j->kind = JOB_CLOSE;
    j->owner = self;
    j->id = new_id();
    pthread_mutex_lock(&self->lock);
    self->jobs++;
    pthread_mutex_unlock(&self->lock);
    int64_t id = j->id;
    if (!pool_submit(j)) {
        job_ended(self);
        free(j);
        return envelope_local_error("could not start a thread for close");
    }
    return started_envelope(id);
}

void async_native_init(BosbaseNative *self) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&self->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_cond_init(&self->jobs_done, NULL);
    self->calls = NULL;
    self->jobs = 0;
    self->maybe_running = false;
    self->staged_files = NULL;
    self->state_event_id = live_new_id();
    self->live_used = false;
}

void async_release(BosbaseNative *self) {
    async_cancel_all(self);
    pthread_mutex_lock(&self->lock);
    /* A client that had subscriptions may still have realtime/pub/sub threads to join. */
    bool busy = self->maybe_running || self->jobs > 0 || self->live_used;
    pthread_mutex_unlock(&self->lock);
    if (busy && atomic_load(&self->client) != NULL) {
        Job *j = calloc(1, sizeof *j);
        if (j != NULL) {
            j->kind = JOB_RELEASE;
            j->owner = self;
            if (pool_submit(j)) {
                return;
            }
            free(j);
        }
    }
    /* Nothing of the client can be running (or no thread is left to wait on): close
     * returns at once, after the last callbacks have returned. */
    BosbaseClient *client = atomic_exchange(&self->client, NULL);
    bosbase_client_close(client);
    pthread_mutex_lock(&self->lock);
    while (self->jobs > 0) {
        pthread_cond_wait(&self->jobs_done, &self->lock);
    }
    pthread_mutex_unlock(&self->lock);
    bosbase_client_free(client);
    free_native(self);
}

void async_shutdown(void) {
    pthread_mutex_lock(&pool.lock);
    pool.stopping = true;
    pthread_cond_broadcast(&pool.work);
    int count = pool.count;
    pthread_mutex_unlock(&pool.lock);
    /* Idle threads exit at once. A thread still in a job (a close, or the release of a client
     * whose cancelled calls wait for their deadline) is not waited for beyond SHUTDOWN_WAIT:
     * the engine is exiting, and the library stays mapped (-z nodelete) until the process
     * ends, so the thread may finish or be ended with the process. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += SHUTDOWN_WAIT_MS * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&pool.lock);
    for (int i = 0; i < count; i++) {
        while (!pool.exited[i] && pthread_cond_timedwait(&pool.exits, &pool.lock, &deadline) == 0) {
        }
    }
    bool all_joined = true;
    for (int i = 0; i < count; i++) {
        if (pool.exited[i]) {
            pthread_join(pool.threads[i], NULL); /* it has returned: no wait */
        } else {
            pthread_detach(pool.threads[i]);
            all_joined = false;
        }
    }
    pool.count = 0;
    pool.stopping = !all_joined; /* a later initialization may start threads again */
    pthread_mutex_unlock(&pool.lock);
    if (all_joined) {
        free(async_take_completed());
    }
}
