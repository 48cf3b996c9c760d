/* Registers BosbaseNative with the engine and translates engine calls (Variant call_func and
 * typed ptrcall_func) into the plain C functions of native_methods.c. */
#include <stdlib.h>

#include "api.h"
#include "async.h"
#include "envelope.h"
#include "gd_string.h"
#include "native.h"

static GodotStringName class_name;
static GodotStringName parent_name;

static GDExtensionObjectPtr create_instance(void *class_userdata) {
    (void)class_userdata;
    BosbaseNative *self = calloc(1, sizeof *self);
    if (self == NULL) {
        return NULL;
    }
    atomic_init(&self->client, NULL);
    atomic_init(&self->auth_changes, 0);
    async_native_init(self);
    GDExtensionObjectPtr object = api.classdb_construct_object((GDExtensionConstStringNamePtr)&parent_name);
    api.object_set_instance(object, (GDExtensionConstStringNamePtr)&class_name, (GDExtensionClassInstancePtr)self);
    return object;
}

/* The engine calls this when the last reference goes. The addon's pending calls hold a
 * reference until their outcome was delivered, so usually nothing of ours is in flight.
 * Otherwise (the script side was torn down with calls pending, or calls were cancelled and
 * may still wait for an answer) the calls are cancelled. Either way the client goes to the
 * core's bosbase_client_release, which never waits: its calls, callbacks and threads end on
 * a library thread of the core, and `self` (which their callbacks use, the auth-store
 * listener's included) is freed after that. */
static void free_instance(void *class_userdata, GDExtensionClassInstancePtr instance) {
    (void)class_userdata;
    async_release((BosbaseNative *)instance);
}

typedef struct {
    char *string;
    bool boolean;
    int64_t integer;
} NativeValue;

/* A PackedByteArray argument as the extension reads it: its bytes stay the engine's. */
typedef struct {
    const uint8_t *data;
    size_t len;
} NativeBytes;

static NativeBytes bytes_view(GDExtensionConstTypePtr bytes) {
    int64_t size = 0;
    api.bytes_size((GDExtensionTypePtr)bytes, NULL, (GDExtensionTypePtr)&size, 0);
    NativeBytes view = {.data = NULL, .len = 0};
    if (size > 0) {
        view.data = api.packed_byte_array_operator_index_const(bytes, 0);
        view.len = view.data != NULL ? (size_t)size : 0;
    }
    return view;
}

/* Runs a method on converted arguments; `args_ok` false means one could not be converted. */
static NativeValue invoke(const NativeMethod *m, GDExtensionClassInstancePtr instance, char *const *args,
                          bool args_ok, NativeBytes bytes) {
    NativeValue value = {0};
    BosbaseNative *self = (BosbaseNative *)instance;
    if (!args_ok) {
        /* A String-returning method reports it in its envelope; the others give false / 0. */
        if (m->ret == NATIVE_RETURN_STRING) {
            value.string = envelope_local_error("an argument contains a NUL character or memory ran out");
        }
        return value;
    }
    switch (m->ret) {
    case NATIVE_RETURN_STRING:
        value.string = m->bytes_arg != 0 ? m->fn.string_bytes(self, args, bytes.data, bytes.len)
                                         : m->fn.string(self, args);
        break;
    case NATIVE_RETURN_BOOL:
        value.boolean = m->fn.boolean(self, args);
        break;
    case NATIVE_RETURN_INT:
        value.integer = m->fn.integer(self, args);
        break;
    }
    return value;
}

static void free_args(char **args, uint32_t argc) {
    for (uint32_t i = 0; i < argc; i++) {
        free(args[i]);
    }
}

static GDExtensionVariantType arg_type(const NativeMethod *m, uint32_t i) {
    return i + 1 == m->bytes_arg ? GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY : GDEXTENSION_VARIANT_TYPE_STRING;
}

