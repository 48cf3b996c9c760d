# Elixir binding (bindings/elixir: mix project + C NIF) and seed 000's example
# (examples/elixir, a mix project using the binding as a path dependency).
DEMO_PARTS += elixir
TEST_PARTS += elixir
BENCH_PARTS += elixir

ELIXIR_DIR := $(ROOT)/bindings/elixir
ELIXIR_EXAMPLE_DIR := $(ROOT)/examples/elixir
# mix keeps its state under target/ and never contacts hex: the binding has no hex deps.
ELIXIR_ENV := MIX_HOME=$(ROOT)/target/mix-home HEX_OFFLINE=1 MIX_INSTALL_DIR=$(ROOT)/target/mix-install
# True when mix, the NIF headers and a JSON codec (Elixir JSON, OTP :json or jiffy) exist.
ELIXIR_TOOLS_OK := command -v mix >/dev/null 2>&1 && elixir -e 'nif = Path.join([:code.root_dir(), "erts-\#{:erlang.system_info(:version)}", "include", "erl_nif.h"]); json = Enum.any?([JSON, :json, :jiffy], &Code.ensure_loaded?/1); System.halt(if File.exists?(nif) and json, do: 0, else: 1)'

.PHONY: elixir-tools elixir-build elixir-test elixir-demo elixir-bench

# Debian bookworm: Elixir 1.14, OTP 25 (erlang-dev has erl_nif.h), jiffy as JSON codec.
elixir-tools:
	@$(ELIXIR_TOOLS_OK) || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y elixir erlang-dev erlang-jiffy gcc make; }

elixir-build: core-release elixir-tools
	cd $(ELIXIR_DIR) && $(ELIXIR_ENV) mix compile
	cd $(ELIXIR_EXAMPLE_DIR) && $(ELIXIR_ENV) mix compile

# Formatting (the generated lib/bosbase/operations_gen.ex included: the generator writes what
# `mix format` would), the ExUnit suite (its test_helper starts its own dev server through
# scripts/devserver) beside scripts/tls-fixture's HTTPS server, with BOSBASE_REQUIRE_TLS=1
# so the HTTPS tests can never be skipped here, then seed 000's example under MIX_ENV=prod
# as a path dependency.
elixir-test: core-release elixir-tools
	cd $(ELIXIR_DIR) && $(ELIXIR_ENV) mix format --check-formatted
	cd $(ELIXIR_EXAMPLE_DIR) && $(ELIXIR_ENV) mix format --check-formatted
	rm -f $(ROOT)/target/tmp/smoke-elixir.txt
	cd $(ELIXIR_DIR) && env -u BOSBASE_URL BOSBASE_REQUIRE_TLS=1 $(ELIXIR_ENV) \
		$(ROOT)/scripts/tls-fixture -- mix test
	@cat $(ROOT)/target/tmp/smoke-elixir.txt
	env -u BOSBASE_URL MIX_ENV=prod $(ROOT)/scripts/devserver --build --demo -- \
		$(MAKE) --no-print-directory -C $(ROOT) elixir-demo

# Runs against $(BOSBASE_URL), which `make demo` (or scripts/devserver) provides.
elixir-demo:
	cd $(ELIXIR_EXAMPLE_DIR) && $(ELIXIR_ENV) mix run complete_example.exs
	cd $(ELIXIR_EXAMPLE_DIR) && $(ELIXIR_ENV) mix run snippets.exs

# The NIF's own costs, then the binding against :httpc like with like (per-call medians,
# A/B order shuffled per round, the same headers on both sides), measured in one run; then
# getFullList of 20,000 posts, peak RSS growth vs :httpc + the same JSON codec
# (bench/full_list.exs); 256 concurrent calls to a slow loopback server vs :httpc (bench/slow.exs).
elixir-bench: core-release elixir-tools
	env -u BOSBASE_URL $(ROOT)/scripts/devserver --build --demo -- \
		bash -c 'cd $(ELIXIR_DIR) && $(ELIXIR_ENV) MIX_ENV=prod mix run bench/overhead.exs && \
			$(ELIXIR_ENV) MIX_ENV=prod mix run bench/full_list.exs'
	cd $(ELIXIR_DIR) && $(ELIXIR_ENV) MIX_ENV=prod mix run bench/slow.exs
