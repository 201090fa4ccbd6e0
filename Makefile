# Redoubt. `make` lists the targets.
GO       ?= go
BIN      := bin/redoubt
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/redoubtdb/redoubt/daemon.RedoubtVersion=$(VERSION)
PKGS     := ./...

.DEFAULT_GOAL := help
.PHONY: help build run test test-short test-redis-suite lint fuzz bench bench-quick bench-rdb clean generate

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/redoubt
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/redoubt

run: build ## start a server on 127.0.0.1:6379 with data in ./data
	./$(BIN) server --bind 127.0.0.1 --port 6379 --dir ./data

test: build ## run every test (unit, scenarios, integration against the real binary and redis)
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 12m $(PKGS)

test-redis-suite: build ## only Redis 7.0.15's own test suite against bin/redoubt (part of make test; needs tclsh)
	REDOUBT_REQUIRE_REDIS_SUITE=1 $(GO) test -count=1 -timeout 12m -run 'TestRedisSuite' -v ./cmd/redoubt

test-short: ## unit tests only (no servers started)
	$(GO) test -short -count=1 $(PKGS)

lint: ## gofmt, go vet, staticcheck if installed
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	@if command -v staticcheck >/dev/null; then staticcheck $(PKGS); fi

FUZZTIME ?= 30s
fuzz: ## run every fuzz target for FUZZTIME each
	$(GO) test ./netio/resp -run '^$$' -fuzz '^FuzzReadCommand$$' -fuzztime $(FUZZTIME)
	$(GO) test ./netio/resp -run '^$$' -fuzz '^FuzzReadReply$$' -fuzztime $(FUZZTIME)
	$(GO) test ./conf -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./storage -run '^$$' -fuzz '^FuzzDecodeMeta$$' -fuzztime $(FUZZTIME)
	$(GO) test ./daemon/glob -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(FUZZTIME)
	$(GO) test ./storage/rdb -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME)
	$(GO) test ./storage/rdb -run '^$$' -fuzz '^FuzzParsePayload$$' -fuzztime $(FUZZTIME)
	$(GO) test ./storage/rdb -run '^$$' -fuzz '^FuzzLZFDecompress$$' -fuzztime $(FUZZTIME)
	$(GO) test ./storage/rdb -run '^$$' -fuzz '^FuzzLZF$$' -fuzztime $(FUZZTIME)
	$(GO) test ./daemon/acl -run '^$$' -fuzz '^FuzzSetUser$$' -fuzztime $(FUZZTIME)
	$(GO) test ./daemon -run '^$$' -fuzz '^FuzzCommands$$' -fuzztime $(FUZZTIME)
	$(GO) test ./daemon -run '^$$' -fuzz '^FuzzCommandsPebble$$' -fuzztime $(FUZZTIME)
	$(GO) test ./daemon -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME)
	$(GO) test ./daemon -run '^$$' -fuzz '^FuzzImportPebble$$' -fuzztime $(FUZZTIME)

bench: build ## compare Redoubt with redis-server side by side: full suite, 3 rounds (about 17 minutes)
	$(GO) run ./bench/cmd/redoubt-bench -redoubt ./$(BIN)

bench-quick: build ## two short rounds of every workload, read against the last full run (under 2 minutes)
	$(GO) run ./bench/cmd/redoubt-bench -redoubt ./$(BIN) -quick

bench-rdb: build ## BGSAVE, writes during BGSAVE and RDB load, next to redis-server (1M keys)
	$(GO) run ./bench/cmd/redoubt-rdbbench -redoubt ./$(BIN)

generate: ## regenerate daemon/commands.json from a redis-server 7.0 on 127.0.0.1:6379
	$(GO) run ./daemon/internal/cmdgen -addr 127.0.0.1:6379 > daemon/commands.json

clean: ## remove build outputs
	rm -rf bin
