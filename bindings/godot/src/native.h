/* BosbaseNative: a RefCounted class owning one BosbaseClient handle.
 * Methods block; the GDScript addon calls them from WorkerThreadPool tasks. */
#ifndef BOSBASE_GODOT_NATIVE_H
#define BOSBASE_GODOT_NATIVE_H

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
} BosbaseNative;

typedef enum {
    NATIVE_RETURN_STRING,
    NATIVE_RETURN_BOOL,
    NATIVE_RETURN_INT,
} NativeReturn;

#define NATIVE_MAX_ARGS 5

/* One registered method. Every argument is a Godot String. */
typedef struct {
    const char *name;
    bool is_static;
    NativeReturn ret;
    uint32_t argc;
    const char *arg_names[NATIVE_MAX_ARGS];
    union {
        /* malloc'd UTF-8 (freed by the caller with free()); NULL only when out of memory. */
        char *(*string)(BosbaseNative *self, char *const *args);
        bool (*boolean)(BosbaseNative *self, char *const *args);
        int64_t (*integer)(BosbaseNative *self, char *const *args);
    } fn;
} NativeMethod;

extern const NativeMethod native_methods[];
extern const size_t native_method_count;

/* Registers the class and its methods (SCENE level) / unregisters it. */
void native_class_register(void);
void native_class_unregister(void);

#endif
