# reqlab — see README.md. Two commands do everything: make run, make test.
GO       ?= go
WASM     := web/app.wasm
WASMMOD  := build/wasm.mod
BIN      := bin/reqlab
GOFILES  := $(shell find app wasm server -name '*.go' -not -name '*_test.go') go.mod go.sum

.PHONY: run build wasm test fuzz bench soak lighthouse deps chromium vet screenshot screenshots clean

run: build
	./$(BIN)

build: $(WASM) $(BIN)

wasm: $(WASM)

# The client is built against a copy of go-app whose server half is left
# out of js/wasm builds (see wasm/trim): 1.5 MB less to download.
$(WASMMOD): go.mod go.sum wasm/trim/main.go
	$(GO) run ./wasm/trim build

$(WASM): $(GOFILES) $(WASMMOD)
	GOOS=js GOARCH=wasm $(GO) build -modfile $(WASMMOD) -trimpath -ldflags='-s -w' -o $@ ./wasm
	$(GO) run ./server/precompress $@

# One binary: the web files, the wasm client among them, are built in.
$(BIN): $(WASM) $(GOFILES) $(shell find server -name '*.sql') $(wildcard web/*)
	CGO_ENABLED=1 $(GO) build -trimpath -o $@ ./server

vet:
	@unformatted=$$(gofmt -l app server wasm); if [ -n "$$unformatted" ]; then echo "gofmt -w these:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/... ./wasm/...

# Every test: unit, integration and real-browser tests in headless Chromium.
test: deps $(WASM) vet
	$(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) --no-print-directory fuzz FUZZ_REQUEST=50000x FUZZ_DECODE=100000x FUZZ_ENCODERS=5000x

# The fuzz targets, each for a while (their seeds, in testdata, also run with
# every go test): request rules, the websocket decoder, the run and HAR
# encoders. make test gives each a number of runs (about 3 s here) rather than
# a time: Go 1.26's fuzzer can fail a target with "context deadline exceeded"
# when its own time limit ends mid-run (golang/go#75804, fixed in Go 1.27),
# and a count has no time limit to race.
FUZZTIME ?= 30s
FUZZ_REQUEST ?= $(FUZZTIME)
FUZZ_DECODE ?= $(FUZZTIME)
FUZZ_ENCODERS ?= $(FUZZTIME)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRequestCheck$$' -fuzztime $(FUZZ_REQUEST) ./app/stage
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZ_DECODE) ./app/wire
	$(GO) test -run '^$$' -fuzz '^FuzzEncoders$$' -fuzztime $(FUZZ_ENCODERS) ./server/har

# The speed and memory benchmarks, each printed beside its target (see
# BENCHMARKS.md). Figures, not pass/fail: this machine is shared and noisy.
bench: deps $(WASM)
	@$(GO) test -count=1 -run '^TestWasmWithinBudget$$' -v ./server | grep -E 'budget|^(ok|FAIL)'
	$(GO) test -run '^$$' -bench . -benchtime 2s ./server/sqlite ./server/site ./server/postgres
	@$(GO) test -count=1 -run '^TestATransactionBudgetPerRun$$' -v ./server | grep -E 'PostgreSQL transactions|^(ok|FAIL)'
	$(GO) test -run '^$$' -bench CrossServerDelivery -benchtime 5x ./server/runs
	$(GO) test -run '^$$' -bench EventDelivery -benchtime 5x ./server/hub
	$(GO) test -run '^$$' -bench IdleConnMemory -benchtime 1x ./server/hub
	$(GO) test -run '^$$' -bench 'First(Load|Run)' -benchtime 5x ./server

# The load test (docs/CONTRACT.md): SERVERS lab servers, each its own process,
# on one store (DB=postgres, or sqlite for one server), behind nginx as one
# address; SESSIONS websockets each making RATE runs a minute for SECONDS; on
# loopback, everything started and stopped by the test. Before it, issue 24's
# adversarial phases (ADVERSARIAL=0 skips them). Where each core's time went
# is printed, then, last, exactly
# soak: servers=N sessions=N runs=N stored=N lost=N errors=N p99_ms=N
# (stored counted in the store); the exit status is the tests'.
SERVERS     ?= 3
SESSIONS    ?= 3000
SECONDS     ?= 60
DB          ?= postgres
RATE        ?= 6
ADVERSARIAL ?= 1
soak: deps $(WASM)
	@mkdir -p build
	{ REQLAB_SOAK=1 REQLAB_SOAK_SERVERS=$(SERVERS) REQLAB_SOAK_SESSIONS=$(SESSIONS) REQLAB_SOAK_SECONDS=$(SECONDS) \
	  REQLAB_SOAK_DB=$(DB) REQLAB_SOAK_RATE=$(RATE) REQLAB_SOAK_ADVERSARIAL=$(ADVERSARIAL) \
	  $(GO) test -count=1 -run '^TestSoak(Adversarial)?$$' -timeout 30m -v ./server; echo $$? > build/soak.status; } 2>&1 | tee build/soak.log
	@grep -E '^soak (postgres|delivery|cpu|target)' build/soak.log; grep '^soak: ' build/soak.log | tail -1; exit $$(cat build/soak.status)

# Lighthouse's page audits of /, every lesson, an embed and a run's page, mobile
# defaults, median of three, each beside its target (not part of make test).
# Lighthouse 12.2.3 comes from npm into build/ (13.x needs Node 22).
LIGHTHOUSE := build/lighthouse/node_modules/.bin/lighthouse
$(LIGHTHOUSE):
	mkdir -p build/lighthouse
	npm install --silent --no-audit --no-fund --prefix build/lighthouse lighthouse@12.2.3

lighthouse: chromium $(BIN) $(LIGHTHOUSE)
	$(GO) run ./server/lighthouse -bin $(BIN) -lighthouse $(LIGHTHOUSE)

# What the tests need besides Go: Chromium for the browser tests, PostgreSQL
# for the shared store's, nginx for the deployment test. Installed with
# apt-get when run as root (as CI is), otherwise the one command to run is
# printed.
NEED_CHROMIUM := command -v chromium >/dev/null 2>&1
NEED_POSTGRES := ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
NEED_NGINX    := command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx
deps:
	@missing=""; \
	$(NEED_CHROMIUM) || missing="$$missing chromium fonts-dejavu-core"; \
	$(NEED_POSTGRES) || missing="$$missing postgresql"; \
	$(NEED_NGINX) || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing for the tests (apt-get):$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	    for s in postgresql nginx; do service $$s stop >/dev/null 2>&1 || true; done; \
	  else \
	    echo "The tests need:$$missing. Install with:"; \
	    echo "  sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

# Chromium alone, for the benchmarks.
chromium:
	@$(NEED_CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Chromium (apt-get)…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else \
	    echo "Chromium is needed. Install it with:"; \
	    echo "  sudo apt-get install -y chromium"; \
	    exit 1; \
	  fi; \
	}

# The README's pictures, taken by the browser tests: the lab after a run, and
# the request's path mid-run on a slow network.
screenshot: chromium $(WASM)
	$(GO) test -count=1 ./server -run TestBrowserSendsARealRequest -args -screenshot testdata/screenshot.png
	$(GO) test -count=1 ./server -run TestPictureIsLiveOnASlowNetwork -args -picture-screenshot testdata/picture-midrun.png

# What a student sees of every lesson, first and after its first step, at a
# laptop's (1366×768) and a phone's (390×844) size, light and dark, and in a
# course's 760×520 frame:
# build/screenshots.
screenshots: chromium $(WASM)
	$(GO) test -count=1 -timeout 20m ./server -run '^TestScreenshots$$' -args -screenshots $(CURDIR)/build/screenshots

clean:
	rm -rf bin build $(WASM) $(WASM).br $(WASM).gz
