# The dev server (devserver/): PocketBase plus BosBase's token-binding routes,
# the real server behind every test suite and the demo.
TEST_PARTS += devserver

ROOT ?= $(abspath .)
DEVSERVER_BIN := $(ROOT)/target/bosbase-devserver
# Test files do not end up in the binary, so editing them must not rebuild it.
DEVSERVER_SRCS := $(filter-out %_test.go,$(wildcard $(ROOT)/devserver/*.go)) \
	$(ROOT)/devserver/go.mod $(ROOT)/devserver/go.sum

.PHONY: devserver-build devserver-test

devserver-build: $(DEVSERVER_BIN)

$(DEVSERVER_BIN): $(DEVSERVER_SRCS)
	@mkdir -p $(dir $@)
	cd $(ROOT)/devserver && go build -o $@ .
	@touch $@ # go may leave an up-to-date binary untouched; keep make's mtime check honest

# Go tests (one per row of the behaviour table), vet, then the curl smoke
# test through the launcher against the freshly built binary.
devserver-test: $(DEVSERVER_BIN)
	cd $(ROOT)/devserver && go vet ./... && go test ./...
	env -u BOSBASE_URL BOSBASE_DEVSERVER_BIN=$(DEVSERVER_BIN) $(ROOT)/scripts/devserver-smoke
