/* The engine side of the GDExtension interface, as far as the BosBase extension uses it.
 * Storage layouts are the host's own (the extension treats them as opaque bytes of the sizes
 * in extension_api.json); each kind carries a magic number so a use of uninitialized or
 * released storage stops the test instead of passing silently. */
#define _GNU_SOURCE
#include "host.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "godot_sizes.h"

#define FATAL(...)                                                                                                 \
    do {                                                                                                           \
        fprintf(stderr, "test host: FATAL: " __VA_ARGS__);                                                         \
        fputc('\n', stderr);                                                                                       \
        abort();                                                                                                   \
    } while (0)

static atomic_long live_strings, live_names, live_variants, live_objects, live_instances, live_bytes;

/* ---- String: 8 bytes of storage holding a HostStr pointer ---- */

#define STR_MAGIC 0x53545247u
#define NAME_MAGIC 0x4e414d45u
#define VARIANT_MAGIC 0x56415249u
#define OBJECT_MAGIC 0x4f424a54u

typedef struct {
    uint32_t magic;
    size_t len;
    char data[];
} HostStr;

_Static_assert(sizeof(HostStr *) <= GODOT_STRING_SIZE, "String storage too small");

static HostStr *str_alloc(const char *bytes, size_t len) {
    HostStr *s = malloc(sizeof *s + len + 1);
    if (s == NULL) {
        FATAL("out of memory");
    }
    s->magic = STR_MAGIC;
    s->len = len;
    memcpy(s->data, bytes, len);
    s->data[len] = '\0';
    atomic_fetch_add(&live_strings, 1);
    return s;
}

static void str_release(HostStr *s) {
    s->magic = 0;
    free(s);
    atomic_fetch_sub(&live_strings, 1);
}

static HostStr *str_at(const void *storage) {
    HostStr *s;
    memcpy(&s, storage, sizeof s);
    if (s == NULL || s->magic != STR_MAGIC) {
        FATAL("%p is not an initialized String", storage);
    }
    return s;
}

static void str_store(void *storage, HostStr *s) {
    memcpy(storage, &s, sizeof s);
}

/* ---- PackedByteArray: its storage holds a HostBytes pointer ---- */

#define BYTES_MAGIC 0x42595445u

typedef struct {
    uint32_t magic;
    size_t len;
    uint8_t data[];
} HostBytes;

_Static_assert(sizeof(HostBytes *) <= GODOT_PACKED_BYTE_ARRAY_SIZE, "PackedByteArray storage too small");

static HostBytes *bytes_alloc(const void *data, size_t len) {
    HostBytes *b = malloc(sizeof *b + len + 1);
    if (b == NULL) {
        FATAL("out of memory");
    }
    b->magic = BYTES_MAGIC;
    b->len = len;
    if (len > 0) {
        memcpy(b->data, data, len);
    }
    atomic_fetch_add(&live_bytes, 1);
    return b;
}

static void bytes_release(HostBytes *b) {
    b->magic = 0;
    free(b);
    atomic_fetch_sub(&live_bytes, 1);
}

static HostBytes *bytes_at(const void *storage) {
    HostBytes *b;
    memcpy(&b, storage, sizeof b);
    if (b == NULL || b->magic != BYTES_MAGIC) {
        FATAL("%p is not an initialized PackedByteArray", storage);
    }
    return b;
}

static void bytes_store(void *storage, HostBytes *b) {
    memcpy(storage, &b, sizeof b);
}

/* ---- StringName ---- */

typedef struct {
    uint32_t magic;
    char text[];
} HostName;

static HostName *name_at(const void *storage) {
    HostName *n;
    memcpy(&n, storage, sizeof n);
    if (n == NULL || n->magic != NAME_MAGIC) {
        FATAL("%p is not an initialized StringName", storage);
    }
    return n;
}

static const char *name_text(const void *storage) {
    return name_at(storage)->text;
}

/* ---- Variant ---- */

typedef struct {
    uint32_t magic;
    GDExtensionVariantType type;
    union {
        GDExtensionBool boolean;
        int64_t integer;
        HostStr *string;
        HostBytes *bytes;
    } v;
} HostVariant;

_Static_assert(sizeof(HostVariant) <= GODOT_VARIANT_SIZE, "Variant storage too small");

