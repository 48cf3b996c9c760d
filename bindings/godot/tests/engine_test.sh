#!/usr/bin/env bash
# The addon in a real Godot engine (scripts/godot: Debian's godot in a chroot under target/).
#
#   engine_test.sh suite PROJECT     import PROJECT, then run its res://test_runner.gd
#                                    (needs BOSBASE_URL; BOSBASE_TLS_* optional)
#   engine_test.sh import PROJECT    open PROJECT in the editor headless (`--import`) on a fresh
#                                    copy, as a user's first open does
#   engine_test.sh doc PROJECT       `--doctool --gdscript-docs`: the addon's `##` class docs
#   engine_test.sh zip ZIP           unzip the drop-in addon into a new project, open it in the
#                                    editor (plugin enabled) and make one call (BOSBASE_URL)
#   engine_test.sh export PROJECT TEXT
#                                    export PROJECT as a release game (Debian's release
#                                    template, the addon's release library) and run it;
#                                    TEXT must appear in its output
#   engine_test.sh quit PROJECT      run PROJECT's res://quit_pending.gd: the engine quits with
#                                    calls pending and live subscriptions (BOSBASE_URL); it must
#                                    exit cleanly and soon
#   engine_test.sh run PROJECT [TEXT]
#                                    import, then run PROJECT's main scene (the demo); its
#                                    push_error() lines are shown, not failures; TEXT must
#                                    appear in the output
#
# Every mode fails on a crash, on an engine error line no test announced, and on the
# engine's leak report at exit (tests/engine_check.py). Logs: target/godot/logs/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
GODOT="$ROOT/scripts/godot"
LOGS="$ROOT/target/godot/logs"
mode="${1:?usage: engine_test.sh suite|import|doc|zip|export|run PROJECT}"
if [[ "$mode" == zip ]]; then
  zip="$(realpath "${2:?missing ZIP}")"
  project="$ROOT/target/godot/zip-project"
  rm -rf "$project"
  mkdir -p "$project"
  (cd "$project" && unzip -q "$zip")
  cat >"$project/project.godot" <<'EOF'
config_version=5

[application]

config/name="BosBase addon from the zip"

[editor_plugins]

enabled=PackedStringArray("res://addons/bosbase/plugin.cfg")
EOF
  cat >"$project/check.gd" <<'EOF'
extends SceneTree

const BosBase = preload("res://addons/bosbase/bosbase.gd")


func _initialize() -> void:
	_check()


func _check() -> void:
	var pb = BosBase.new(OS.get_environment("BOSBASE_URL"))
	var health = await pb.send("/api/health")
	print("zip addon: health ", "ok" if health is Dictionary else str(health))
	pb = null
	await process_frame
	quit(0)
EOF
else
  project="$(cd "${2:?missing PROJECT}" && pwd)"
fi
name="$(basename "$project")"
mkdir -p "$LOGS"
log="$LOGS/$mode-$name.log"

run() {
  local status=0
  "$GODOT" "$@" >"$log" 2>&1 || status=$?
  return "$status"
}

fail() {
  echo "engine-test: $mode $name failed ($*); log $log:" >&2
  sed 's/^/  | /' "$log" | tail -n 60 >&2
  exit 1
}

