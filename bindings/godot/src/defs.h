/* Shared definitions for the BosBase GDExtension: export macro and opaque builtin storage. */
#ifndef BOSBASE_GODOT_DEFS_H
#define BOSBASE_GODOT_DEFS_H

#include <stdalign.h>
#include <stdint.h>

#include "gdextension_interface.h" /* written into the build dir by tools/gdext-header */
#include "godot_sizes.h"           /* builtin sizes from the same crate's extension_api.json */

#define GDE_EXPORT __attribute__((visibility("default")))

/* Storage for engine-owned builtins. The extension never looks inside: the engine's
 * constructors and destructors (fetched through get_proc_address) manage the contents. */
typedef struct {
    alignas(8) uint8_t opaque[GODOT_STRING_SIZE];
} GodotString;

typedef struct {
    alignas(8) uint8_t opaque[GODOT_STRING_NAME_SIZE];
} GodotStringName;

typedef struct {
    alignas(8) uint8_t opaque[GODOT_PACKED_BYTE_ARRAY_SIZE];
} GodotBytes;

/* PROPERTY_USAGE_DEFAULT (STORAGE | EDITOR) from extension_api.json's PropertyUsageFlags. */
#define GODOT_PROPERTY_USAGE_DEFAULT 6

#endif
