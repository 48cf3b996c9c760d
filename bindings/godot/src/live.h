/* Realtime (SSE) and pub/sub (WebSocket) subscriptions, read on the main thread.
 *
 * Every subscription uses the core's pull mode without a ready callback: the core keeps the
 * only queue (its bound, drop-oldest policy and drop count), and the main thread reads it
 * once a frame (live_take_events, driven by the addon's frame hook), getting each entry's
 * kind as a value. No thread of this library and no callback of the core is involved, and
 * subscribe, unsubscribe and free return at once (the core never waits in pull mode).
 *
 * This file only keeps the table from the ids GDScript holds to the core's handles, and
 * which of them were stopped here (so an entry read in the same frame before a stop is not
 * delivered after it). */
#ifndef BOSBASE_GODOT_LIVE_H
#define BOSBASE_GODOT_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "native.h"

/* Starts a realtime subscription: `topic` under `collection` ("*" or a record id;
 * bosbase_collection_subscribe), or the topic itself when `collection` is NULL
 * (bosbase_realtime_subscribe); `options_json` NULL for none. Returns an envelope whose
 * result is the subscription's id, or the core's error (nothing started). malloc'd; NULL
 * only when out of memory. */
char *live_realtime_subscribe(BosbaseNative *self, const char *collection, const char *topic,
                              const char *options_json);

/* The same for a pub/sub topic (bosbase_pubsub_subscribe). */
char *live_pubsub_subscribe(BosbaseNative *self, const char *topic);

/* Stops subscription `id`: no entry of it is taken after this returns. False when unknown
 * or stopped already. */
bool live_unsubscribe(int64_t id);

/* Stops subscription `id` and frees its handle; unknown ids are ignored. */
void live_free(int64_t id);

/* True when `id` was stopped here (live_unsubscribe, a topic unsubscribe), or is unknown. */
bool live_is_stopped(int64_t id);

/* True while the core reports the subscription active and it was not stopped here. */
bool live_is_active(int64_t id);

/* Events of `id` the core dropped so far (its queue was full). */
int64_t live_dropped(int64_t id);

/* Stops every realtime subscription of `self` to `topic` (exactly, or every topic starting
 * with it when `prefix`), or every pub/sub subscription of `self` to `topic` when `pubsub`
 * (bosbase_realtime_unsubscribe(_by_prefix) / bosbase_pubsub_unsubscribe_topic). Returns an
 * envelope `true`, or the core's error. */
char *live_unsubscribe_topic(BosbaseNative *self, const char *topic, bool prefix, bool pubsub);

/* A new id for a subscription or a client's state entries. */
int64_t live_new_id(void);

/* Every entry queued in the core for the live subscriptions, each subscription's oldest
 * first, one per line: "<id> <kind> <JSON>\n" (kind: a BosbaseEventKind value; JSON text
 * never holds a raw newline). A realtime STATE entry also comes once under its client's
 * state id (read from the client's oldest live realtime subscription, which has seen every
 * state the others have). "" when none. malloc'd. */
char *live_take_events(void);

/* Subscription records alive (not yet freed). */
int64_t live_count(void);

/* At extension deinitialization: frees the subscriptions the game never dropped. */
void live_shutdown(void);

#endif
