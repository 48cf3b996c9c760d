#!/usr/bin/env bash
# Checks bosbase.gdextension against the built libraries: the entry symbol is exported by each
# library it names (and nothing else is), every library path exists, every built library is named.
set -euo pipefail
file="$1"
addon_dir="$(cd "$(dirname "$file")" && pwd)"
fail=0
bad() { echo "check-gdextension: $*" >&2; fail=1; }

entry="$(sed -n 's/^entry_symbol = "\(.*\)"$/\1/p' "$file")"
[[ -n "$entry" ]] || bad "no entry_symbol in $file"
grep -q '^compatibility_minimum = "4.6"$' "$file" || bad "compatibility_minimum is not \"4.6\" (the oldest engine the suite ran in)"

mapfile -t paths < <(sed -n 's/^[a-z0-9_.]* = "res:\/\/addons\/bosbase\/\(bin\/[^"]*\)"$/\1/p' "$file")
((${#paths[@]} > 0)) || bad "no library paths under res://addons/bosbase/bin/"
for rel in "${paths[@]}"; do
  lib="$addon_dir/$rel"
  if [[ ! -f "$lib" ]]; then bad "$rel named in $file but not built"; continue; fi
  exported="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ {print $3}')"
  [[ "$exported" == "$entry" ]] || bad "$rel exports [$(echo $exported)], expected only $entry"
done
for lib in "$addon_dir"/bin/*.so; do
  [[ -e "$lib" ]] || continue
  printf '%s\n' "${paths[@]}" | grep -qxF "bin/$(basename "$lib")" || bad "bin/$(basename "$lib") is not named in $file"
done
((fail == 0)) && echo "check-gdextension: $file ok (${#paths[@]} libraries export only $entry)"
exit "$fail"
