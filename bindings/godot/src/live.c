/* See live.h. `lock` guards the table only (GDScript may call from any thread). The core's
 * pull-mode functions called under it never wait, so holding it across them is harmless. */
#define _GNU_SOURCE /* asprintf */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

typedef struct LiveSub {
    struct LiveSub *next;
    int64_t id;
    bool pubsub;
    int64_t native_id; /* the owner's state_event_id: which client it belongs to */
    char *topic;       /* realtime: the full topic, e.g. "posts/RECORD_ID"; pub/sub: the topic */
    BosbaseSubscription *handle;
    bool stopped; /* no entry of it is taken any more */
} LiveSub;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static LiveSub *subs;
static int64_t count;
static atomic_int_fast64_t next_live_id = 1;

int64_t live_new_id(void) {
    return (int64_t)atomic_fetch_add(&next_live_id, 1);
}

static LiveSub *find_locked(int64_t id) {
    for (LiveSub *s = subs; s != NULL; s = s->next) {
        if (s->id == id) {
            return s;
        }
    }
    return NULL;
}

static char *subscribe(BosbaseNative *self, bool pubsub, const char *collection, const char *topic,
                       const char *options_json) {
    LiveSub *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    if (collection != NULL) {
        if (asprintf(&s->topic, "%s/%s", collection, topic) < 0) {
            s->topic = NULL;
        }
    } else {
        s->topic = cstr_dup(topic);
    }
    if (s->topic == NULL) {
        free(s);
        return NULL;
    }
    BosbaseClient *client = atomic_load(&self->client);
    char *error = NULL;
    /* Pull mode (no callback) without a ready callback: the frame hook reads the queue. */
    BosbaseStatus status =
        pubsub ? bosbase_pubsub_subscribe(client, topic, NULL, NULL, NULL, NULL, &s->handle, &error)
        : collection != NULL
            ? bosbase_collection_subscribe(client, collection, topic, options_json, NULL, NULL, NULL, &s->handle,
                                           &error)
            : bosbase_realtime_subscribe(client, topic, options_json, NULL, NULL, NULL, &s->handle, &error);
    if (status != BOSBASE_STATUS_OK) {
        free(s->topic);
        free(s);
        return envelope_from_core(status, NULL, error);
    }
    s->id = live_new_id();
    s->pubsub = pubsub;
    s->native_id = self->state_event_id;
    pthread_mutex_lock(&lock);
    s->next = subs;
    subs = s;
    count++;
    pthread_mutex_unlock(&lock);
    char result[32];
    snprintf(result, sizeof result, "%lld", (long long)s->id);
    return envelope_new(BOSBASE_STATUS_OK, result, NULL);
}

char *live_realtime_subscribe(BosbaseNative *self, const char *collection, const char *topic,
                              const char *options_json) {
    return subscribe(self, false, collection, topic, options_json);
}

char *live_pubsub_subscribe(BosbaseNative *self, const char *topic) {
    return subscribe(self, true, NULL, topic, NULL);
}

bool live_unsubscribe(int64_t id) {
    pthread_mutex_lock(&lock);
    LiveSub *s = find_locked(id);
    bool stop = s != NULL && !s->stopped;
    if (stop) {
        s->stopped = true;
        bosbase_subscription_unsubscribe(s->handle); /* pull mode: returns at once */
    }
    pthread_mutex_unlock(&lock);
    return stop;
}

