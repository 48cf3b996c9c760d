# Godot 4: the C GDExtension + GDScript addon (bindings/godot/), tested without an engine.
DEMO_PARTS += godot
TEST_PARTS += godot

.PHONY: godot-build godot-test godot-demo

godot-build: core-release
	$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) build

godot-test: core-release
	$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) test

godot-demo:
	$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) demo
