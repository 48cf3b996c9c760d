/* See async.h. Why a queue the main thread drains rather than call_deferred from the core's
 * threads: the completion callback then uses no engine function at all, so no engine object
 * or message queue has to outlive the core's threads (at shutdown the core may still finish
 * a cancelled call after the engine tore down its queue), and the C test host can check the
 * whole path under ASan with its own storage. The cost: an outcome waits for the next frame
 * (the main loop drains once per frame while calls are pending, and not at all otherwise). */
#define _GNU_SOURCE /* recursive mutexes and pthread_timedjoin_np under -std=c11 */
#include "async.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"

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

/* ---- calls on the core's pool ---- */

typedef struct AsyncCall {
    struct AsyncCall *next;
    BosbaseNative *owner;
    int64_t id;
    BosbaseCall *handle; /* set once bosbase_call_async returned */
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

char *async_call(BosbaseNative *self, const char *op, const char *args_json, const char *options_json) {
    AsyncCall *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->owner = self;
    c->id = new_id();
    pthread_mutex_lock(&self->lock);
    sweep(self);
    pthread_mutex_unlock(&self->lock);

    BosbaseCall *handle = NULL;
    char *error = NULL;
    BosbaseStatus status = bosbase_call_async(atomic_load(&self->client), op, args_json, options_json, on_complete,
                                              c, &handle, &error);
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

/* ---- this library's threads, for the blocking calls ---- */

#define POOL_MAX 4
#define SHUTDOWN_WAIT_MS 200L

typedef enum { JOB_SEND, JOB_CLOSE, JOB_RELEASE } JobKind;

typedef struct Job {
    struct Job *next;
    JobKind kind;
    BosbaseNative *owner;
    int64_t id;
    char *collection, *path, *options; /* send; collection and options may be NULL */
} Job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    Job *head, *tail;
    pthread_t threads[POOL_MAX];
    int count, idle;
    bool stopping;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

static void free_native(BosbaseNative *self) {
    pthread_mutex_lock(&self->lock);
    sweep(self);
    pthread_mutex_unlock(&self->lock);
    pthread_cond_destroy(&self->jobs_done);
    pthread_mutex_destroy(&self->lock);
    free(self);
}

/* A job of `owner` ended: it no longer uses the client. Its last touch of `owner`. */
static void job_ended(BosbaseNative *owner, bool was_send) {
    pthread_mutex_lock(&owner->lock);
    owner->jobs--;
    owner->sends_running -= was_send;
    pthread_cond_broadcast(&owner->jobs_done);
    pthread_mutex_unlock(&owner->lock);
}

/* A job leaves the queue to run. Caller holds pool.lock (pool.lock, then an owner's lock:
 * the only order in which both are held). */
static void mark_running(Job *j) {
    if (j->kind == JOB_SEND) {
        pthread_mutex_lock(&j->owner->lock);
        j->owner->sends_running++;
        pthread_mutex_unlock(&j->owner->lock);
    }
}

/* Takes `self`'s send and close jobs still waiting in the queue (no thread has them). With
 * `run` they are marked running for the caller to run; without, they are dropped. */
static Job *steal_jobs(BosbaseNative *self, bool run) {
    Job *taken = NULL, **tail = &taken;
    pthread_mutex_lock(&pool.lock);
    pool.tail = NULL;
    for (Job **at = &pool.head; *at != NULL;) {
        Job *j = *at;
        if (j->owner == self && j->kind != JOB_RELEASE) {
            *at = j->next;
            j->next = NULL;
            *tail = j;
            tail = &j->next;
            if (run) {
                mark_running(j);
            }
        } else {
            pool.tail = j;
            at = &j->next;
        }
    }
    pthread_mutex_unlock(&pool.lock);
    return taken;
}

static void free_job(Job *j) {
    free(j->collection);
    free(j->path);
    free(j->options);
    free(j);
}

static void run_job(Job *j) {
    BosbaseNative *self = j->owner;
    BosbaseClient *client = atomic_load(&self->client);
    switch (j->kind) {
    case JOB_SEND: {
        char *result = NULL, *error = NULL;
        BosbaseStatus status = j->collection != NULL
                                   ? bosbase_collection_send(client, j->collection, j->path, j->options, &result, &error)
                                   : bosbase_send(client, j->path, j->options, &result, &error);
        /* Queued before the job counts as ended, so a close waiting for it queues its own
         * outcome after this one. (The native outlives job_ended: it is freed only once
         * its jobs have ended.) */
        queue_push(j->id, envelope_from_core(status, result, error));
        job_ended(self, true);
        break;
    }
    case JOB_CLOSE:
        /* The calls running at close finish first, and their outcomes come before close's:
         * this client's jobs still queued run now, on this thread; the core's close waits
         * for its calls in flight (sends on other threads included); then the sends running
         * elsewhere have queued their outcomes. Nothing here waits for a free thread. */
        for (Job *queued = steal_jobs(self, true); queued != NULL;) {
            Job *next = queued->next;
            run_job(queued);
            queued = next;
        }
        bosbase_client_close(client);
        pthread_mutex_lock(&self->lock);
        while (self->sends_running > 0) {
            pthread_cond_wait(&self->jobs_done, &self->lock);
        }
        pthread_mutex_unlock(&self->lock);
        queue_push(j->id, envelope_new(BOSBASE_STATUS_OK, "true", NULL));
        job_ended(self, false);
        break;
    case JOB_RELEASE:
        /* Nobody awaits this client's queued jobs any more: dropped. Then waits for the calls
         * still running on the core's threads (bounded by their deadlines) and for this
         * library's jobs running with the client, and frees both. */
        for (Job *queued = steal_jobs(self, false); queued != NULL;) {
            Job *next = queued->next;
            job_ended(self, false);
            free_job(queued);
            queued = next;
        }
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
    free_job(j);
}

static void *pool_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        Job *j = pool.head;
        if (j != NULL) {
            pool.head = j->next;
            if (pool.head == NULL) {
                pool.tail = NULL;
            }
            mark_running(j);
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
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

/* Queues `j`, starting a thread when none is idle and the bound allows. False when no
 * thread exists to run it (none could be started). */
static bool pool_submit(Job *j) {
    pthread_mutex_lock(&pool.lock);
    if (pool.idle == 0 && pool.count < POOL_MAX && !pool.stopping &&
        pthread_create(&pool.threads[pool.count], NULL, pool_main, NULL) == 0) {
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

static char *start_job(BosbaseNative *self, Job *j) {
    j->owner = self;
    j->id = new_id();
    if (atomic_load(&self->client) == NULL) {
        /* Never opened: the core's own NULL-handle error, as every call of such an instance. */
        char *result = NULL, *error = NULL;
        BosbaseStatus status = bosbase_send(NULL, "/", NULL, &result, &error);
        free(j->collection);
        free(j->path);
        free(j->options);
        free(j);
        return envelope_from_core(status, result, error);
    }
    pthread_mutex_lock(&self->lock);
    self->jobs++;
    pthread_mutex_unlock(&self->lock);
    int64_t id = j->id;
    if (!pool_submit(j)) {
        job_ended(self, false);
        free(j->collection);
        free(j->path);
        free(j->options);
        free(j);
        return envelope_local_error("could not start a thread for the call");
    }
    return started_envelope(id);
}

char *async_send(BosbaseNative *self, const char *collection, const char *path, const char *options_json) {
    Job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        return NULL;
    }
    j->kind = JOB_SEND;
    j->collection = collection != NULL ? cstr_dup(collection) : NULL;
    j->path = cstr_dup(path);
    j->options = options_json != NULL ? cstr_dup(options_json) : NULL;
    if (j->path == NULL || (collection != NULL && j->collection == NULL) ||
        (options_json != NULL && j->options == NULL)) {
        free(j->collection);
        free(j->path);
        free(j->options);
        free(j);
        return NULL;
    }
    return start_job(self, j);
}

char *async_close(BosbaseNative *self) {
    Job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        return NULL;
    }
    j->kind = JOB_CLOSE;
    return start_job(self, j);
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
    self->sends_running = 0;
    self->maybe_running = false;
}

void async_release(BosbaseNative *self) {
    async_cancel_all(self);
    pthread_mutex_lock(&self->lock);
    bool busy = self->maybe_running || self->jobs > 0;
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
    /* Idle threads exit at once. A thread still in a job (a send, or the release of a client
     * whose cancelled calls wait for their deadline) is not waited for beyond SHUTDOWN_WAIT:
     * the engine is exiting, and the library stays mapped (-z nodelete) until the process
     * ends, so the thread may finish or be ended with the process. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += SHUTDOWN_WAIT_MS * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    bool all_joined = true;
    for (int i = 0; i < count; i++) {
        if (pthread_timedjoin_np(pool.threads[i], NULL, &deadline) != 0) {
            pthread_detach(pool.threads[i]);
            all_joined = false;
        }
    }
    pthread_mutex_lock(&pool.lock);
    pool.count = 0;
    pool.stopping = !all_joined; /* a later initialization may start threads again */
    pthread_mutex_unlock(&pool.lock);
    if (all_joined) {
        free(async_take_completed());
    }
}