typedef struct {
    _Alignas(8) unsigned char bytes[GODOT_VARIANT_SIZE];
} VariantSlot;

static HostVariant *variant_at(const void *storage) {
    HostVariant *v = (HostVariant *)storage;
    if (v->magic != VARIANT_MAGIC) {
        FATAL("%p is not an initialized Variant", storage);
    }
    return v;
}

static void variant_init_nil(VariantSlot *slot) {
    HostVariant *v = (HostVariant *)slot;
    memset(slot, 0, sizeof *slot);
    v->magic = VARIANT_MAGIC;
    v->type = GDEXTENSION_VARIANT_TYPE_NIL;
}

static void variant_release(VariantSlot *slot) {
    HostVariant *v = variant_at(slot);
    if (v->type == GDEXTENSION_VARIANT_TYPE_STRING) {
        str_release(v->v.string);
    }
    if (v->type == GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY) {
        bytes_release(v->v.bytes);
    }
    if (v->type != GDEXTENSION_VARIANT_TYPE_NIL) {
        atomic_fetch_sub(&live_variants, 1);
    }
    v->magic = 0;
}

/* ---- Objects and the registered class ---- */

struct HostObject {
    uint32_t magic;
    GDExtensionClassInstancePtr instance;
};

typedef struct {
    HostMethodInfo info;
    char name[64];
    void *userdata;
    GDExtensionClassMethodCall call_func;
    GDExtensionClassMethodPtrCall ptrcall_func;
} HostMethod;

#define MAX_METHODS 64
static struct {
    GDExtensionClassLibraryPtr library;
    bool registered;
    char name[64];
    char parent[64];
    GDExtensionClassCreationInfo3 info;
    HostMethod methods[MAX_METHODS];
    size_t method_count;
    GDExtensionInitialization init;
} host;

/* The library token the host hands to the entry point; the extension must pass it back. */
static int library_token;

static void check_library(GDExtensionClassLibraryPtr library) {
    if (library != (GDExtensionClassLibraryPtr)&library_token) {
        FATAL("wrong library token %p", (void *)library);
    }
}

static void check_class(GDExtensionConstStringNamePtr class_name) {
    if (!host.registered || strcmp(name_text(class_name), host.name) != 0) {
        FATAL("class '%s' is not registered", name_text(class_name));
    }
}

static void copy_text(char *dst, size_t size, const char *src) {
    if (strlen(src) >= size) {
        FATAL("name too long: %s", src);
    }
    strcpy(dst, src);
}

/* ======== The interface functions (names match get_proc_address's) ======== */

static void host_string_name_new_with_latin1_chars(GDExtensionUninitializedStringNamePtr r_dest,
                                                   const char *p_contents, GDExtensionBool p_is_static) {
    if (p_is_static) {
        FATAL("static StringNames are not supported by this host");
    }
    size_t len = strlen(p_contents);
    HostName *n = malloc(sizeof *n + len + 1);
    if (n == NULL) {
        FATAL("out of memory");
    }
    n->magic = NAME_MAGIC;
    memcpy(n->text, p_contents, len + 1);
    memcpy(r_dest, &n, sizeof n);
    atomic_fetch_add(&live_names, 1);
}

static GDExtensionInt host_string_new_with_utf8_chars_and_len2(GDExtensionUninitializedStringPtr r_dest,
                                                               const char *p_contents, GDExtensionInt p_size) {
    if (p_size < 0) {
        FATAL("negative String length");
    }
    str_store(r_dest, str_alloc(p_contents, (size_t)p_size));
    return 0;
}

static GDExtensionInt host_string_to_utf8_chars(GDExtensionConstStringPtr p_self, char *r_text,
                                                GDExtensionInt p_max_write_length) {
    HostStr *s = str_at(p_self);
    if (r_text != NULL) {
        size_t n = (size_t)p_max_write_length < s->len ? (size_t)p_max_write_length : s->len;
        memcpy(r_text, s->data, n);
    }
    return (GDExtensionInt)s->len;
}

static GDExtensionVariantType host_variant_get_type(GDExtensionConstVariantPtr p_self) {
    return variant_at(p_self)->type;
}

