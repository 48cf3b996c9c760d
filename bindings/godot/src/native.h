/* BosbaseNative: a RefCounted class owning one BosbaseClient handle.
 * No method waits for the network or for a thread: calls start on the core's worker pool
 * (async.c) and their outcomes are taken on the main thread; subscriptions are read once a
 * frame (live.c); the auth-store methods are local reads. */
#ifndef BOSBASE_GODOT_NATIVE_H
#define BOSBASE_GODOT_NATIVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bosbase.h"

typedef struct {
    /* Set once by open(); read by every call, possibly from several worker threads. */
    _Atomic(BosbaseClient *) client;
    /* Bumped by the core's auth-store change callback (on whichever thread changed the
     * store); GDScript compares it after each call to emit its `changed` signal. */
    atomic_int_fast64_t auth_changes;

    /* async.c's state, under `lock` (recursive: a cancel runs the completion callback on
     * the cancelling thread, which takes it again). */
    pthread_mutex_t lock;
    struct AsyncCall *calls; /* started with bosbase_call_async/bosbase_send_async, not released */
    /* The engine's instance plus each bosbase_client_release of a client of it still
     * running (whose call callbacks may still use `lock` and `calls`): freed at 0. */
    atomic_int holds;
    /* close() released the opened client; `client` is then a closed stand-in (async.c).
     * Main thread only. */
    bool closed;
    /* File parts added by files_add_bytes/files_add_path for the next call_async, which
     * takes them (main thread only, like every method that starts a call). */
    BosbaseFiles *staged_files;
    /* files_report_progress was called for those parts: the call reports upload progress. */
    bool staged_progress;

    /* live.c: the id this client's connection-state entries come under (also what
     * identifies the client's subscriptions there); set at creation. */
    int64_t state_event_id;
} BosbaseNative;

typedef enum {
    NATIVE_RETURN_STRING,
    NATIVE_RETURN_BOOL,
    NATIVE_RETURN_INT,
} NativeReturn;

#define NATIVE_MAX_ARGS 5

/* One registered method. Every argument is a Godot String, except the one at `bytes_arg - 1`
 * (when `bytes_arg` is not 0), a PackedByteArray passed as (data, len); its `args` entry is
 * NULL. */
typedef struct {
    const char *name;
    bool is_static;
    NativeReturn ret;
    uint32_t argc;
    const char *arg_names[NATIVE_MAX_ARGS];
    uint32_t bytes_arg;
    union {
        /* malloc'd UTF-8 (freed by the caller with free()); NULL only when out of memory. */
        char *(*string)(BosbaseNative *self, char *const *args);
        /* The same for a method with a PackedByteArray argument; `data` is NULL when len is 0. */
        char *(*string_bytes)(BosbaseNative *self, char *const *args, const uint8_t *data, size_t len);
        bool (*boolean)(BosbaseNative *self, char *const *args);
        int64_t (*integer)(BosbaseNative *self, char *const *args);
    } fn;
} NativeMethod;

extern const NativeMethod native_methods[];
extern const size_t native_method_count;

/* Registers the class and its methods (SCENE level) / unregisters it. */
void native_class_register(void);
void native_class_unregister(void);

/* At extension deinitialization: frees forked clients no instance adopted (open_fork). */
void native_forks_shutdown(void);

#endif
