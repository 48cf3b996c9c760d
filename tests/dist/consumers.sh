#!/usr/bin/env bash
# The artefacts of `make dist` (target/dist/) used the way a user outside this repository uses
# them: each is unpacked or fetched into a fresh project in a temporary directory, built with
# its ecosystem's own tool and no cargo/rustc on the PATH (Rust's consumer aside), and runs the
# token flow against a fresh dev server. Copies of the examples are the consumers' code.
#
#   tests/dist/consumers.sh TARGET...
#     linux-x86_64    Go (seed 001), C (pkg-config shared + static, CMake static C + shared C++),
#                     Elixir (seed 000), Rust (seed 002), Godot (the zip in a fresh project, engine)
#     linux-aarch64   Go and C built with the cross compilers, run under qemu-aarch64 -L /
#                     (in the cross root, scripts/xbuild); the zip's arm64 Godot library in the
#                     engine-less C test host (bindings/godot/tests) under qemu
#     windows-x86_64  Go and C built with mingw-w64, run under wine 10 (scripts/xbuild --root wine)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="${BOSBASE_DIST_DIR:-$REPO/target/dist}"
VERSION="$("$REPO/scripts/check-versions" --print)"
GO_MODULE=github.com/bosbase/bosbase-native/bindings/go
XBUILD="$REPO/scripts/xbuild"
DEVSERVER="$REPO/scripts/devserver --demo --"
fail() { echo "test-dist: $*" >&2; exit 1; }
step() { echo "test-dist: [${SECONDS}s] $*"; }

# A directory no helper of the repository's build lives in. Cross roots see it (xbuild binds $TMPDIR).
WORK="$(mktemp -d /tmp/bosbase-dist-test.XXXXXX)"
cleanup() { chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export TMPDIR="$WORK"

# PATH without any directory holding cargo or rustc: the consumers must not need Rust.
NO_RUST_PATH="$(tr ':' '\n' <<<"$PATH" | while read -r d; do
  [[ -n "$d" && ! -e "$d/cargo" && ! -e "$d/rustc" ]] && echo "$d"; done | paste -sd:)"
env PATH="$NO_RUST_PATH" bash -c '! command -v cargo && ! command -v rustc' >/dev/null ||
  fail "cannot make a PATH without cargo"
no_rust() (
  unset BOSBASE_ROOT BOSBASE_STATIC_LIB BOSBASE_STATIC_LIBS CARGO_HOME
  export PATH="$NO_RUST_PATH"
  "$@"
)

# Go through the file GOPROXY only: no network, no checksum database, the module at vVERSION.
go_env=(GOPROXY="file://$DIST/goproxy" GOFLAGS="-mod=mod -buildvcs=false" GOSUMDB=off GONOSUMDB='*'
  GOPRIVATE= GOTOOLCHAIN=local GOMODCACHE="$WORK/gomodcache" CGO_ENABLED=1)

# A fresh module whose main.go is seed 001's example; prints the resolved binding version.
go_project() {
  local dir="$WORK/$1"
  mkdir -p "$dir"
  printf 'module example.com/bosbase-consumer\n\ngo 1.19\n' >"$dir/go.mod"
  cp "$REPO/examples/go/main.go" "$dir/"
}

# The dist target a Godot library of the .gdextension belongs to (bin/...linux...arm64.so -> linux-aarch64).
lib_target() {
  case "$1" in
    *.linux.*.x86_64.so) echo linux-x86_64 ;; *.linux.*.arm64.so) echo linux-aarch64 ;;
    *.windows.*.x86_64.dll) echo windows-x86_64 ;; *) echo unknown ;;
  esac
}
# The targets `make dist` packed (from the SDK archives present).
DIST_BUILT=
for t in linux-x86_64 linux-aarch64 windows-x86_64; do
  [[ -f "$DIST/bosbase-$VERSION-$t.tar.gz" || -f "$DIST/bosbase-$VERSION-$t.zip" ]] && DIST_BUILT+=" $t"
done

sdk_dir() { echo "$WORK/sdk-$1/bosbase-$VERSION-$1"; }
unpack_sdk() {
  mkdir -p "$WORK/sdk-$1"
  if [[ "$1" == windows-* ]]; then unzip -q "$DIST/bosbase-$VERSION-$1.zip" -d "$WORK/sdk-$1"
  else tar -C "$WORK/sdk-$1" -xzf "$DIST/bosbase-$VERSION-$1.tar.gz"; fi
  # The examples and a CMake project, copied: nothing below refers to the checkout.
  mkdir -p "$WORK/c-$1"
  cp "$REPO/examples/c/token_flow.c" "$REPO/examples/cpp/token_flow.cpp" "$REPO/tests/dist/CMakeLists.txt" "$WORK/c-$1/"
}

