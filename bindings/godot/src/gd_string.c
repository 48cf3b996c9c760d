#include "gd_string.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"

void gd_string_name_new(GodotStringName *out, const char *latin1) {
    api.string_name_new_with_latin1_chars((GDExtensionUninitializedStringNamePtr)out, latin1, 0);
}

void gd_string_name_destroy(GodotStringName *name) {
    api.string_name_destroy((GDExtensionTypePtr)name);
}

void gd_string_new(GodotString *out, const char *utf8) {
    api.string_new_with_utf8_chars_and_len2((GDExtensionUninitializedStringPtr)out, utf8,
                                            (GDExtensionInt)strlen(utf8));
}

void gd_string_destroy(GodotString *s) {
    api.string_destroy((GDExtensionTypePtr)s);
}

char *gd_string_to_cstr(GDExtensionConstStringPtr s) {
    GDExtensionInt len = api.string_to_utf8_chars(s, NULL, 0);
    if (len < 0) {
        return NULL;
    }
    char *out = malloc((size_t)len + 1);
    if (out == NULL) {
        return NULL;
    }
    api.string_to_utf8_chars(s, out, len);
    out[len] = '\0';
    if (memchr(out, '\0', (size_t)len) != NULL) {
        free(out);
        return NULL;
    }
    return out;
}
