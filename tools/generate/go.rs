//! The go target (not generated yet: its binding's generic call primitive comes first).

use super::Op;

/// Generated files: (path relative to the repository root, contents).
pub fn outputs(_ops: &[Op]) -> Vec<(&'static str, String)> {
    Vec::new()
}

/// How the README's operation table names `op` in this language, once generated.
pub fn readme_name(_op: &Op) -> Option<String> {
    None
}
