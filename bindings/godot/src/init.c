/* Entry point named by bosbase.gdextension's `entry_symbol`. */
#include "api.h"
#include "async.h"
#include "live.h"
#include "native.h"

static void initialize(void *userdata, GDExtensionInitializationLevel level) {
    (void)userdata;
    if (level == GDEXTENSION_INITIALIZATION_SCENE) {
        native_class_register();
    }
}

static void deinitialize(void *userdata, GDExtensionInitializationLevel level) {
    (void)userdata;
    if (level == GDEXTENSION_INITIALIZATION_SCENE) {
        native_class_unregister();
        live_shutdown();
        async_shutdown();
        native_forks_shutdown();
    }
}

GDE_EXPORT GDExtensionBool bosbase_godot_init(GDExtensionInterfaceGetProcAddress get_proc_address,
                                              GDExtensionClassLibraryPtr library,
                                              GDExtensionInitialization *r_initialization) {
    if (!api_load(get_proc_address, library)) {
        return 0;
    }
    r_initialization->minimum_initialization_level = GDEXTENSION_INITIALIZATION_SCENE;
    r_initialization->userdata = NULL;
    r_initialization->initialize = initialize;
    r_initialization->deinitialize = deinitialize;
    return 1;
}
