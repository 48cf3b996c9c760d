# `make install PREFIX=/usr/local`: libraries, headers, pkg-config file and CMake package.
TEST_PARTS += install
PREFIX ?= /usr/local
BOSBASE_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' $(ROOT)/Cargo.toml | head -1)

.PHONY: install install-test

install: core-release
	install -d $(PREFIX)/lib/pkgconfig $(PREFIX)/lib/cmake/bosbase $(PREFIX)/include
	install -m 644 target/release/libbosbase.a $(PREFIX)/lib/
	install -m 755 target/release/libbosbase.so $(PREFIX)/lib/
	install -m 644 include/bosbase.h include/bosbase.hpp include/bosbase_operations_gen.hpp $(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(BOSBASE_VERSION)|' -e 's|@STATIC_LIBS@|$(BOSBASE_STATIC_LIBS)|' \
		packaging/bosbase.pc.in > $(PREFIX)/lib/pkgconfig/bosbase.pc
	sed -e 's|@VERSION@|$(BOSBASE_VERSION)|' -e 's|@STATIC_LIBS_CMAKE@|$(subst -l,,$(subst $() ,;,$(BOSBASE_STATIC_LIBS)))|' \
		packaging/bosbaseConfig.cmake.in > $(PREFIX)/lib/cmake/bosbase/bosbaseConfig.cmake
	sed -e 's|@VERSION@|$(BOSBASE_VERSION)|' packaging/bosbaseConfigVersion.cmake.in \
		> $(PREFIX)/lib/cmake/bosbase/bosbaseConfigVersion.cmake

# Installs into a scratch prefix, then builds the C example with pkg-config (static and
# shared) and both examples with CMake's find_package, and runs them against the dev server.
INSTALL_TEST_DIR := $(ROOT)/target/install-test
install-test: devserver-build
	rm -rf $(INSTALL_TEST_DIR) && $(MAKE) --no-print-directory install PREFIX=$(INSTALL_TEST_DIR)/prefix
	export PKG_CONFIG_PATH=$(INSTALL_TEST_DIR)/prefix/lib/pkgconfig; \
	test "$$(pkg-config --modversion bosbase)" = "$(BOSBASE_VERSION)"; \
	cc -std=c11 -o $(INSTALL_TEST_DIR)/pc_shared examples/c/token_flow.c $$(pkg-config --cflags --libs bosbase); \
	cc -std=c11 -o $(INSTALL_TEST_DIR)/pc_static examples/c/token_flow.c $$(pkg-config --cflags bosbase) \
		$(INSTALL_TEST_DIR)/prefix/lib/libbosbase.a $$(pkg-config --libs-only-l --static bosbase | sed 's/-lbosbase//')
	cmake -S tests/cmake -B $(INSTALL_TEST_DIR)/cmake -DCMAKE_PREFIX_PATH=$(INSTALL_TEST_DIR)/prefix >/dev/null
	cmake --build $(INSTALL_TEST_DIR)/cmake >/dev/null
	scripts/devserver --demo -- bash -c 'set -e; \
		LD_LIBRARY_PATH=$(INSTALL_TEST_DIR)/prefix/lib $(INSTALL_TEST_DIR)/pc_shared >/dev/null; \
		$(INSTALL_TEST_DIR)/pc_static >/dev/null; \
		$(INSTALL_TEST_DIR)/cmake/token_flow_c >/dev/null; \
		LD_LIBRARY_PATH=$(INSTALL_TEST_DIR)/prefix/lib $(INSTALL_TEST_DIR)/cmake/token_flow_cpp >/dev/null'
	@echo "install: pkg-config (shared, static) and CMake (static C, shared C++) consumers ran the token flow"
