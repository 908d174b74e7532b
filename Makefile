# credmesh — see README.md. Every tool this file needs is installed by it into ./bin.
GO       ?= go
BIN      := $(CURDIR)/bin
BUF_VERSION           := v1.75.0
PROTOC_GEN_GO_VERSION := v1.36.10
PKGS     := ./...
# The version `credmesh version`, status and the agent string show.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  := -X github.com/credmesh/credmesh/internal/version.Version=$(VERSION)
# Packages with concurrency, run under the race detector by `make race`.
RACE_PKGS := ./chain/... ./p2p/... ./queryproto/... ./node/... ./api/... ./devnet/... ./simnet/...

.PHONY: all build test race bench bench-scale lint proto fuzz clean demo simnet chromium postgresql sim-shard

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/credmesh ./cmd/credmesh

## demo: a whole network of real peers on this machine (see `credmesh demo --help`);
## `make demo DEMOFLAGS=--keep` leaves it running and prints the explorer's URL.
DEMOFLAGS ?=
demo: build
	$(BIN)/credmesh demo $(DEMOFLAGS)

## simnet: the standard scenarios in wall-clock time, reports under SIMOUT.
SIMOUT ?= simnet-reports
simnet: build
	$(BIN)/credmesh sim --scenario standard --peers 12 --out $(SIMOUT)/standard
	$(BIN)/credmesh sim --scenario fanout --out $(SIMOUT)/fanout
	$(BIN)/credmesh sim --scenario faults --peers 12 --out $(SIMOUT)/faults
	$(BIN)/credmesh sim --scenario propagation --peers 24 --duration 20s --out $(SIMOUT)/propagation-24

## sim-shard: sharded replication (100 members, R = 5, two replicas of one
## chain crash) and routed credit reports (100 members), in virtual time,
## against full replication and asking everyone (docs/SCALE.md).
sim-shard:
	CREDMESH_SIM_LONG=1 go test -run 'TestShardScenario|TestRoutedReports' -v -timeout 90m ./simnet/

## chromium: the browser the explorer's tests drive, Debian's package, installed
## when missing (the explorer's tests fail, not skip, without it).
CHROMIUM ?= /usr/bin/chromium
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@test -x $(CHROMIUM) || { echo "installing Chromium from the distribution's packages"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

## postgresql: the database server the PostgreSQL credit source's tests start
## throwaway clusters of (initdb in a temporary directory, loopback only),
## Debian's package, installed when missing (those tests fail, not skip, without it).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
		echo "installing the PostgreSQL server from the distribution's packages"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql; }

## test: vet, then every package's tests (seed corpora of the fuzz targets included),
## the explorer's in headless Chromium.
test: chromium postgresql
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 15m $(PKGS)

## race: the concurrent packages under the race detector.
race:
	$(GO) test -count=1 -race -timeout 15m $(RACE_PKGS)

## bench: the benchmarks quoted in docs/BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3s ./chain/...
	$(GO) test -run '^$$' -bench . -benchtime 30000x ./queryproto/

## bench-scale: one peer's store built to SCALE_RECORDS payments (default
## 10,000,000) in a temporary directory while payments are looked up;
## prints ingest rate, RSS, disk and lookup latency every tenth of the way.
## 10 M took about 15-35 minutes on the 2-core development machine (see
## docs/BENCHMARKS.md); it stops adding at SCALE_MAX_DURATION (default 40m).
## SCALE_RECORDS=1000000 is a quick run of a few minutes.
SCALE_RECORDS ?= 10000000
SCALE_MAX_DURATION ?= 40m
bench-scale:
	CREDMESH_SCALE=1 SCALE_RECORDS=$(SCALE_RECORDS) SCALE_MAX_DURATION=$(SCALE_MAX_DURATION) \
		$(GO) test -count=1 -run '^TestScale$$' -v -timeout 60m ./chain/store/

## fuzz: each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for t in FuzzDecodeEntry FuzzDecodeCreditQuery FuzzDecodeBlock FuzzDecodeEvidence; do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./chain || exit 1; \
	done
	@for t in FuzzDecodeRequest FuzzDecodeResponse FuzzDecodeSignedQuery FuzzDecodeSignedAnswer FuzzReadFrame; do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./queryproto || exit 1; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

$(BIN)/buf:
	GOBIN=$(BIN) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)

$(BIN)/protoc-gen-go:
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

## proto: regenerate the committed Go code from proto/.
proto: $(BIN)/buf $(BIN)/protoc-gen-go
	$(BIN)/buf lint
	$(BIN)/buf generate

clean:
	rm -rf $(BIN)
