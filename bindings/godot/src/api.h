/* The engine functions this extension uses, fetched once through get_proc_address. */
#ifndef BOSBASE_GODOT_API_H
#define BOSBASE_GODOT_API_H

#include <stdbool.h>

#include "defs.h"

typedef struct {
    GDExtensionClassLibraryPtr library;

    GDExtensionInterfaceClassdbRegisterExtensionClass3 classdb_register_extension_class3;
    GDExtensionInterfaceClassdbRegisterExtensionClassMethod classdb_register_extension_class_method;
    GDExtensionInterfaceClassdbUnregisterExtensionClass classdb_unregister_extension_class;
    GDExtensionInterfaceClassdbConstructObject classdb_construct_object;
    GDExtensionInterfaceObjectSetInstance object_set_instance;
    GDExtensionInterfaceStringNameNewWithLatin1Chars string_name_new_with_latin1_chars;
    GDExtensionInterfaceStringNewWithUtf8CharsAndLen2 string_new_with_utf8_chars_and_len2;
    GDExtensionInterfaceStringToUtf8Chars string_to_utf8_chars;
    GDExtensionInterfaceVariantGetType variant_get_type;
    GDExtensionInterfacePackedByteArrayOperatorIndexConst packed_byte_array_operator_index_const;

    /* Resolved from the generic getters above at load time. */
    GDExtensionPtrDestructor string_destroy;
    GDExtensionPtrDestructor string_name_destroy;
    GDExtensionTypeFromVariantConstructorFunc string_from_variant;
    GDExtensionVariantFromTypeConstructorFunc variant_from_string;
    GDExtensionVariantFromTypeConstructorFunc variant_from_bool;
    GDExtensionVariantFromTypeConstructorFunc variant_from_int;
    GDExtensionPtrDestructor bytes_destroy;
    GDExtensionTypeFromVariantConstructorFunc bytes_from_variant;
    GDExtensionPtrBuiltInMethod bytes_size; /* PackedByteArray.size() */
} GodotApi;

extern GodotApi api;

/* Fills `api`; false (and nothing registered) when the engine lacks a function. */
bool api_load(GDExtensionInterfaceGetProcAddress get_proc_address, GDExtensionClassLibraryPtr library);

#endif
