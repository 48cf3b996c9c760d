/* Conversions between Godot String/StringName storage and C strings. */
#ifndef BOSBASE_GODOT_GD_STRING_H
#define BOSBASE_GODOT_GD_STRING_H

#include <stdbool.h>
#include <stddef.h>

#include "defs.h"

/* A new (non-static) StringName; release it with gd_string_name_destroy. */
void gd_string_name_new(GodotStringName *out, const char *latin1);
void gd_string_name_destroy(GodotStringName *name);

/* Constructs a String from UTF-8 into uninitialized storage; release with gd_string_destroy. */
void gd_string_new(GodotString *out, const char *utf8);
void gd_string_destroy(GodotString *s);

/* A malloc'd NUL-terminated UTF-8 copy of `s`, or NULL when out of memory or when `s`
 * holds a NUL character (C strings cannot carry it, so the call must be refused rather
 * than silently truncated). Free with free(). */
char *gd_string_to_cstr(GDExtensionConstStringPtr s);

#endif