static void destroy_string(GDExtensionTypePtr p_base) {
    str_release(str_at(p_base));
    memset(p_base, 0, GODOT_STRING_SIZE);
}

static void destroy_string_name(GDExtensionTypePtr p_base) {
    HostName *n = name_at(p_base);
    n->magic = 0;
    free(n);
    memset(p_base, 0, GODOT_STRING_NAME_SIZE);
    atomic_fetch_sub(&live_names, 1);
}

static void destroy_bytes(GDExtensionTypePtr p_base) {
    bytes_release(bytes_at(p_base));
    memset(p_base, 0, GODOT_PACKED_BYTE_ARRAY_SIZE);
}

static const uint8_t *host_packed_byte_array_operator_index_const(GDExtensionConstTypePtr p_self,
                                                                  GDExtensionInt p_index) {
    HostBytes *b = bytes_at(p_self);
    if (p_index < 0 || (size_t)p_index >= b->len) {
        FATAL("PackedByteArray index %lld out of range (size %zu)", (long long)p_index, b->len);
    }
    return &b->data[p_index];
}

/* PackedByteArray.size(): no arguments, an int return. */
static void bytes_size_method(GDExtensionTypePtr p_base, const GDExtensionConstTypePtr *p_args,
                              GDExtensionTypePtr r_return, int p_argument_count) {
    (void)p_args;
    if (p_argument_count != 0) {
        FATAL("PackedByteArray.size() takes no arguments");
    }
    *(int64_t *)r_return = (int64_t)bytes_at(p_base)->len;
}

static GDExtensionPtrBuiltInMethod host_variant_get_ptr_builtin_method(GDExtensionVariantType p_type,
                                                                      GDExtensionConstStringNamePtr p_method,
                                                                      GDExtensionInt p_hash) {
    if (p_type == GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY && strcmp(name_text(p_method), "size") == 0 &&
        p_hash == GODOT_PACKED_BYTE_ARRAY_SIZE_HASH) {
        return bytes_size_method;
    }
    FATAL("builtin method %s (type %d, hash %lld) not implemented", name_text(p_method), (int)p_type,
          (long long)p_hash);
}

static GDExtensionPtrDestructor host_variant_get_ptr_destructor(GDExtensionVariantType p_type) {
    switch (p_type) {
    case GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY:
        return destroy_bytes;
    case GDEXTENSION_VARIANT_TYPE_STRING:
        return destroy_string;
    case GDEXTENSION_VARIANT_TYPE_STRING_NAME:
        return destroy_string_name;
    default:
        FATAL("destructor for Variant type %d not implemented", (int)p_type);
    }
}

static HostVariant *variant_start(GDExtensionUninitializedVariantPtr dst, GDExtensionVariantType type) {
    HostVariant *v = (HostVariant *)dst;
    v->magic = VARIANT_MAGIC;
    v->type = type;
    atomic_fetch_add(&live_variants, 1);
    return v;
}

static void variant_from_string(GDExtensionUninitializedVariantPtr dst, GDExtensionTypePtr src) {
    HostStr *s = str_at(src);
    variant_start(dst, GDEXTENSION_VARIANT_TYPE_STRING)->v.string = str_alloc(s->data, s->len);
}

static void variant_from_bool(GDExtensionUninitializedVariantPtr dst, GDExtensionTypePtr src) {
    variant_start(dst, GDEXTENSION_VARIANT_TYPE_BOOL)->v.boolean = *(const GDExtensionBool *)src;
}

static void variant_from_int(GDExtensionUninitializedVariantPtr dst, GDExtensionTypePtr src) {
    variant_start(dst, GDEXTENSION_VARIANT_TYPE_INT)->v.integer = *(const int64_t *)src;
}

static GDExtensionVariantFromTypeConstructorFunc host_get_variant_from_type_constructor(GDExtensionVariantType t) {
    switch (t) {
    case GDEXTENSION_VARIANT_TYPE_STRING:
        return variant_from_string;
    case GDEXTENSION_VARIANT_TYPE_BOOL:
        return variant_from_bool;
    case GDEXTENSION_VARIANT_TYPE_INT:
        return variant_from_int;
    default:
        FATAL("Variant-from-type constructor for type %d not implemented", (int)t);
    }
}