static void method_call(void *method_userdata, GDExtensionClassInstancePtr instance,
                        const GDExtensionConstVariantPtr *p_args, GDExtensionInt argc, GDExtensionVariantPtr r_return,
                        GDExtensionCallError *r_error) {
    const NativeMethod *m = method_userdata;
    r_error->error = GDEXTENSION_CALL_OK;
    if (argc != (GDExtensionInt)m->argc) {
        r_error->error = argc < (GDExtensionInt)m->argc ? GDEXTENSION_CALL_ERROR_TOO_FEW_ARGUMENTS
                                                       : GDEXTENSION_CALL_ERROR_TOO_MANY_ARGUMENTS;
        r_error->expected = (int32_t)m->argc;
        return;
    }
    if (instance == NULL && !m->is_static) {
        r_error->error = GDEXTENSION_CALL_ERROR_INSTANCE_IS_NULL;
        return;
    }
    for (uint32_t i = 0; i < m->argc; i++) {
        GDExtensionVariantType want = arg_type(m, i);
        if (api.variant_get_type(p_args[i]) != want) {
            r_error->error = GDEXTENSION_CALL_ERROR_INVALID_ARGUMENT;
            r_error->argument = (int32_t)i;
            r_error->expected = (int32_t)want;
            return;
        }
    }

    char *args[NATIVE_MAX_ARGS] = {0};
    bool args_ok = true;
    GodotBytes bytes_storage;
    NativeBytes bytes = {.data = NULL, .len = 0};
    for (uint32_t i = 0; i < m->argc; i++) {
        if (i + 1 == m->bytes_arg) {
            api.bytes_from_variant((GDExtensionUninitializedTypePtr)&bytes_storage, (GDExtensionVariantPtr)p_args[i]);
            bytes = bytes_view((GDExtensionConstTypePtr)&bytes_storage);
            continue;
        }
        GodotString s;
        /* The to-type constructor only reads the Variant; its typedef is just not const. */
        api.string_from_variant((GDExtensionUninitializedTypePtr)&s, (GDExtensionVariantPtr)p_args[i]);
        args[i] = gd_string_to_cstr((GDExtensionConstStringPtr)&s);
        gd_string_destroy(&s);
        args_ok = args_ok && args[i] != NULL;
    }
    NativeValue value = invoke(m, instance, args, args_ok, bytes);
    free_args(args, m->argc);
    if (m->bytes_arg != 0) {
        api.bytes_destroy((GDExtensionTypePtr)&bytes_storage);
    }

    /* r_return holds a Nil Variant (nothing to release), so it is constructed in place. */
    switch (m->ret) {
    case NATIVE_RETURN_STRING: {
        GodotString s;
        gd_string_new(&s, value.string != NULL ? value.string : "");
        api.variant_from_string((GDExtensionUninitializedVariantPtr)r_return, (GDExtensionTypePtr)&s);
        gd_string_destroy(&s);
        free(value.string);
        break;
    }
    case NATIVE_RETURN_BOOL: {
        GDExtensionBool b = value.boolean;
        api.variant_from_bool((GDExtensionUninitializedVariantPtr)r_return, (GDExtensionTypePtr)&b);
        break;
    }
    case NATIVE_RETURN_INT: {
        GDExtensionInt i = value.integer;
        api.variant_from_int((GDExtensionUninitializedVariantPtr)r_return, (GDExtensionTypePtr)&i);
        break;
    }
    }
}

static void method_ptrcall(void *method_userdata, GDExtensionClassInstancePtr instance,
                           const GDExtensionConstTypePtr *p_args, GDExtensionTypePtr r_ret) {
    const NativeMethod *m = method_userdata;
    char *args[NATIVE_MAX_ARGS] = {0};
    bool args_ok = true;
    NativeBytes bytes = {.data = NULL, .len = 0};
    for (uint32_t i = 0; i < m->argc; i++) {
        if (i + 1 == m->bytes_arg) {
            bytes = bytes_view(p_args[i]);
            continue;
        }
        args[i] = gd_string_to_cstr((GDExtensionConstStringPtr)p_args[i]);
        args_ok = args_ok && args[i] != NULL;
    }
    NativeValue value = invoke(m, instance, args, args_ok, bytes);
    free_args(args, m->argc);

    /* ptrcall returns into an initialized value: assignment = release the old, build the new. */
    switch (m->ret) {
    case NATIVE_RETURN_STRING:
        gd_string_destroy((GodotString *)r_ret);
        gd_string_new((GodotString *)r_ret, value.string != NULL ? value.string : "");
        free(value.string);
        break;
    case NATIVE_RETURN_BOOL:
        *(GDExtensionBool *)r_ret = value.boolean;
        break;
    case NATIVE_RETURN_INT:
        *(int64_t *)r_ret = value.integer;
        break;
    }
}

