#!/usr/bin/env bash
# Checks bosbase.gdextension against the built libraries: the entry symbol is exported by each
# library it names (and nothing else is), every built library is named, and every named library
# exists: this machine's own (linux x86_64) always, the other targets' (built by `make dist`)
# only with --all.
#   check_gdextension.sh FILE [--all]
set -euo pipefail
file="$1"
all="${2:-}"
addon_dir="$(cd "$(dirname "$file")" && pwd)"
fail=0 checked=0
bad() { echo "check-gdextension: $*" >&2; fail=1; }

entry="$(sed -n 's/^entry_symbol = "\(.*\)"$/\1/p' "$file")"
[[ -n "$entry" ]] || bad "no entry_symbol in $file"
grep -q '^compatibility_minimum = "4.6"$' "$file" || bad "compatibility_minimum is not \"4.6\" (the oldest engine the suite ran in)"

# The symbols a library exports: ELF dynamic symbols, or a DLL's export table.
exports() {
  case "$1" in
    *.dll) objdump -p "$1" | awk '/^\[Ordinal\/Name Pointer\] Table/ {t=1; next} t && NF == 0 {t=0} t {print $NF}' ;;
    *) nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRW]$/ {print $3}' ;;
  esac
}

mapfile -t paths < <(sed -n 's/^[a-z0-9_.]* = "res:\/\/addons\/bosbase\/\(bin\/[^"]*\)"$/\1/p' "$file")
((${#paths[@]} > 0)) || bad "no library paths under res://addons/bosbase/bin/"
for rel in "${paths[@]}"; do
  lib="$addon_dir/$rel"
  if [[ ! -f "$lib" ]]; then
    [[ "$all" == --all || "$rel" == *.linux.*.x86_64.so ]] && bad "$rel named in $file but not built"
    continue
  fi
  exported="$(exports "$lib")"
  [[ "$exported" == "$entry" ]] || bad "$rel exports [$(echo $exported)], expected only $entry"
  checked=$((checked + 1))
done
for lib in "$addon_dir"/bin/*.so "$addon_dir"/bin/*.dll; do
  [[ -e "$lib" ]] || continue
  printf '%s\n' "${paths[@]}" | grep -qxF "bin/$(basename "$lib")" || bad "bin/$(basename "$lib") is not named in $file"
done
((fail == 0)) && echo "check-gdextension: $file ok ($checked of ${#paths[@]} libraries built, each exports only $entry)"
exit "$fail"
