/* Realtime (SSE) and pub/sub (WebSocket) subscriptions, delivered on the main thread.
 *
 * The core calls a subscription's callback on its client's dispatch thread; the callback
 * copies the event JSON into one process-wide event queue (bounded per subscription, see
 * LIVE_QUEUE_LIMIT) and touches nothing of the engine. The main thread takes the queue once a
 * frame (live_take_events) and emits the GDScript signals there.
 *
 * Subscribing, unsubscribing and freeing a handle may wait inside the core (the first
 * subscribe after the last unsubscribe joins the stopped stream's threads), so they run, in
 * the order they were asked for, on one thread of this library (the "live" thread); the main
 * thread only records the request. A subscription stops delivering on the main thread at
 * once: live_unsubscribe / live_free mark it stopped and drop its queued events before they
 * return, and its callback drops anything later. */
#ifndef BOSBASE_GODOT_LIVE_H
#define BOSBASE_GODOT_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "native.h"

/* Events one subscription may have waiting in this library's queue before the oldest is
 * dropped (and counted): the core's own per-subscription limit, applied again here. */
#define LIVE_QUEUE_LIMIT 1024

/* Starts a realtime subscription: `topic` under `collection` ("*" or a record id;
 * bosbase_collection_subscribe), or the topic itself when `collection` is NULL
 * (bosbase_realtime_subscribe); `options_json` NULL for none. Returns an envelope whose
 * result is the subscription's id; a core failure arrives later as its "error" event.
 * malloc'd; NULL only when out of memory. Main thread. */
char *live_realtime_subscribe(BosbaseNative *self, const char *collection, const char *topic,
                              const char *options_json);

/* The same for a pub/sub topic (bosbase_pubsub_subscribe). */
char *live_pubsub_subscribe(BosbaseNative *self, const char *topic);

/* Stops subscription `id`: no event of it is taken after this returns; the core's
 * unsubscribe runs on the live thread. False when unknown or stopped already. Main thread. */
bool live_unsubscribe(int64_t id);

/* Stops subscription `id` and frees it (the core's handle on the live thread). Main thread;
 * unknown ids are ignored. */
void live_free(int64_t id);

/* True when `id` was stopped here (live_unsubscribe, a topic unsubscribe), or is unknown. */
bool live_is_stopped(int64_t id);

/* True while the core reports the subscription active and it was not stopped here. */
bool live_is_active(int64_t id);

/* Events of `id` dropped so far: by the core's queue plus by this library's queue. */
int64_t live_dropped(int64_t id);

/* Stops every realtime subscription of `self` to `topic` (exactly, or every topic starting
 * with it when `prefix`), or every pub/sub subscription of `self` to `topic` when `pubsub`:
 * stopped here at once, then the core's bosbase_realtime_unsubscribe(_by_prefix) /
 * bosbase_pubsub_unsubscribe_topic on the live thread. Returns an envelope `true`. */
char *live_unsubscribe_topic(BosbaseNative *self, const char *topic, bool prefix, bool pubsub);

/* The client's connection-state listener (bosbase_realtime_on_state, user_data `self`):
 * queues the state under self->state_event_id. */
void live_on_state(void *user_data, const char *state_json);

/* A new id for a subscription or a client's state events. */
int64_t live_new_id(void);

/* Every queued event, oldest first, one per line: "<id> <event JSON>\n". "" when none.
 * malloc'd. Main thread. */
char *live_take_events(void);

/* Subscription records alive (taken, or still to be freed on the live thread). */
int64_t live_count(void);

/* Drops the queued state events of `self` (freed). */
void live_forget_native(BosbaseNative *self);

/* At extension deinitialization: lets the live thread finish its queue (at most 200 ms),
 * then frees what is left once no thread can use it. */
void live_shutdown(void);

#endif