static GDExtensionVariantType variant_type_of(NativeReturn ret) {
    switch (ret) {
    case NATIVE_RETURN_BOOL:
        return GDEXTENSION_VARIANT_TYPE_BOOL;
    case NATIVE_RETURN_INT:
        return GDEXTENSION_VARIANT_TYPE_INT;
    case NATIVE_RETURN_STRING:
        break;
    }
    return GDEXTENSION_VARIANT_TYPE_STRING;
}

static void register_method(const NativeMethod *m) {
    GodotStringName method_name, empty_name, arg_names[NATIVE_MAX_ARGS];
    GodotString empty_hint;
    GDExtensionPropertyInfo arg_info[NATIVE_MAX_ARGS];
    GDExtensionClassMethodArgumentMetadata arg_meta[NATIVE_MAX_ARGS];

    gd_string_name_new(&method_name, m->name);
    gd_string_name_new(&empty_name, "");
    gd_string_new(&empty_hint, "");
    for (uint32_t i = 0; i < m->argc; i++) {
        gd_string_name_new(&arg_names[i], m->arg_names[i]);
        arg_info[i] = (GDExtensionPropertyInfo){
            .type = arg_type(m, i),
            .name = (GDExtensionStringNamePtr)&arg_names[i],
            .class_name = (GDExtensionStringNamePtr)&empty_name,
            .hint = 0,
            .hint_string = (GDExtensionStringPtr)&empty_hint,
            .usage = GODOT_PROPERTY_USAGE_DEFAULT,
        };
        arg_meta[i] = GDEXTENSION_METHOD_ARGUMENT_METADATA_NONE;
    }
    GDExtensionPropertyInfo return_info = {
        .type = variant_type_of(m->ret),
        .name = (GDExtensionStringNamePtr)&empty_name,
        .class_name = (GDExtensionStringNamePtr)&empty_name,
        .hint = 0,
        .hint_string = (GDExtensionStringPtr)&empty_hint,
        .usage = GODOT_PROPERTY_USAGE_DEFAULT,
    };
    GDExtensionClassMethodInfo info = {
        .name = (GDExtensionStringNamePtr)&method_name,
        .method_userdata = (void *)m,
        .call_func = method_call,
        .ptrcall_func = method_ptrcall,
        .method_flags = GDEXTENSION_METHOD_FLAGS_DEFAULT | (m->is_static ? GDEXTENSION_METHOD_FLAG_STATIC : 0),
        .has_return_value = 1,
        .return_value_info = &return_info,
        .return_value_metadata = m->ret == NATIVE_RETURN_INT ? GDEXTENSION_METHOD_ARGUMENT_METADATA_INT_IS_INT64
                                                             : GDEXTENSION_METHOD_ARGUMENT_METADATA_NONE,
        .argument_count = m->argc,
        .arguments_info = arg_info,
        .arguments_metadata = arg_meta,
        .default_argument_count = 0,
        .default_arguments = NULL,
    };
    api.classdb_register_extension_class_method(api.library, (GDExtensionConstStringNamePtr)&class_name, &info);

    /* The engine copied what it needs ("can be safely freed once the function returns"). */
    for (uint32_t i = 0; i < m->argc; i++) {
        gd_string_name_destroy(&arg_names[i]);
    }
    gd_string_destroy(&empty_hint);
    gd_string_name_destroy(&empty_name);
    gd_string_name_destroy(&method_name);
}

void native_class_register(void) {
    gd_string_name_new(&class_name, "BosbaseNative");
    gd_string_name_new(&parent_name, "RefCounted");
    GDExtensionClassCreationInfo3 info = {
        .is_virtual = 0,
        .is_abstract = 0,
        /* Internal: GDScript reaches it through bosbase.gd, never by name in the editor. An
         * exposed class also trips Godot's headless first import (engine issue 111048). */
        .is_exposed = 0,
        .is_runtime = 0,
        .create_instance_func = create_instance,
        .free_instance_func = free_instance,
        .class_userdata = NULL,
    };
    api.classdb_register_extension_class3(api.library, (GDExtensionConstStringNamePtr)&class_name,
                                          (GDExtensionConstStringNamePtr)&parent_name, &info);
    for (size_t i = 0; i < native_method_count; i++) {
        register_method(&native_methods[i]);
    }
}

void native_class_unregister(void) {
    api.classdb_unregister_extension_class(api.library, (GDExtensionConstStringNamePtr)&class_name);
    gd_string_name_destroy(&parent_name);
    gd_string_name_destroy(&class_name);
}
