# Godot 4: the C GDExtension + GDScript addon (bindings/godot/), tested in a real Godot engine
# (scripts/godot: Debian's godot in a debootstrap root under target/, installed on first use)
# and in an engine-less C host under ASan/UBSan.
DEMO_PARTS += godot
TEST_PARTS += godot

.PHONY: godot-build godot-test godot-demo godot-addon

godot-build: core-release
	$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) build

godot-test: core-release
	$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) test

# Runs the example project in the engine against $BOSBASE_URL (`make demo` provides it);
# alone, it starts the demo dev server itself.
godot-demo:
	$(if $(BOSBASE_URL),,scripts/devserver --build --demo --) \
		$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) demo

# target/godot/bosbase-godot-addon.zip: addons/bosbase/ with the built libraries.
godot-addon: core-release
	$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) addon