static void string_from_variant(GDExtensionUninitializedTypePtr dst, GDExtensionVariantPtr src) {
    HostVariant *v = variant_at(src);
    if (v->type != GDEXTENSION_VARIANT_TYPE_STRING) {
        FATAL("String from a Variant of type %d", (int)v->type);
    }
    str_store(dst, str_alloc(v->v.string->data, v->v.string->len));
}

static void bytes_from_variant(GDExtensionUninitializedTypePtr dst, GDExtensionVariantPtr src) {
    HostVariant *v = variant_at(src);
    if (v->type != GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY) {
        FATAL("PackedByteArray from a Variant of type %d", (int)v->type);
    }
    bytes_store(dst, bytes_alloc(v->v.bytes->data, v->v.bytes->len));
}

static GDExtensionTypeFromVariantConstructorFunc host_get_variant_to_type_constructor(GDExtensionVariantType t) {
    switch (t) {
    case GDEXTENSION_VARIANT_TYPE_STRING:
        return string_from_variant;
    case GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY:
        return bytes_from_variant;
    default:
        FATAL("Variant-to-type constructor for type %d not implemented", (int)t);
    }
}

static void host_classdb_register_extension_class3(GDExtensionClassLibraryPtr p_library,
                                                   GDExtensionConstStringNamePtr p_class_name,
                                                   GDExtensionConstStringNamePtr p_parent_class_name,
                                                   const GDExtensionClassCreationInfo3 *p_extension_funcs) {
    check_library(p_library);
    if (host.registered) {
        FATAL("a second class registered: %s", name_text(p_class_name));
    }
    if (strcmp(name_text(p_parent_class_name), "RefCounted") != 0) {
        FATAL("parent class %s unknown to this host", name_text(p_parent_class_name));
    }
    if (p_extension_funcs->create_instance_func == NULL || p_extension_funcs->free_instance_func == NULL) {
        FATAL("create_instance_func and free_instance_func are mandatory");
    }
    copy_text(host.name, sizeof host.name, name_text(p_class_name));
    copy_text(host.parent, sizeof host.parent, name_text(p_parent_class_name));
    host.info = *p_extension_funcs;
    host.registered = true;
}

static GDExtensionVariantType property_type(const GDExtensionPropertyInfo *p) {
    /* Every StringName/String the extension passes must be alive at registration time. */
    name_at(p->name);
    name_at(p->class_name);
    str_at(p->hint_string);
    return p->type;
}

static void host_classdb_register_extension_class_method(GDExtensionClassLibraryPtr p_library,
                                                         GDExtensionConstStringNamePtr p_class_name,
                                                         const GDExtensionClassMethodInfo *p_method_info) {
    check_library(p_library);
    check_class(p_class_name);
    if (host.method_count == MAX_METHODS) {
        FATAL("too many methods");
    }
    HostMethod *m = &host.methods[host.method_count];
    copy_text(m->name, sizeof m->name, name_text(p_method_info->name));
    if (p_method_info->call_func == NULL || p_method_info->ptrcall_func == NULL) {
        FATAL("method %s lacks call_func or ptrcall_func", m->name);
    }
    if (p_method_info->argument_count > 8 ||
        (p_method_info->argument_count > 0 &&
         (p_method_info->arguments_info == NULL || p_method_info->arguments_metadata == NULL))) {
        FATAL("method %s: bad argument info", m->name);
    }
    m->info.name = m->name;
    m->info.argc = p_method_info->argument_count;
    for (uint32_t i = 0; i < m->info.argc; i++) {
        m->info.arg_types[i] = property_type(&p_method_info->arguments_info[i]);
    }
    m->info.return_type = p_method_info->has_return_value ? property_type(p_method_info->return_value_info)
                                                          : GDEXTENSION_VARIANT_TYPE_NIL;
    m->info.is_static = (p_method_info->method_flags & GDEXTENSION_METHOD_FLAG_STATIC) != 0;
    m->userdata = p_method_info->method_userdata;
    m->call_func = p_method_info->call_func;
    m->ptrcall_func = p_method_info->ptrcall_func;
    host.method_count++;
}

