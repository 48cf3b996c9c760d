/* Loads the engine's interface functions. Every name asked for here is listed in
 * bindings/godot/README.md; the test host implements exactly these and aborts on others. */
#include "api.h"

#include <stddef.h>

#include "gd_string.h"

GodotApi api;

/* get_proc_address returns a generic `void (*)()`; the intermediary `void (*)(void)` cast is
 * the form GCC documents as matching every function type (see the header's own note). */
#define LOAD(getter, field, type)                                                         \
    do {                                                                                  \
        api.field = (type)(void (*)(void))(getter)(#field);                               \
        if (api.field == NULL) {                                                          \
            return false;                                                                 \
        }                                                                                 \
    } while (0)

bool api_load(GDExtensionInterfaceGetProcAddress get_proc_address, GDExtensionClassLibraryPtr library) {
    GDExtensionInterfaceVariantGetPtrDestructor variant_get_ptr_destructor;
    GDExtensionInterfaceGetVariantFromTypeConstructor get_variant_from_type_constructor;
    GDExtensionInterfaceGetVariantToTypeConstructor get_variant_to_type_constructor;
    GDExtensionInterfaceVariantGetPtrBuiltinMethod variant_get_ptr_builtin_method;

    api.library = library;
    LOAD(get_proc_address, classdb_register_extension_class3, GDExtensionInterfaceClassdbRegisterExtensionClass3);
    LOAD(get_proc_address, classdb_register_extension_class_method,
         GDExtensionInterfaceClassdbRegisterExtensionClassMethod);
    LOAD(get_proc_address, classdb_unregister_extension_class, GDExtensionInterfaceClassdbUnregisterExtensionClass);
    LOAD(get_proc_address, classdb_construct_object, GDExtensionInterfaceClassdbConstructObject);
    LOAD(get_proc_address, object_set_instance, GDExtensionInterfaceObjectSetInstance);
    LOAD(get_proc_address, string_name_new_with_latin1_chars, GDExtensionInterfaceStringNameNewWithLatin1Chars);
    LOAD(get_proc_address, string_new_with_utf8_chars_and_len2, GDExtensionInterfaceStringNewWithUtf8CharsAndLen2);
    LOAD(get_proc_address, string_to_utf8_chars, GDExtensionInterfaceStringToUtf8Chars);
    LOAD(get_proc_address, variant_get_type, GDExtensionInterfaceVariantGetType);
    LOAD(get_proc_address, packed_byte_array_operator_index_const,
         GDExtensionInterfacePackedByteArrayOperatorIndexConst);

    variant_get_ptr_destructor =
        (GDExtensionInterfaceVariantGetPtrDestructor)(void (*)(void))get_proc_address("variant_get_ptr_destructor");
    get_variant_from_type_constructor = (GDExtensionInterfaceGetVariantFromTypeConstructor)(void (*)(void))
        get_proc_address("get_variant_from_type_constructor");
    get_variant_to_type_constructor = (GDExtensionInterfaceGetVariantToTypeConstructor)(void (*)(void))
        get_proc_address("get_variant_to_type_constructor");
    variant_get_ptr_builtin_method = (GDExtensionInterfaceVariantGetPtrBuiltinMethod)(void (*)(void))
        get_proc_address("variant_get_ptr_builtin_method");
    if (variant_get_ptr_destructor == NULL || get_variant_from_type_constructor == NULL ||
        get_variant_to_type_constructor == NULL || variant_get_ptr_builtin_method == NULL) {
        return false;
    }
    api.string_destroy = variant_get_ptr_destructor(GDEXTENSION_VARIANT_TYPE_STRING);
    api.string_name_destroy = variant_get_ptr_destructor(GDEXTENSION_VARIANT_TYPE_STRING_NAME);
    api.string_from_variant = get_variant_to_type_constructor(GDEXTENSION_VARIANT_TYPE_STRING);
    api.variant_from_string = get_variant_from_type_constructor(GDEXTENSION_VARIANT_TYPE_STRING);
    api.variant_from_bool = get_variant_from_type_constructor(GDEXTENSION_VARIANT_TYPE_BOOL);
    api.variant_from_int = get_variant_from_type_constructor(GDEXTENSION_VARIANT_TYPE_INT);
    api.bytes_destroy = variant_get_ptr_destructor(GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY);
    api.bytes_from_variant = get_variant_to_type_constructor(GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY);
    GodotStringName size_name;
    gd_string_name_new(&size_name, "size");
    api.bytes_size = variant_get_ptr_builtin_method(GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY,
                                                    (GDExtensionConstStringNamePtr)&size_name,
                                                    GODOT_PACKED_BYTE_ARRAY_SIZE_HASH);
    gd_string_name_destroy(&size_name);
    return api.string_destroy != NULL && api.string_name_destroy != NULL && api.string_from_variant != NULL &&
           api.variant_from_string != NULL && api.variant_from_bool != NULL && api.variant_from_int != NULL &&
           api.bytes_destroy != NULL && api.bytes_from_variant != NULL && api.bytes_size != NULL;
}
