@tool
extends EditorPlugin
## Editor side of the BosBase addon. The native class comes from bosbase.gdextension, which
## Godot loads on its own; enabling the plugin reports a missing library once, in the editor.


func _enter_tree() -> void:
	if not ClassDB.class_exists("BosbaseNative"):
		push_warning(
			(
				"BosBase: the native library is not loaded; build it (make godot-build) "
				+ "so addons/bosbase/bin/ holds the .so named in bosbase.gdextension."
			)
		)