static void host_classdb_unregister_extension_class(GDExtensionClassLibraryPtr p_library,
                                                    GDExtensionConstStringNamePtr p_class_name) {
    check_library(p_library);
    check_class(p_class_name);
    if (atomic_load(&live_instances) != 0) {
        FATAL("class unregistered while %ld instances are alive", atomic_load(&live_instances));
    }
    host.registered = false;
}

static GDExtensionObjectPtr host_classdb_construct_object(GDExtensionConstStringNamePtr p_classname) {
    if (strcmp(name_text(p_classname), "RefCounted") != 0) {
        FATAL("construct_object(%s): only RefCounted is known to this host", name_text(p_classname));
    }
    HostObject *o = calloc(1, sizeof *o);
    if (o == NULL) {
        FATAL("out of memory");
    }
    o->magic = OBJECT_MAGIC;
    atomic_fetch_add(&live_objects, 1);
    return (GDExtensionObjectPtr)o;
}

static void host_object_set_instance(GDExtensionObjectPtr p_o, GDExtensionConstStringNamePtr p_classname,
                                     GDExtensionClassInstancePtr p_instance) {
    HostObject *o = (HostObject *)p_o;
    if (o == NULL || o->magic != OBJECT_MAGIC || o->instance != NULL || p_instance == NULL) {
        FATAL("object_set_instance on a bad object or with a NULL instance");
    }
    check_class(p_classname);
    o->instance = p_instance;
    atomic_fetch_add(&live_instances, 1);
}

/* ======== get_proc_address ======== */

/* X-macro: every interface function this host implements, with its typedef. */
#define HOST_INTERFACE(X)                                                                                          \
    X(classdb_register_extension_class3, GDExtensionInterfaceClassdbRegisterExtensionClass3)                      \
    X(classdb_register_extension_class_method, GDExtensionInterfaceClassdbRegisterExtensionClassMethod)           \
    X(classdb_unregister_extension_class, GDExtensionInterfaceClassdbUnregisterExtensionClass)                    \
    X(classdb_construct_object, GDExtensionInterfaceClassdbConstructObject)                                       \
    X(object_set_instance, GDExtensionInterfaceObjectSetInstance)                                                 \
    X(string_name_new_with_latin1_chars, GDExtensionInterfaceStringNameNewWithLatin1Chars)                        \
    X(string_new_with_utf8_chars_and_len2, GDExtensionInterfaceStringNewWithUtf8CharsAndLen2)                     \
    X(string_to_utf8_chars, GDExtensionInterfaceStringToUtf8Chars)                                                \
    X(variant_get_type, GDExtensionInterfaceVariantGetType)                                                       \
    X(variant_get_ptr_destructor, GDExtensionInterfaceVariantGetPtrDestructor)                                    \
    X(get_variant_from_type_constructor, GDExtensionInterfaceGetVariantFromTypeConstructor)                       \
    X(get_variant_to_type_constructor, GDExtensionInterfaceGetVariantToTypeConstructor)                       \
    X(variant_get_ptr_builtin_method, GDExtensionInterfaceVariantGetPtrBuiltinMethod)                             \
    X(packed_byte_array_operator_index_const, GDExtensionInterfacePackedByteArrayOperatorIndexConst)

#define MAX_REQUESTED 64
static const char *requested[MAX_REQUESTED];
static size_t requested_count;

