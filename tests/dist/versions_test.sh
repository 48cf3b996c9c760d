#!/usr/bin/env bash
# scripts/check-versions passes on this tree and fails, naming the file, when any one place
# states another version than Cargo.toml (each place changed alone in a scratch copy).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
check="$repo/scripts/check-versions"
files=(Cargo.toml cbindgen.toml include/bosbase.h bindings/go/client.go bindings/elixir/mix.exs
  bindings/godot/addons/bosbase/plugin.cfg bindings/godot/addons/bosbase/bosbase.gdextension)
version="$("$check" --root "$repo")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

copy_tree() {
  rm -rf "$scratch/tree"
  for f in "${files[@]}"; do mkdir -p "$scratch/tree/$(dirname "$f")"; cp "$repo/$f" "$scratch/tree/$f"; done
}
copy_tree
"$check" --root "$scratch/tree" >/dev/null || { echo "versions_test: the unchanged copy fails" >&2; exit 1; }
for f in "${files[@]}"; do
  copy_tree
  # Change only the line that states the version (the first one naming it).
  line="$(grep -n -F "\"$version\"" "$scratch/tree/$f" | head -1 | cut -d: -f1)"
  [[ -n "$line" ]] || { echo "versions_test: $f states no \"$version\"" >&2; exit 1; }
  sed -i "${line}s/\"$version\"/\"$version.1\"/" "$scratch/tree/$f"
  if "$check" --root "$scratch/tree" 2>"$scratch/err" >/dev/null; then
    echo "versions_test: check-versions passed with $f at $version.1" >&2; exit 1
  fi
  want="$f"; [[ "$f" == Cargo.toml ]] && want="cbindgen.toml" # every other file then disagrees
  grep -qF "$want" "$scratch/err" || { echo "versions_test: the failure for $f does not name it:" >&2; cat "$scratch/err" >&2; exit 1; }
done
echo "versions: $version in all ${#files[@]} places; a change in any one of them is caught"
