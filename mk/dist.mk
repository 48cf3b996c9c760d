# Release artefacts (scripts/dist) and their consumers outside the checkout (tests/dist/).
#   make dist         every target this machine can build: linux-x86_64 here, linux-aarch64 and
#                     windows-x86_64 with Debian's cross toolchains in target/xbuild-*-root
#                     (scripts/xbuild installs them on first use)
#   make test-dist    the consumers of each artefact, per target (arm64 under qemu-user,
#                     Windows under wine 10), each running the token flow against the dev server
# DIST_TARGETS=linux-x86_64 limits both to this machine's target: that is what `make test`
# runs (fast, no cross root); CI runs the cross targets separately (.ci/run-dist).
TEST_PARTS += dist

DIST_TARGETS ?= linux-x86_64 linux-aarch64 windows-x86_64
DIST_CROSS := $(filter-out linux-x86_64,$(DIST_TARGETS))
XBUILD := $(ROOT)/scripts/xbuild
# Cross builds go to their own target dirs (Debian's rustc 1.96 beside the host's toolchain), one
# per target: the Windows build's RUSTC_BOOTSTRAP would otherwise make the other rebuild the
# build scripts that watch it (proc-macro2 and friends) every time.
XBUILD_CARGO = env CARGO_TARGET_DIR=$(ROOT)/target/xbuild-target/$(1) \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
	CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc nice -n 10 cargo build --release --locked --lib

.PHONY: dist dist-cores dist-core-linux-aarch64 dist-core-windows-x86_64 dist-stage test-dist dist-test dist-versions

dist: dist-cores dist-stage
	$(ROOT)/scripts/dist pack $(DIST_TARGETS)

dist-cores: core-release $(DIST_CROSS:%=dist-core-%)

dist-core-linux-aarch64:
	$(XBUILD) -- $(call XBUILD_CARGO,linux-aarch64) --target aarch64-unknown-linux-gnu

# No Debian suite ships a Windows std newer than 1.63: std is built from rust-web-src
# (-Zbuild-std, which a stable compiler allows only with RUSTC_BOOTSTRAP=1).
dist-core-windows-x86_64:
	$(XBUILD) -- env RUSTC_BOOTSTRAP=1 $(call XBUILD_CARGO,windows-x86_64) -Zbuild-std --target x86_64-pc-windows-gnu

# The Godot header comes from a host cargo helper; the cross roots reuse it.
dist-stage: dist-cores
	$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) $(ROOT)/target/godot/include/gdextension_interface.h
	$(if $(filter linux-x86_64,$(DIST_TARGETS)),$(ROOT)/scripts/dist stage linux-x86_64)
	$(foreach t,$(DIST_CROSS),$(XBUILD) -- scripts/dist stage $(t);)

test-dist: devserver-build elixir-tools
	tests/dist/consumers.sh $(DIST_TARGETS)

dist-versions:
	tests/dist/versions_test.sh

# In `make test`: one version everywhere, then this machine's artefacts and their consumers.
dist-test: dist-versions devserver-build
	$(MAKE) --no-print-directory dist test-dist DIST_TARGETS=linux-x86_64
