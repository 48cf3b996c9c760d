/* See live.h. One lock (`live.lock`) guards the event queue, the subscription records' flags
 * and the live thread's job queue. Neither the main thread nor the live thread calls into the
 * core while holding it, and the core's callbacks take it only to queue an event, so the
 * core's unsubscribe (which waits for a running callback) never waits for long. */
#define _GNU_SOURCE /* clock_gettime under -std=c11 */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "async.h"
#include "envelope.h"

typedef enum { LIVE_REALTIME, LIVE_PUBSUB } LiveKind;

typedef struct LiveSub {
    struct LiveSub *next; /* in live.subs */
    int64_t id;
    LiveKind kind;
    int64_t native_id;     /* the owner's state_event_id: which client it belongs to */
    BosbaseNative *owner;  /* for the subscribe job only (counted as one of the owner's jobs) */
    char *collection;      /* realtime: NULL for a plain topic */
    char *topic;           /* realtime: the full topic, e.g. "posts/RECORD_ID"; pub/sub: the topic */
    char *options;         /* NULL for none; freed once subscribed */
    BosbaseSubscription *rt;
    BosbasePubsubSubscription *ps;
    bool stopped;   /* no event of it is queued or taken any more */
    bool freeing;   /* live_free was called: the free job owns it */
    bool failed;    /* the core refused the subscribe */
    int queued;     /* its events in live.head */
    uint64_t local_dropped;
} LiveSub;

typedef struct Event {
    struct Event *next;
    int64_t id;
    LiveSub *sub; /* NULL for a state event */
    char *json;
} Event;

typedef enum { JOB_SUBSCRIBE, JOB_UNSUBSCRIBE, JOB_FREE, JOB_TOPIC } LiveJobKind;

typedef struct LiveJob {
    struct LiveJob *next;
    LiveJobKind kind;
    LiveSub *sub;
    /* JOB_TOPIC: */
    BosbaseNative *owner;
    char *topic;
    bool prefix, pubsub;
} LiveJob;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    Event *head, *tail;
    LiveSub *subs;
    int64_t count;
    LiveJob *jobs, *jobs_tail;
    pthread_t thread;
    /* exited: the thread has left live_main (announced on `exits`), so joining it cannot
     * block. A bounded join without glibc's pthread_timedjoin_np (absent on Windows). */
    pthread_cond_t exits;
    bool started, stopping, exited;
} live = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .exits = PTHREAD_COND_INITIALIZER};

static atomic_int_fast64_t next_live_id = 1;

int64_t live_new_id(void) {
    return (int64_t)atomic_fetch_add(&next_live_id, 1);
}

/* ---- the event queue (caller holds live.lock) ---- */

static void event_unlink(Event **at, Event *prev) {
    Event *e = *at;
    *at = e->next;
    if (live.tail == e) {
        live.tail = prev;
    }
    if (e->sub != NULL) {
        e->sub->queued--;
    }
    free(e->json);
    free(e);
}

/* A "subscribed" or "error" notice (the core's JSON has sorted keys, so "type" comes last):
 * never dropped, as in the core's own queue. */