static GDExtensionInterfaceFunctionPtr host_get_proc_address(const char *p_function_name) {
    if (requested_count == MAX_REQUESTED) {
        FATAL("too many get_proc_address calls");
    }
/* Assigning to a typed local checks each host function against Godot's typedef at compile time. */
#define LOOKUP(name, type)                                                                                         \
    if (strcmp(p_function_name, #name) == 0) {                                                                     \
        type typed = host_##name;                                                                                  \
        requested[requested_count++] = #name;                                                                      \
        return (GDExtensionInterfaceFunctionPtr)(void (*)(void))typed;                                             \
    }
    HOST_INTERFACE(LOOKUP)
#undef LOOKUP
    FATAL("the extension asked for interface function '%s', which this host does not implement",
          p_function_name);
}

/* ======== The test-facing API ======== */

bool host_load(const char *path, const char *entry_symbol) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        fprintf(stderr, "test host: dlopen: %s\n", dlerror());
        return false;
    }
    GDExtensionInitializationFunction entry;
    void *sym = dlsym(handle, entry_symbol);
    if (sym == NULL) {
        fprintf(stderr, "test host: entry symbol %s missing: %s\n", entry_symbol, dlerror());
        return false;
    }
    /* POSIX guarantees dlsym results convert to function pointers. */
    memcpy(&entry, &sym, sizeof entry);
    if (!entry(host_get_proc_address, (GDExtensionClassLibraryPtr)&library_token, &host.init)) {
        fprintf(stderr, "test host: entry function returned false\n");
        return false;
    }
    if (host.init.initialize == NULL || host.init.deinitialize == NULL) {
        fprintf(stderr, "test host: initialize/deinitialize not set\n");
        return false;
    }
    /* Like the engine: every level in order, whatever the minimum is. */
    for (int level = GDEXTENSION_INITIALIZATION_CORE; level < GDEXTENSION_MAX_INITIALIZATION_LEVEL; level++) {
        host.init.initialize(host.init.userdata, (GDExtensionInitializationLevel)level);
    }
    /* The library stays mapped so sanitizer reports can name its frames. */
    return host.registered;
}

void host_unload(void) {
    for (int level = GDEXTENSION_MAX_INITIALIZATION_LEVEL - 1; level >= GDEXTENSION_INITIALIZATION_CORE; level--) {
        host.init.deinitialize(host.init.userdata, (GDExtensionInitializationLevel)level);
    }
}

const char *host_class_name(void) {
    return host.name;
}

const char *host_parent_class_name(void) {
    return host.parent;
}

size_t host_method_count(void) {
    return host.method_count;
}

const HostMethodInfo *host_method_at(size_t i) {
    return i < host.method_count ? &host.methods[i].info : NULL;
}

static const HostMethod *find_method(const char *name) {
    for (size_t i = 0; i < host.method_count; i++) {
        if (strcmp(host.methods[i].name, name) == 0) {
            return &host.methods[i];
        }
    }
    FATAL("method %s not registered", name);
}

HostObject *host_object_new(void) {
    if (!host.registered) {
        FATAL("no class registered");
    }
    HostObject *o = (HostObject *)host.info.create_instance_func(host.info.class_userdata);
    if (o == NULL || o->magic != OBJECT_MAGIC || o->instance == NULL) {
        FATAL("create_instance_func did not construct an object with an instance");
    }
    return o;
}

void host_object_unref(HostObject *o) {
    if (o == NULL || o->magic != OBJECT_MAGIC) {
        FATAL("unref of a bad object");
    }
    host.info.free_instance_func(host.info.class_userdata, o->instance);
    atomic_fetch_sub(&live_instances, 1);
    o->magic = 0;
    free(o);
    atomic_fetch_sub(&live_objects, 1);
}

static GDExtensionClassInstancePtr instance_of(HostObject *o) {
    if (o == NULL) {
        return NULL;
    }
    if (o->magic != OBJECT_MAGIC) {
        FATAL("call on a freed object");
    }
    return o->instance;
}

HostResult host_call(HostObject *object, const char *method, int argc, const HostArg *args) {
    const HostMethod *m = find_method(method);
    VariantSlot slots[8], ret;
    GDExtensionConstVariantPtr ptrs[8];
    if (argc > 8) {
        FATAL("too many arguments");
    }
    for (int i = 0; i < argc; i++) {
        HostVariant *v = variant_start((GDExtensionUninitializedVariantPtr)&slots[i], args[i].type);
        if (args[i].type == GDEXTENSION_VARIANT_TYPE_STRING) {
            v->v.string = str_alloc(args[i].str, args[i].len);
        } else if (args[i].type == GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY) {
            v->v.bytes = bytes_alloc(args[i].str, args[i].len);
        } else if (args[i].type == GDEXTENSION_VARIANT_TYPE_INT) {
            v->v.integer = args[i].integer;
        } else {
            FATAL("argument type %d not supported by host_call", (int)args[i].type);
        }
        ptrs[i] = (GDExtensionConstVariantPtr)&slots[i];
    }
    variant_init_nil(&ret);
    GDExtensionCallError error = {.error = GDEXTENSION_CALL_ERROR_INVALID_METHOD, .argument = -1, .expected = -1};
    m->call_func(m->userdata, instance_of(object), ptrs, argc, (GDExtensionVariantPtr)&ret, &error);

    HostResult r = {.error = error.error, .argument = error.argument, .expected = error.expected};
    HostVariant *rv = variant_at(&ret);
    r.type = rv->type;
    if (rv->type == GDEXTENSION_VARIANT_TYPE_STRING) {
        r.text = strndup(rv->v.string->data, rv->v.string->len);
    } else if (rv->type == GDEXTENSION_VARIANT_TYPE_BOOL) {
        r.boolean = rv->v.boolean != 0;
    } else if (rv->type == GDEXTENSION_VARIANT_TYPE_INT) {
        r.integer = rv->v.integer;
    }
    variant_release(&ret);
    for (int i = 0; i < argc; i++) {
        variant_release(&slots[i]);
    }
    return r;
}