# C against the SDK with pkg-config (shared and static) and CMake; CC/CXX and CMake flags per
# target. Writes the programs into $WORK/c-TARGET/.
build_c() {
  local t="$1" cc="$2" cxx="$3" sdk c exe="" cmake_flags=("${@:4}")
  sdk="$(sdk_dir "$t")" c="$WORK/c-$t"
  [[ "$t" == windows-* ]] && exe=.exe
  export PKG_CONFIG_PATH="$sdk/lib/pkgconfig"
  [[ "$(pkg-config --modversion bosbase)" == "$VERSION" ]] || fail "$t: pkg-config --modversion is not $VERSION"
  [[ "$(pkg-config --variable=includedir bosbase)" -ef "$sdk/include" ]] || fail "$t: the .pc file is not relocatable"
  # shellcheck disable=SC2046
  "$cc" -std=c11 -o "$c/pc_shared$exe" "$c/token_flow.c" $(pkg-config --cflags --libs bosbase)
  # shellcheck disable=SC2046
  "$cc" -std=c11 -o "$c/pc_static$exe" "$c/token_flow.c" $(pkg-config --cflags bosbase) "$sdk/lib/libbosbase.a" \
    $(pkg-config --libs-only-l --static bosbase | sed 's/-lbosbase//')
  cmake -S "$c" -B "$c/cmake" -DCMAKE_PREFIX_PATH="$sdk" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    "${cmake_flags[@]}" >/dev/null
  cmake --build "$c/cmake" >/dev/null
  if [[ "$t" == windows-* ]]; then cp "$sdk/bin/bosbase.dll" "$c/"; cp "$sdk/bin/bosbase.dll" "$c/cmake/"; fi
}

