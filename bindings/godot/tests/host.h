/* A minimal stand-in for the Godot engine's side of the GDExtension interface: it implements
 * exactly the functions the BosBase extension asks for through get_proc_address (any other name
 * aborts the process), keeps its own String/StringName/Variant/Object storage, and counts every
 * one it creates so a test can prove they were all released. */
#ifndef BOSBASE_GODOT_TEST_HOST_H
#define BOSBASE_GODOT_TEST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gdextension_interface.h"

typedef struct HostObject HostObject;

/* One argument passed to a method: a String (bytes may contain NUL), a PackedByteArray
 * (`str`/`len` are its bytes) or, for type-error tests, an int. */
typedef struct {
    GDExtensionVariantType type;
    const char *str;
    size_t len;
    int64_t integer;
} HostArg;

/* What a method returned: its type and value, or the call error (call_func only). */
typedef struct {
    GDExtensionCallErrorType error;
    int32_t argument;
    int32_t expected;
    GDExtensionVariantType type;
    char *text; /* String result, malloc'd copy (NUL-terminated); NULL otherwise */
    bool boolean;
    int64_t integer;
} HostResult;

typedef struct {
    long strings;   /* host Strings alive (stand-alone and inside Variants) */
    long names;     /* host StringNames alive */
    long variants;  /* non-Nil Variants alive */
    long objects;   /* objects alive */
    long instances; /* extension instances set on objects and not yet freed */
    long bytes;     /* host PackedByteArrays alive (stand-alone and inside Variants) */
} HostCounts;

typedef struct {
    const char *name;
    uint32_t argc;
    GDExtensionVariantType arg_types[8];
    GDExtensionVariantType return_type;
    bool is_static;
} HostMethodInfo;

/* dlopens `path`, calls `entry_symbol`, initializes every level. False with a message on failure. */
bool host_load(const char *path, const char *entry_symbol);
/* Deinitializes every level (the extension unregisters its class). */
void host_unload(void);

/* The registered class, parent class and methods. */
const char *host_class_name(void);
const char *host_parent_class_name(void);
size_t host_method_count(void);
const HostMethodInfo *host_method_at(size_t i);

/* Instantiates the registered class (create_instance_func) / drops the last reference
 * (free_instance_func, then the object's memory). */
HostObject *host_object_new(void);
void host_object_unref(HostObject *object);

/* Calls a method through call_func (Variants) or ptrcall_func (typed pointers).
 * `object` NULL calls a static method with no instance. */
HostResult host_call(HostObject *object, const char *method, int argc, const HostArg *args);
HostResult host_ptrcall(HostObject *object, const char *method, int argc, const HostArg *args);
void host_result_free(HostResult *result);

HostCounts host_counts(void);

/* Interface function names the extension asked for, in order, and whether a name was asked. */
size_t host_requested_count(void);
const char *host_requested_at(size_t i);

/* Every interface function this host implements (the test checks each was asked for). */
extern const char *const host_implemented[];
extern const size_t host_implemented_count;

#endif