HostResult host_ptrcall(HostObject *object, const char *method, int argc, const HostArg *args) {
    const HostMethod *m = find_method(method);
    typedef struct {
        /* A String or a PackedByteArray argument. */
        _Alignas(8) unsigned char bytes[GODOT_STRING_SIZE > GODOT_PACKED_BYTE_ARRAY_SIZE
                                            ? GODOT_STRING_SIZE
                                            : GODOT_PACKED_BYTE_ARRAY_SIZE];
    } StringSlot;
    StringSlot strings[8];
    GDExtensionConstTypePtr ptrs[8];
    if (argc != (int)m->info.argc) {
        FATAL("ptrcall of %s with %d arguments: ptrcall has no argument checks", method, argc);
    }
    for (int i = 0; i < argc; i++) {
        if (args[i].type != m->info.arg_types[i]) {
            FATAL("ptrcall arguments must have the declared type");
        }
        if (args[i].type == GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY) {
            bytes_store(&strings[i], bytes_alloc(args[i].str, args[i].len));
        } else {
            str_store(&strings[i], str_alloc(args[i].str, args[i].len));
        }
        ptrs[i] = (GDExtensionConstTypePtr)&strings[i];
    }
    /* The return slot is initialized, as the engine's ptrcall callers do. */
    union {
        StringSlot string;
        GDExtensionBool boolean;
        int64_t integer;
    } ret;
    memset(&ret, 0, sizeof ret);
    if (m->info.return_type == GDEXTENSION_VARIANT_TYPE_STRING) {
        str_store(&ret.string, str_alloc("", 0));
    }
    m->ptrcall_func(m->userdata, instance_of(object), ptrs, (GDExtensionTypePtr)&ret);

    HostResult r = {.error = GDEXTENSION_CALL_OK, .type = m->info.return_type};
    if (m->info.return_type == GDEXTENSION_VARIANT_TYPE_STRING) {
        HostStr *s = str_at(&ret.string);
        r.text = strndup(s->data, s->len);
        str_release(s);
    } else if (m->info.return_type == GDEXTENSION_VARIANT_TYPE_BOOL) {
        r.boolean = ret.boolean != 0;
    } else if (m->info.return_type == GDEXTENSION_VARIANT_TYPE_INT) {
        r.integer = ret.integer;
    }
    for (int i = 0; i < argc; i++) {
        if (args[i].type == GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY) {
            bytes_release(bytes_at(&strings[i]));
        } else {
            str_release(str_at(&strings[i]));
        }
    }
    return r;
}

void host_result_free(HostResult *result) {
    free(result->text);
    result->text = NULL;
}

HostCounts host_counts(void) {
    return (HostCounts){
        .strings = atomic_load(&live_strings),
        .names = atomic_load(&live_names),
        .variants = atomic_load(&live_variants),
        .objects = atomic_load(&live_objects),
        .instances = atomic_load(&live_instances),
        .bytes = atomic_load(&live_bytes),
    };
}

size_t host_requested_count(void) {
    return requested_count;
}

const char *host_requested_at(size_t i) {
    return i < requested_count ? requested[i] : NULL;
}

/* Names this host implements, so the test can check each was asked for (no dead entries). */
#define NAME_OF(name, type) #name,
const char *const host_implemented[] = {HOST_INTERFACE(NAME_OF)};
#undef NAME_OF
const size_t host_implemented_count = sizeof host_implemented / sizeof host_implemented[0];