test_linux_x86_64() {
  local t=linux-x86_64
  step "$t: Go module $GO_MODULE@v$VERSION from the file GOPROXY"
  go_project go
  (cd "$WORK/go" && no_rust env "${go_env[@]}" go get "$GO_MODULE@v$VERSION" >/dev/null 2>&1 &&
    no_rust env "${go_env[@]}" go build -o consumer . &&
    [[ "$(no_rust env "${go_env[@]}" go list -m -f '{{.Version}}' "$GO_MODULE")" == "v$VERSION" ]]) ||
    fail "$t: the Go consumer does not build"
  $DEVSERVER "$WORK/go/consumer" >"$WORK/go.out" || { cat "$WORK/go.out"; fail "$t: Go seed 001 failed"; }

  step "$t: C/C++ SDK with pkg-config and CMake"
  unpack_sdk "$t"
  no_rust build_c "$t" cc c++
  local c="$WORK/c-$t"
  $DEVSERVER bash -c "set -e; LD_LIBRARY_PATH='$(sdk_dir "$t")/lib' '$c/pc_shared' >/dev/null; '$c/pc_static' >/dev/null;
    '$c/cmake/token_flow_c' >/dev/null; LD_LIBRARY_PATH='$(sdk_dir "$t")/lib' '$c/cmake/token_flow_cpp' >/dev/null" ||
    fail "$t: a C/C++ consumer failed"

  step "$t: Elixir package by path, NIF against the prebuilt core"
  mkdir -p "$WORK/elixir-pkg" "$WORK/elixir/lib"
  tar -C "$WORK/elixir-pkg" -xzf "$DIST/bosbase-elixir-$VERSION.tar.gz"
  cat >"$WORK/elixir/mix.exs" <<EOF
defmodule Consumer.MixProject do
  use Mix.Project
  def project, do: [app: :consumer, version: "0.0.1", elixir: "~> 1.14", deps: [{:bosbase, path: "$WORK/elixir-pkg/bosbase-$VERSION"}]]
  def application, do: [extra_applications: [:logger]]
end
EOF
  cp "$REPO/examples/elixir/lib/"*.ex "$WORK/elixir/lib/"
  cp "$REPO/examples/elixir/complete_example.exs" "$WORK/elixir/"
  (cd "$WORK/elixir" && no_rust env MIX_HOME="$WORK/mix-home" HEX_OFFLINE=1 mix compile >"$WORK/elixir.out" 2>&1) ||
    { cat "$WORK/elixir.out"; fail "$t: the Elixir consumer does not compile"; }
  (cd "$WORK/elixir" && $DEVSERVER env PATH="$NO_RUST_PATH" MIX_HOME="$WORK/mix-home" HEX_OFFLINE=1 \
    mix run complete_example.exs >"$WORK/elixir.out" 2>&1) || { cat "$WORK/elixir.out"; fail "$t: Elixir seed 000 failed"; }
  grep -q "Authenticated as: user@example.com" "$WORK/elixir.out" || fail "$t: Elixir seed 000 did not sign in"
  # BOSBASE_BUILD_FROM_SOURCE=1 switches to a cargo build of native/source: without cargo it fails.
  if (cd "$WORK/elixir" && no_rust env BOSBASE_BUILD_FROM_SOURCE=1 MIX_HOME="$WORK/mix-home" HEX_OFFLINE=1 \
    mix deps.compile bosbase --force >"$WORK/elixir.out" 2>&1); then
    fail "$t: BOSBASE_BUILD_FROM_SOURCE=1 compiled without cargo"
  fi
  grep -q "cargo build --release --locked --lib --manifest-path $WORK/elixir-pkg/bosbase-$VERSION/native/source" \
    "$WORK/elixir.out" || { cat "$WORK/elixir.out"; fail "$t: BOSBASE_BUILD_FROM_SOURCE=1 did not try cargo on native/source"; }

  step "$t: Rust crate by path (bosbase-$VERSION.crate)"
  mkdir -p "$WORK/crate" "$WORK/rust/src"
  tar -C "$WORK/crate" -xzf "$DIST/bosbase-$VERSION.crate"
  cat >"$WORK/rust/Cargo.toml" <<EOF
[package]
name = "bosbase-consumer"
version = "0.0.1"
edition = "2021"
publish = false

[dependencies]
bosbase = { path = "$WORK/crate/bosbase-$VERSION" }
tokio = { version = "1", features = ["rt", "rt-multi-thread", "macros", "time"] }

[workspace]
EOF
  # The crate's lock pins the dependencies (and lets the repository's build cache serve them).
  cp "$WORK/crate/bosbase-$VERSION/Cargo.lock" "$WORK/rust/"
  cp "$REPO/examples/rust/seed_tokio.rs" "$WORK/rust/src/main.rs"
  cp "$REPO/examples/rust/seed.rs" "$WORK/rust/src/"
  (cd "$WORK/rust" && CARGO_TARGET_DIR="${BOSBASE_DIST_RUST_TARGET:-$REPO/target}" \
    $DEVSERVER cargo run --quiet >"$WORK/rust.out" 2>&1) || { cat "$WORK/rust.out"; fail "$t: Rust seed 002 failed"; }
  grep -q "token flow OK" "$WORK/rust.out" || fail "$t: Rust seed 002 printed no success"

  step "$t: Godot addon zip in a fresh project, in the engine"
  local zip="$DIST/bosbase-godot-addon-$VERSION.zip"
  # Every library the zip's .gdextension names is in the zip (with every target built: all six).
  local listing named rel
  listing="$(unzip -Z1 "$zip")"
  named="$(unzip -p "$zip" addons/bosbase/bosbase.gdextension | sed -n 's/^[a-z0-9_.]* = "res:\/\/\(addons\/bosbase\/bin\/[^"]*\)"$/\1/p')"
  for rel in $named; do
    grep -qxF "$rel" <<<"$listing" || [[ " $DIST_BUILT " != *" $(lib_target "$rel") "* ]] ||
      fail "the addon zip lacks $rel"
  done
  grep -qxF addons/bosbase/bin/libbosbase_godot.linux.template_release.x86_64.so <<<"$listing" ||
    fail "the addon zip lacks linux x86_64"
  $DEVSERVER "$REPO/bindings/godot/tests/engine_test.sh" zip "$zip" >"$WORK/godot.out" 2>&1 ||
    { tail -30 "$WORK/godot.out"; fail "$t: the addon from the zip failed in the engine"; }
}

# Inside the cross root: build with the cross compilers (and run there under qemu), or build
# for Windows and run in the wine root.
test_linux_aarch64() {
  local t=linux-aarch64 c="$WORK/c-linux-aarch64"
  step "$t: Go (CC=aarch64-linux-gnu-gcc) and C (pkg-config, CMake) under qemu-aarch64"
  go_project go-arm64
  unpack_sdk "$t"
  "$XBUILD" -- env -C "$WORK/go-arm64" "${go_env[@]}" GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc \
    sh -c "go get $GO_MODULE@v$VERSION >/dev/null 2>&1 && go build -o consumer ." || fail "$t: the Go consumer does not build"
  "$XBUILD" -- env TMPDIR="$WORK" bash -c "$(declare -f build_c fail sdk_dir); WORK='$WORK' VERSION='$VERSION'
    build_c $t aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64" ||
    fail "$t: the C consumers do not build"
  local q="qemu-aarch64 -L /" lib="$(sdk_dir "$t")/lib"
  $DEVSERVER "$XBUILD" -- bash -c "set -e; $q '$WORK/go-arm64/consumer' >/dev/null; $q -E LD_LIBRARY_PATH='$lib' '$c/pc_shared' >/dev/null;
    $q '$c/pc_static' >/dev/null; $q '$c/cmake/token_flow_c' >/dev/null; $q -E LD_LIBRARY_PATH='$lib' '$c/cmake/token_flow_cpp' >/dev/null" ||
    fail "$t: a consumer failed under qemu"

  step "$t: the addon zip's arm64 Godot library in the engine-less test host, under qemu-aarch64"
  local g="$REPO/bindings/godot" host="$WORK/godot-host-arm64"
  mkdir -p "$WORK/godot-arm64" && unzip -q "$DIST/bosbase-godot-addon-$VERSION.zip" -d "$WORK/godot-arm64"
  "$XBUILD" -- aarch64-linux-gnu-gcc -std=c11 -Wall -Wextra -Werror -g -I"$g/tests" -I"$REPO/include" \
    -I"$REPO/target/godot/include" "$g/tests/host.c" "$g/tests/test_extension.c" -o "$host" -ldl -lpthread
  $DEVSERVER "$XBUILD" -- $q "$host" "$WORK/godot-arm64/addons/bosbase/bin/libbosbase_godot.linux.template_release.arm64.so" \
    bosbase_godot_init >"$WORK/godot-arm64.out" 2>&1 || { tail -20 "$WORK/godot-arm64.out"; fail "$t: the Godot test host failed"; }
  grep -q "^godot: [0-9]* passed, 0 failed" "$WORK/godot-arm64.out" || fail "$t: the Godot test host reported failures"
}

test_windows_x86_64() {
  local t=windows-x86_64 c="$WORK/c-windows-x86_64"
  step "$t: Go (mingw-w64) and C (pkg-config, CMake) under wine"
  go_project go-windows
  unpack_sdk "$t"
  "$XBUILD" -- env -C "$WORK/go-windows" "${go_env[@]}" GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
    sh -c "go get $GO_MODULE@v$VERSION >/dev/null 2>&1 && go build -o consumer.exe ." || fail "$t: the Go consumer does not build"
  "$XBUILD" -- env TMPDIR="$WORK" bash -c "$(declare -f build_c fail sdk_dir); WORK='$WORK' VERSION='$VERSION'
    build_c $t x86_64-w64-mingw32-gcc x86_64-w64-mingw32-g++ -DCMAKE_SYSTEM_NAME=Windows \
      '-DCMAKE_EXE_LINKER_FLAGS=-static-libgcc -static-libstdc++'" ||
    fail "$t: the C consumers do not build"
  # One wine prefix, kept under target/ (its first creation takes the longest). The wineserver
  # is stopped before the root's mounts go (a lingering one would serve the next run without them).
  local w="env WINEPREFIX=$REPO/target/xbuild-wineprefix wine"
  $DEVSERVER "$XBUILD" --root wine -- bash -c "trap 'WINEPREFIX=$REPO/target/xbuild-wineprefix wineserver -k' EXIT; set -e; $w '$WORK/go-windows/consumer.exe' >/dev/null; $w '$c/pc_shared.exe' >/dev/null;
    $w '$c/pc_static.exe' >/dev/null; $w '$c/cmake/token_flow_c.exe' >/dev/null; $w '$c/cmake/token_flow_cpp.exe' >/dev/null" ||
    fail "$t: a consumer failed under wine"
}

(($# > 0)) || fail "name the targets (linux-x86_64 linux-aarch64 windows-x86_64)"
for t in "$@"; do
  start=$SECONDS
  "test_${t//-/_}"
  step "$t: all consumers passed in $((SECONDS - start)) s"
done