void live_free(int64_t id) {
    pthread_mutex_lock(&lock);
    LiveSub *s = NULL;
    for (LiveSub **at = &subs; *at != NULL; at = &(*at)->next) {
        if ((*at)->id == id) {
            s = *at;
            *at = s->next;
            count--;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    if (s != NULL) {
        bosbase_subscription_free(s->handle); /* unsubscribes; pull mode: returns at once */
        free(s->topic);
        free(s);
    }
}

bool live_is_stopped(int64_t id) {
    pthread_mutex_lock(&lock);
    LiveSub *s = find_locked(id);
    bool stopped = s == NULL || s->stopped;
    pthread_mutex_unlock(&lock);
    return stopped;
}

bool live_is_active(int64_t id) {
    pthread_mutex_lock(&lock);
    LiveSub *s = find_locked(id);
    bool active = s != NULL && !s->stopped && bosbase_subscription_is_active(s->handle);
    pthread_mutex_unlock(&lock);
    return active;
}

int64_t live_dropped(int64_t id) {
    pthread_mutex_lock(&lock);
    LiveSub *s = find_locked(id);
    uint64_t dropped = s != NULL ? bosbase_subscription_dropped(s->handle) : 0;
    pthread_mutex_unlock(&lock);
    return (int64_t)dropped;
}

char *live_unsubscribe_topic(BosbaseNative *self, const char *topic, bool prefix, bool pubsub) {
    BosbaseClient *client = atomic_load(&self->client);
    char *error = NULL;
    /* Pull-mode subscriptions only: the core waits for no callback. */
    BosbaseStatus status = pubsub   ? bosbase_pubsub_unsubscribe_topic(client, topic, &error)
                           : prefix ? bosbase_realtime_unsubscribe_by_prefix(client, topic, &error)
                                    : bosbase_realtime_unsubscribe(client, topic, &error);
    size_t n = strlen(topic);
    pthread_mutex_lock(&lock);
    for (LiveSub *s = subs; s != NULL; s = s->next) {
        bool match = prefix ? strncmp(s->topic, topic, n) == 0 : strcmp(s->topic, topic) == 0;
        if (s->native_id == self->state_event_id && s->pubsub == pubsub && match) {
            s->stopped = true;
        }
    }
    pthread_mutex_unlock(&lock);
    if (status != BOSBASE_STATUS_OK && client != NULL) {
        return envelope_from_core(status, NULL, error);
    }
    bosbase_string_free(error); /* a client never opened has nothing to stop */
    return envelope_new(BOSBASE_STATUS_OK, "true", NULL);
}

/* ---- the frame's read ---- */

typedef struct {
    char *text;
    size_t len, cap;
    bool failed;
} Buffer;

static void append_line(Buffer *b, int64_t id, BosbaseEventKind kind, const char *json) {
    char head[48];
    int head_len = snprintf(head, sizeof head, "%lld %u ", (long long)id, (unsigned)kind);
    size_t need = b->len + (size_t)head_len + strlen(json) + 2;
    if (b->failed) {
        return;
    }
    if (need > b->cap) {
        size_t cap = b->cap * 2 > need ? b->cap * 2 : need;
        char *grown = realloc(b->text, cap);
        if (grown == NULL) {
            b->failed = true; /* out of memory: this frame delivers what fitted */
            return;
        }
        b->text = grown;
        b->cap = cap;
    }
    b->len += (size_t)snprintf(b->text + b->len, b->cap - b->len, "%s%s\n", head, json);
}

/* The client's oldest live realtime subscription: the one whose STATE entries speak for it. */
static bool speaks_for_client(const LiveSub *s) {
    for (const LiveSub *o = subs; o != NULL; o = o->next) {
        if (!o->pubsub && !o->stopped && o->native_id == s->native_id && o->id < s->id) {
            return false;
        }
    }
    return true;
}

char *live_take_events(void) {
    Buffer b = {.text = malloc(1), .len = 0, .cap = 1, .failed = false};
    if (b.text == NULL) {
        return NULL;
    }
    b.text[0] = '\0';
    pthread_mutex_lock(&lock);
    for (LiveSub *s = subs; s != NULL; s = s->next) {
        /* One queue's worth per subscription and frame, so a producer faster than this
         * loop cannot keep the frame from ending. */
        for (int i = 0; i < BOSBASE_QUEUE_MAX_EVENTS && !s->stopped; i++) {
            BosbaseEventKind kind = BOSBASE_EVENT_NONE;
            uint64_t sequence = 0;
            char *json = NULL;
            if (bosbase_subscription_next(s->handle, &kind, &sequence, &json, NULL) != BOSBASE_STATUS_OK ||
                kind == BOSBASE_EVENT_NONE) {
                bosbase_string_free(json);
                break;
            }
            append_line(&b, s->id, kind, json);
            if (kind == BOSBASE_EVENT_STATE && !s->pubsub && speaks_for_client(s)) {
                append_line(&b, s->native_id, kind, json);
            }
            bosbase_string_free(json);
        }
    }
    pthread_mutex_unlock(&lock);
    return b.text;
}

int64_t live_count(void) {
    pthread_mutex_lock(&lock);
    int64_t n = count;
    pthread_mutex_unlock(&lock);
    return n;
}

void live_shutdown(void) {
    pthread_mutex_lock(&lock);
    LiveSub *list = subs;
    subs = NULL;
    count = 0;
    pthread_mutex_unlock(&lock);
    while (list != NULL) {
        LiveSub *next = list->next;
        bosbase_subscription_free(list->handle);
        free(list->topic);
        free(list);
        list = next;
    }
}