start=$SECONDS
case "$mode" in
  suite)
    run --env BOSBASE_OAUTH2_PROVIDER --env BOSBASE_GODOT_ONLY --pre-import --timeout 300 --project "$project" -- \
      --script res://test_runner.gd ||
      fail "engine exit status $?"
    grep -E '^(FAIL|SKIP): ' "$log" >&2 || true
    python3 "$HERE/engine_check.py" "$log" --summary || fail "engine log check"
    # The totals, and the smoke test's count of rows exercised (make test prints it).
    grep -E '^(godot-engine|smoke \(GDScript\)): ' "$log"
    ;;
  import)
    # A fresh copy: the editor discovers and loads the extension during this very run, the
    # case that crashed (Godot issue 111048 with an exposed extension class).
    run --timeout 300 --project "$project" -- --import || fail "--import, status $?"
    python3 "$HERE/engine_check.py" "$log" || fail "engine log check"
    echo "engine-test: $name: --import of a fresh copy passed ($((SECONDS - start)) s)"
    ;;
  doc)
    out="$ROOT/target/godot/doc-$name"
    rm -rf "$out"
    mkdir -p "$out"
    # Inside the root the project copy is the working directory; the XML comes back through
    # --copy-back into a scratch copy.
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    run --pre-import --timeout 300 --project "$project" --copy-back "$scratch" -- \
      --doctool doc_out --gdscript-docs res://addons/bosbase || fail "doctool status $?"
    python3 "$HERE/engine_check.py" "$log" || fail "engine log check"
    cp -r "$scratch/doc_out/." "$out/"
    # The class reference the editor shows comes from these `##` comments.
    grep -q 'HTTP status of the answer' "$out"/*ClientResponseError*.xml ||
      fail "ClientResponseError docs missing from $out"
    grep -lq 'BosBase client for Godot 4' "$out"/*.xml || fail "bosbase.gd docs missing from $out"
    # The generated methods carry their table row's doc.
    grep -q 'Checks that the server is up' "$out"/*operations_gen.gd.HealthService.xml ||
      fail "generated health().check() docs missing from $out"
    grep -q 'Signs in with a bound custom token' "$out"/*record_operations_gen.gd.xml ||
      fail "generated auth_with_token() docs missing from $out"
    echo "engine-test: $name: class docs generated from ## comments ($(ls "$out" | wc -l) files in $out)"
    ;;
  zip)
    run --pre-import --timeout 300 --project "$project" -- --script res://check.gd ||
      fail "engine exit status $?"
    python3 "$HERE/engine_check.py" "$log" --expect "zip addon: health ok" || fail "engine log check"
    echo "engine-test: $(basename "$zip") unzipped into a new project: editor import and a call passed"
    ;;
  export)
    game="$ROOT/target/godot/export-$name"
    rm -rf "$game"
    cp -rL "$project" "$game"
    rm -rf "$game/.godot"
    mkdir -p "$game/build"
    cat >"$game/export_presets.cfg" <<'EOF'
[preset.0]

name="Linux"
platform="Linux"
runnable=true
export_filter="all_resources"
include_filter=""
exclude_filter="build/*"
export_path="build/game.x86_64"

[preset.0.options]

binary_format/architecture="x86_64"
binary_format/embed_pck=false
custom_template/release="/usr/bin/godot-template-release"
EOF
    run --pre-import --timeout 300 --project "$game" --copy-back "$game" -- \
      --export-release Linux build/game.x86_64 || fail "export status $?"
    python3 "$HERE/engine_check.py" "$log" || fail "engine log check (export)"
    [[ -f "$game/build/libbosbase_godot.linux.template_release.x86_64.so" ]] ||
      fail "the export lacks the release library"
    run --timeout 300 --project "$game" --binary build/game.x86_64 || fail "game exit status $?"
    python3 "$HERE/engine_check.py" "$log" --allow-push-error --expect "${3:?missing TEXT}" ||
      fail "engine log check (game)"
    echo "engine-test: $name exported as a release game ($(du -sh "$game/build" | cut -f1)); it ran: $3"
    ;;
  quit)
    # A listener that never answers and outlives the engine (fault injection): the slow
    # calls would wait for their 20 s deadline if anything at exit waited for them.
    portfile="$(mktemp)"
    python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(300)' >"$portfile" &
    silent_pid=$!
    trap 'kill "$silent_pid" 2>/dev/null || true; rm -f "$portfile"' EXIT
    for _ in $(seq 50); do [[ -s "$portfile" ]] && break; sleep 0.1; done
    export BOSBASE_SILENT_PORT="$(cat "$portfile")"
    run --env BOSBASE_SILENT_PORT --pre-import --timeout 120 --project "$project" -- --script res://quit_pending.gd ||
      fail "engine exit status $?"
    # From the script's quit() (it prints the wall clock then) to the engine's exit.
    ended_ms=$(($(date +%s%N) / 1000000))
    quit_ms=$(sed -n 's/^quit-pending: quit at \([0-9]*\) ms$/\1/p' "$log")
    [[ -n "$quit_ms" ]] || fail "no quit time in the log"
    ms=$((ended_ms - quit_ms))
    python3 "$HERE/engine_check.py" "$log" --expect "quit-pending: 10 calls started, quitting" \
      --expect "quit-pending: realtime subscription confirmed: true" || fail "engine log check"
    # The slow calls' deadline is 20 s: an exit that waited for them would take that long.
    ((ms < 10000)) || fail "the engine took $ms ms to quit with calls pending"
    echo "engine-test: quit with 10 calls pending and 2 subscriptions: clean exit $ms ms after quit(), no error or leak report"
    ;;
  run)
    run --pre-import --timeout 300 --project "$project" || fail "engine exit status $?"
    python3 "$HERE/engine_check.py" "$log" --allow-push-error ${3:+--expect "$3"} ||
      fail "engine log check"
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -vE '^\s*$|^Godot Engine|\[ *[0-9]+% \]|\[ DONE \]' || true
    ;;
  *)
    echo "engine-test: unknown mode $mode" >&2
    exit 2
    ;;
esac