static bool is_notice(const char *json) {
    static const char *const ends[] = {"\"type\":\"subscribed\"}", "\"type\":\"error\"}"};
    size_t n = strlen(json);
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        size_t m = strlen(ends[i]);
        if (n >= m && strcmp(json + n - m, ends[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Queues a copy of `json` under `id`; for a subscription at its limit, its oldest queued
 * event (notices excepted) is dropped first and counted. */
static void push_locked(int64_t id, LiveSub *sub, const char *json) {
    Event *e = malloc(sizeof *e);
    char *copy = cstr_dup(json);
    if (e == NULL || copy == NULL) {
        free(e);
        free(copy);
        if (sub != NULL) {
            sub->local_dropped++; /* out of memory: lost, and counted as such */
        }
        return;
    }
    if (sub != NULL && sub->queued >= LIVE_QUEUE_LIMIT) {
        Event *prev = NULL;
        for (Event **at = &live.head; *at != NULL; prev = *at, at = &(*at)->next) {
            if ((*at)->sub == sub && !is_notice((*at)->json)) {
                event_unlink(at, prev);
                sub->local_dropped++;
                break;
            }
        }
    }
    *e = (Event){.next = NULL, .id = id, .sub = sub, .json = copy};
    if (live.tail != NULL) {
        live.tail->next = e;
    } else {
        live.head = e;
    }
    live.tail = e;
    if (sub != NULL) {
        sub->queued++;
    }
}

/* Drops the queued events of `sub`, or (sub NULL) the state events queued under `id`. */
static void purge_locked(LiveSub *sub, int64_t id) {
    Event *prev = NULL;
    for (Event **at = &live.head; *at != NULL;) {
        Event *e = *at;
        if (sub != NULL ? e->sub == sub : (e->sub == NULL && e->id == id)) {
            event_unlink(at, prev);
        } else {
            prev = e;
            at = &e->next;
        }
    }
}

static LiveSub *find_locked(int64_t id) {
    for (LiveSub *s = live.subs; s != NULL; s = s->next) {
        if (s->id == id) {
            return s;
        }
    }
    return NULL;
}

char *live_take_events(void) {
    pthread_mutex_lock(&live.lock);
    Event *list = live.head;
    live.head = live.tail = NULL;
    for (Event *e = list; e != NULL; e = e->next) {
        if (e->sub != NULL) {
            e->sub->queued--;
        }
    }
    pthread_mutex_unlock(&live.lock);

    size_t len = 1;
    for (Event *e = list; e != NULL; e = e->next) {
        len += 21 + 1 + strlen(e->json) + 1;
    }
    char *out = malloc(len);
    size_t at = 0;
    if (out != NULL) {
        out[0] = '\0';
    }
    while (list != NULL) {
        Event *e = list;
        list = e->next;
        if (out != NULL) {
            at += (size_t)snprintf(out + at, len - at, "%lld %s\n", (long long)e->id, e->json);
        }
        free(e->json);
        free(e);
    }
    return out;
}

/* ---- the core's callbacks (its dispatch threads) ---- */

static void on_event(void *user_data, const char *event_json) {
    LiveSub *s = user_data;
    pthread_mutex_lock(&live.lock);
    if (!s->stopped) {
        push_locked(s->id, s, event_json);
    }
    pthread_mutex_unlock(&live.lock);
}

void live_on_state(void *user_data, const char *state_json) {
    BosbaseNative *self = user_data;
    pthread_mutex_lock(&live.lock);
    push_locked(self->state_event_id, NULL, state_json);
    pthread_mutex_unlock(&live.lock);
}

/* ---- the live thread ---- */

static void free_sub(LiveSub *s) {
    free(s->collection);
    free(s->topic);
    free(s->options);
    free(s);
}

static void run_subscribe(LiveSub *s) {
    BosbaseClient *client = atomic_load(&s->owner->client);
    char *error = NULL;
    BosbaseStatus status;
    pthread_mutex_lock(&live.lock);
    bool stopped = s->stopped;
    pthread_mutex_unlock(&live.lock);
    if (stopped) {
        /* Unsubscribed or dropped before it started: nothing to ask the core for. */
        pthread_mutex_lock(&live.lock);
        status = BOSBASE_STATUS_OK;
    } else if (s->kind == LIVE_PUBSUB) {
        BosbasePubsubSubscription *h = NULL;
        status = bosbase_pubsub_subscribe(client, s->topic, on_event, s, &h, &error);
        pthread_mutex_lock(&live.lock);
        s->ps = h;
    } else {
        BosbaseSubscription *h = NULL;
        const char *topic = s->collection != NULL ? s->topic + strlen(s->collection) + 1 : s->topic;
        status = s->collection != NULL
                     ? bosbase_collection_subscribe(client, s->collection, topic, s->options, on_event, s, &h, &error)
                     : bosbase_realtime_subscribe(client, s->topic, s->options, on_event, s, &h, &error);
        pthread_mutex_lock(&live.lock);
        s->rt = h;
    }
    if (status != BOSBASE_STATUS_OK) {
        s->failed = true;
        char *event = NULL;
        if (error != NULL && asprintf(&event, "{\"error\":%s,\"type\":\"error\"}", error) >= 0) {
            if (!s->stopped) {
                push_locked(s->id, s, event);
            }
            free(event);
        }
    }
    free(s->options);
    s->options = NULL;
    BosbaseNative *owner = s->owner;
    s->owner = NULL;
    pthread_mutex_unlock(&live.lock);
    bosbase_string_free(error);
    async_job_end(owner); /* the last touch of the owner */
}

static void run_job(LiveJob *j) {
    LiveSub *s = j->sub;
    switch (j->kind) {
    case JOB_SUBSCRIBE:
        run_subscribe(s);
        break;
    case JOB_UNSUBSCRIBE:
        /* After this the callback never runs again; the handle stays for dropped/is_active. */
        if (s->rt != NULL) {
            bosbase_subscription_unsubscribe(s->rt);
        }
        if (s->ps != NULL) {
            bosbase_pubsub_subscription_unsubscribe(s->ps);
        }
        break;
    case JOB_FREE:
        bosbase_subscription_free(s->rt);
        bosbase_pubsub_subscription_free(s->ps);
        pthread_mutex_lock(&live.lock);
        purge_locked(s, 0);
        for (LiveSub **at = &live.subs; *at != NULL; at = &(*at)->next) {
            if (*at == s) {
                *at = s->next;
                break;
            }
        }
        live.count--;
        pthread_mutex_unlock(&live.lock);
        free_sub(s);
        break;
    case JOB_TOPIC: {
        BosbaseClient *client = atomic_load(&j->owner->client);
        char *error = NULL;
        if (j->pubsub) {
            bosbase_pubsub_unsubscribe_topic(client, j->topic, &error);
        } else if (j->prefix) {
            bosbase_realtime_unsubscribe_by_prefix(client, j->topic, &error);
        } else {
            bosbase_realtime_unsubscribe(client, j->topic, &error);
        }
        bosbase_string_free(error); /* only NULL/closed clients fail; nothing to report */
        async_job_end(j->owner);
        free(j->topic);
        break;
    }
    }
    free(j);
}

static void *live_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&live.lock);
    for (;;) {
        LiveJob *j = live.jobs;
        if (j != NULL) {
            live.jobs = j->next;
            if (live.jobs == NULL) {
                live.jobs_tail = NULL;
            }
            pthread_mutex_unlock(&live.lock);
            run_job(j);
            pthread_mutex_lock(&live.lock);
            continue;
        }
        if (live.stopping) {
            break;
        }
        pthread_cond_wait(&live.work, &live.lock);
    }
    live.exited = true;
    pthread_cond_broadcast(&live.exits);
    pthread_mutex_unlock(&live.lock);
    return NULL;
}

/* Queues `j` for the live thread (started on first use). False when no thread runs it. */
static bool submit(LiveJob *j) {
    pthread_mutex_lock(&live.lock);
    if (!live.started && !live.stopping && pthread_create(&live.thread, NULL, live_main, NULL) == 0) {
        live.started = true;
        live.exited = false;
    }
    bool ok = live.started && !live.stopping;
    if (ok) {
        j->next = NULL;
        if (live.jobs_tail != NULL) {
            live.jobs_tail->next = j;
        } else {
            live.jobs = j;
        }
        live.jobs_tail = j;
        pthread_cond_signal(&live.work);
    }
    pthread_mutex_unlock(&live.lock);
    return ok;
}

/* Queues a job for `s`; without a thread it runs here (it may then wait briefly). */
static void submit_or_run(LiveJobKind kind, LiveSub *s) {
    LiveJob *j = calloc(1, sizeof *j);
    if (j == NULL) {
        return; /* out of memory: the record stays (counted by live_count) */
    }
    j->kind = kind;
    j->sub = s;
    if (!submit(j)) {
        run_job(j);
    }
}

/* ---- the main thread's requests ---- */

static char *subscribe(BosbaseNative *self, LiveKind kind, const char *collection, const char *topic,
                       const char *options_json) {
    LiveSub *s = calloc(1, sizeof *s);
    LiveJob *j = calloc(1, sizeof *j);
    if (s == NULL || j == NULL) {
        free(s);
        free(j);
        return NULL;
    }
    s->id = live_new_id();
    s->kind = kind;
    s->native_id = self->state_event_id;
    s->owner = self;
    s->collection = cstr_dup(collection);
    s->options = cstr_dup(options_json);
    if (collection != NULL) {
        if (asprintf(&s->topic, "%s/%s", collection, topic) < 0) {
            s->topic = NULL;
        }
    } else {
        s->topic = cstr_dup(topic);
    }
    if (s->topic == NULL || (collection != NULL && s->collection == NULL) ||
        (options_json != NULL && s->options == NULL)) {
        free_sub(s);
        free(j);
        return NULL;
    }
    self->live_used = true; /* its release closes the client off the main thread */
    async_job_begin(self);  /* the client outlives the subscribe job */
    pthread_mutex_lock(&live.lock);
    s->next = live.subs;
    live.subs = s;
    live.count++;
    pthread_mutex_unlock(&live.lock);
    j->kind = JOB_SUBSCRIBE;
    j->sub = s;
    if (!submit(j)) {
        /* No thread: subscribing here could wait, so it fails instead (nothing started). */
        pthread_mutex_lock(&live.lock);
        for (LiveSub **at = &live.subs; *at != NULL; at = &(*at)->next) {
            if (*at == s) {
                *at = s->next;
                break;
            }
        }
        live.count--;
        pthread_mutex_unlock(&live.lock);
        async_job_end(self);
        free_sub(s);
        free(j);
        return envelope_local_error("could not start a thread for subscriptions");
    }
    char result[32];
    snprintf(result, sizeof result, "%lld", (long long)s->id);
    return envelope_new(BOSBASE_STATUS_OK, result, NULL);
}

char *live_realtime_subscribe(BosbaseNative *self, const char *collection, const char *topic,
                              const char *options_json) {
    return subscribe(self, LIVE_REALTIME, collection, topic, options_json);
}

char *live_pubsub_subscribe(BosbaseNative *self, const char *topic) {
    return subscribe(self, LIVE_PUBSUB, NULL, topic, NULL);
}

bool live_unsubscribe(int64_t id) {
    pthread_mutex_lock(&live.lock);
    LiveSub *s = find_locked(id);
    bool stop = s != NULL && !s->stopped;
    if (stop) {
        s->stopped = true;
        purge_locked(s, 0);
    }
    pthread_mutex_unlock(&live.lock);
    if (stop) {
        submit_or_run(JOB_UNSUBSCRIBE, s);
    }
    return stop;
}

void live_free(int64_t id) {
    pthread_mutex_lock(&live.lock);
    LiveSub *s = find_locked(id);
    bool free_it = s != NULL && !s->freeing;
    if (free_it) {
        s->stopped = true;
        s->freeing = true;
        purge_locked(s, 0);
    }
    pthread_mutex_unlock(&live.lock);
    if (free_it) {
        submit_or_run(JOB_FREE, s);
    }
}

bool live_is_stopped(int64_t id) {
    pthread_mutex_lock(&live.lock);
    LiveSub *s = find_locked(id);
    bool stopped = s == NULL || s->stopped;
    pthread_mutex_unlock(&live.lock);
    return stopped;
}

/* The handles are only freed by the free job, which only live_free (main thread) queues, so
 * they stay valid for a main-thread caller after the lock is released. */
bool live_is_active(int64_t id) {
    pthread_mutex_lock(&live.lock);
    LiveSub *s = find_locked(id);
    bool active = s != NULL && !s->stopped && !s->failed;
    BosbaseSubscription *rt = active ? s->rt : NULL;
    pthread_mutex_unlock(&live.lock);
    return rt != NULL ? bosbase_subscription_is_active(rt) : active;
}

int64_t live_dropped(int64_t id) {
    pthread_mutex_lock(&live.lock);
    LiveSub *s = find_locked(id);
    uint64_t local = s != NULL ? s->local_dropped : 0;
    BosbaseSubscription *rt = s != NULL && !s->freeing ? s->rt : NULL;
    BosbasePubsubSubscription *ps = s != NULL && !s->freeing ? s->ps : NULL;
    pthread_mutex_unlock(&live.lock);
    return (int64_t)(local + bosbase_subscription_dropped(rt) + bosbase_pubsub_subscription_dropped(ps));
}

char *live_unsubscribe_topic(BosbaseNative *self, const char *topic, bool prefix, bool pubsub) {
    LiveJob *j = calloc(1, sizeof *j);
    char *copy = cstr_dup(topic);
    if (j == NULL || copy == NULL) {
        free(j);
        free(copy);
        return NULL;
    }
    size_t n = strlen(topic);
    pthread_mutex_lock(&live.lock);
    for (LiveSub *s = live.subs; s != NULL; s = s->next) {
        bool kind_ok = pubsub ? s->kind == LIVE_PUBSUB : s->kind == LIVE_REALTIME;
        bool match = prefix ? strncmp(s->topic, topic, n) == 0 : strcmp(s->topic, topic) == 0;
        if (s->native_id == self->state_event_id && kind_ok && match && !s->stopped) {
            s->stopped = true;
            purge_locked(s, 0);
        }
    }
    pthread_mutex_unlock(&live.lock);
    j->kind = JOB_TOPIC;
    j->owner = self;
    j->topic = copy;
    j->prefix = prefix;
    j->pubsub = pubsub;
    async_job_begin(self);
    if (!submit(j)) {
        run_job(j);
    }
    return envelope_new(BOSBASE_STATUS_OK, "true", NULL);
}

int64_t live_count(void) {
    pthread_mutex_lock(&live.lock);
    int64_t n = live.count;
    pthread_mutex_unlock(&live.lock);
    return n;
}

void live_forget_native(BosbaseNative *self) {
    pthread_mutex_lock(&live.lock);
    purge_locked(NULL, self->state_event_id);
    pthread_mutex_unlock(&live.lock);
}

#define SHUTDOWN_WAIT_MS 200L

void live_shutdown(void) {
    pthread_mutex_lock(&live.lock);
    live.stopping = true;
    pthread_cond_broadcast(&live.work);
    bool started = live.started;
    pthread_mutex_unlock(&live.lock);
    bool joined = true;
    if (started) {
        /* The thread finishes the queued jobs (frees of subscriptions the engine dropped at
         * exit), but the engine never waits for long: past the bound it is left to end with
         * the process (the library stays mapped, -z nodelete). */
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += SHUTDOWN_WAIT_MS * 1000000L;
        deadline.tv_sec += deadline.tv_nsec / 1000000000L;
        deadline.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&live.lock);
        while (!live.exited && pthread_cond_timedwait(&live.exits, &live.lock, &deadline) == 0) {
        }
        joined = live.exited;
        pthread_mutex_unlock(&live.lock);
        if (joined) {
            pthread_join(live.thread, NULL); /* it has returned: no wait */
        } else {
            pthread_detach(live.thread);
        }
    }
    pthread_mutex_lock(&live.lock);
    live.started = false;
    live.stopping = !joined; /* a later initialization may start the thread again */
    pthread_mutex_unlock(&live.lock);
    if (!joined) {
        return;
    }
    /* Subscriptions the game never dropped: stopped and freed, so no callback runs after
     * the extension is gone. */
    for (;;) {
        pthread_mutex_lock(&live.lock);
        LiveSub *s = live.subs;
        if (s != NULL) {
            live.subs = s->next;
            live.count--;
            s->stopped = true;
            purge_locked(s, 0);
        }
        pthread_mutex_unlock(&live.lock);
        if (s == NULL) {
            break;
        }
        bosbase_subscription_free(s->rt);
        bosbase_pubsub_subscription_free(s->ps);
        free_sub(s);
    }
    free(live_take_events());
}
