# The Go binding (bindings/go, cgo over include/bosbase.h) and seed 001's example (examples/go).
DEMO_PARTS += go
TEST_PARTS += go
BENCH_PARTS += go

GO_BINDING := $(ROOT)/bindings/go
GO_EXAMPLE := $(ROOT)/examples/go
GO_EXAMPLE_BIN := $(ROOT)/target/go-example
# The binding links the static core; cgo needs a C compiler.
export CGO_ENABLED := 1

.PHONY: go-toolchain go-build go-test go-demo go-bench

# Debian's golang-go (1.19) is enough for the binding (go.mod says 1.19); the dev server
# the tests start needs a newer Go, which its own part takes care of.
go-toolchain:
	@command -v go >/dev/null || (apt-get update && apt-get install -y golang-go)
	@command -v gcc >/dev/null || (apt-get update && apt-get install -y gcc libc6-dev)

# The module links only what it carries (bindings/go/ffi.go): the header and this machine's
# static core are copied in (ignored by git), only when they changed.
GO_HOST_LIB = $(GO_BINDING)/lib/$$(go env GOOS)-$$(go env GOARCH)
go-build: go-toolchain core-release
	mkdir -p $(GO_BINDING)/include $(GO_HOST_LIB)
	cmp -s $(ROOT)/include/bosbase.h $(GO_BINDING)/include/bosbase.h || cp $(ROOT)/include/bosbase.h $(GO_BINDING)/include/
	cmp -s $(BOSBASE_STATIC_LIB) $(GO_HOST_LIB)/libbosbase.a || cp $(BOSBASE_STATIC_LIB) $(GO_HOST_LIB)/
	cd $(GO_BINDING) && go build ./...
	cd $(GO_EXAMPLE) && go build -o $(GO_EXAMPLE_BIN) .

# vet and gofmt (any file `gofmt -l` lists fails the target, the generated operations_gen.go
# included), seed 001 itself (examples/go, the seed's code verbatim) against its own dev
# server, then the suite twice: plainly and under the race detector. TestMain starts its own
# dev server through scripts/devserver --build --demo (BOSBASE_URL is unset so it does).
# Both runs go under scripts/tls-fixture (one HTTPS server for both) so TestHTTPS runs;
# BOSBASE_TLS_REQUIRED makes it fail rather than skip if the fixture's variables are missing.
# Success is the marker the two runs leave (not the fixture's exit status, which is 143 after
# any command while its cleanup's `wait` on the killed server trips `set -e`).
# The pub/sub tests need the real BosBase server: against the dev server they skip, and
# the reason (collected in GO_TEST_NOTES by TestMain) is printed at the end.
GO_TEST_OK := $(ROOT)/target/go-test.ok
GO_TEST_NOTES := $(ROOT)/target/go-test.notes
go-test: go-build
	cd $(GO_BINDING) && go vet ./... && gofmt -l . | (! grep .)
	cd $(GO_EXAMPLE) && go vet ./... && gofmt -l . | (! grep .)
	env -u BOSBASE_URL $(ROOT)/scripts/devserver --build --demo -- $(GO_EXAMPLE_BIN)
	rm -f $(GO_TEST_OK) $(GO_TEST_NOTES) $(ROOT)/target/tmp/smoke-go.txt
	cd $(GO_BINDING) && env -u BOSBASE_URL BOSBASE_TLS_REQUIRED=1 BOSBASE_TEST_NOTES=$(GO_TEST_NOTES) \
	  $(ROOT)/scripts/tls-fixture -- \
	  sh -c 'go test -count=1 -timeout 20m ./... && go test -race -count=1 -timeout 30m ./... && touch $(GO_TEST_OK)' \
	  || test -f $(GO_TEST_OK)
	rm -f $(GO_TEST_OK)
	@cat $(ROOT)/target/tmp/smoke-go.txt
	@test ! -f $(GO_TEST_NOTES) || sort -u $(GO_TEST_NOTES)
	@rm -f $(GO_TEST_NOTES)

# Seed 001 against the server `make demo` started (BOSBASE_URL).
go-demo: go-build
	$(GO_EXAMPLE_BIN)

# BenchmarkAuthWithToken: the binding vs plain net/http, interleaved in one run; prints the ratio.
# BenchmarkFullListMemory: getFullList of 20,000 posts, peak RSS growth vs net/http + encoding/json.
# BenchmarkSlow256: 256 calls at once to a server answering in 200 ms, plain and ...Ctx calls
# vs net/http, each side in its own process: wall time, peak threads, peak RSS.
go-bench: go-build
	cd $(GO_BINDING) && env -u BOSBASE_URL go test -run '^$$' -bench AuthWithToken -benchtime 5s -count 1 .
	cd $(GO_BINDING) && env -u BOSBASE_URL go test -run '^$$' -bench FullListMemory -benchtime 1x -count 1 .
	cd $(GO_BINDING) && env -u BOSBASE_URL go test -run '^$$' -bench Slow256 -benchtime 1x -count 1 .
