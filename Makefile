# The project's commands. `make dev` and `make test` are the README's quick start: each
# installs what it needs first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go
# Node is the version package.json pins as the npm package `node` (Node itself, from the npm
# registry; .node-version names the same), first on every target's PATH: jsii (the app, every
# stack and construct test, the bench's synth), the CDK CLI, dynalite and the browser tests run
# on it. Only the first `npm ci` runs on the machine's own Node (Debian's 20 will do): that is
# what installs it. TestMakeRunsThePinnedNode holds this to a Node the CDK supports.
export PATH := $(CURDIR)/node_modules/node/bin:$(PATH)
# Fuzz budget per target in `make test`, in executions (about 5 s each here): a duration races
# the fuzz coordinator's shutdown on a loaded machine and fails with a bare "context deadline
# exceeded" and no finding (go.dev/issue/75804, fixed in Go 1.27). Raise it for a longer local
# hunt: make fuzz FUZZTIME=5000000x (or a duration, FUZZTIME=2m, accepting that flake).
FUZZTIME ?= 150000x

NODE_STAMP := node_modules/.installed

.PHONY: test check unit fuzz lint deps versions dev synth deploy outputs smoke bench clean nginx-tools browser-test

## deps: the pinned Node tools (dynalite, the CDK CLI), from package-lock.json
deps: $(NODE_STAMP)
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@want=v$$(node -p 'require("./package.json").devDependencies.node'); have=$$(node --version); \
	if [ "$$have" != "$$want" ]; then \
	  echo "make deps: node is $$have ($$(command -v node)), not package.json's $$want: did npm skip the node package's install script?"; exit 1; \
	fi
	touch $@

## versions: the Go, Node and CDK CLI that the targets run
versions: deps
	@$(GO) version; echo "node $$(node --version)"; echo "cdk $$(CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk --version)"

## dev: the whole game on this machine, at http://localhost:8080: dynalite, the Lambda handlers
## behind the local WebSocket gateway, the site. Ctrl-C stops all of it. Flags go in DEV_FLAGS,
## e.g. make dev DEV_FLAGS='-addr 127.0.0.1:9090 -data .build/data' (docs/local.md)
DEV_FLAGS ?=
dev: deps
	$(GO) build -o .build/dev ./cmd/dev
	exec .build/dev $(DEV_FLAGS)

## test: every test: format and vet, unit and integration tests, a short fuzz of each target,
## the browser tests
test: check browser-test

## check: every test that needs no browser (the pipeline's synth step runs it)
check: deps lint unit fuzz

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd examples/chat && $(GO) vet ./...
	$(GO) tool actionlint -color=false

## unit: every Go test, then examples/chat's (a module of its own, which ./... leaves out): the
## blocks used from another module, synthesized with cdk-nag on
unit: deps nginx-tools
	$(GO) test -count=1 -timeout 15m ./...
	cd examples/chat && $(GO) test -count=1 -timeout 10m ./...

## nginx-tools: Debian's nginx, unzip and curl for the user data test (frontend/userdatatest),
## installed only when missing (Debian puts nginx in /usr/sbin, off a non-root PATH)
nginx-tools:
	@if ! { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || ! command -v unzip >/dev/null || ! command -v curl >/dev/null; then \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx unzip curl; \
	fi

## browser-test: the site in Debian's Chromium against cmd/dev, two players (e2e/browser), and
## its size and CSP checks. Chromium is installed only when missing; if it can't be had, the
## browser tests fail under CI=true and are skipped elsewhere, saying why (docs/site.md).
## CHROMIUM names another Chromium-based browser (GitHub's runners: /usr/bin/google-chrome).
export CHROMIUM ?= /usr/bin/chromium
browser-test: deps
	@if [ ! -x "$$CHROMIUM" ] && [ "$$CHROMIUM" = /usr/bin/chromium ]; then \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	    || echo "browser-test: could not install Debian's chromium"; \
	fi; \
	if [ ! -x "$$CHROMIUM" ]; then \
	  if [ "$${CI:-}" = true ]; then echo "browser-test: $$CHROMIUM is missing and CI=true: failing"; exit 1; fi; \
	  echo "browser-test: SKIPPING the browser tests: no $$CHROMIUM (apt-get install chromium)"; \
	fi
	GO=$(GO) node --test --test-reporter=spec e2e/browser/*.test.mjs

fuzz: deps
	$(GO) test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) ./lambda/protocol
	$(GO) test -run='^$$' -fuzz='^FuzzMoves$$' -fuzztime=$(FUZZTIME) ./lambda/game

## synth: every stack's CloudFormation template into cdk.out, the Lambdas built locally (no
## Docker). Offline: with no AWS credentials the stacks are environment-agnostic (with
## credentials the CDK CLI sets CDK_DEFAULT_ACCOUNT/REGION). More options through CDK_ARGS:
## make synth CDK_ARGS="-c env=prod -c alertEmail=ops@example.com". No telemetry, no notices.
synth: deps
	CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk synth --quiet --no-notices $(value CDK_ARGS)

## deploy: every stack (give settings as CDK_ARGS="-c env=prod ..."), the outputs of all of them
## collected in cdk-outputs.json
deploy: deps
	CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk deploy --all --no-notices --outputs-file cdk-outputs.json $(value CDK_ARGS)

## outputs: every stack output of the last `make deploy`, in one place, the teardown's list last
outputs:
	$(GO) run ./cmd/outputs

## smoke: one whole game against a deployment from the outside (cmd/smoke): the site's headers and
## config.js, two players, a room, a win, chat, a rematch, 18 moves timed, leaving. SITE is the
## Frontend stack's SiteUrl output; WS (optional) a socket to play through instead of
## config.js's; SMOKE_FLAGS more flags (-wait 5m: retry the site that long, as after a first
## deploy; -metrics: read the deployment's own side of the timed moves from its CloudWatch
## metrics, with AWS credentials). Against `make dev`: make smoke SITE=http://127.0.0.1:8080/
SITE ?=
WS ?=
SMOKE_FLAGS ?=
smoke:
	@if [ -z "$(SITE)" ]; then echo "make smoke: give SITE=<the SiteUrl output>, e.g. make smoke SITE=https://play.example.com/"; exit 2; fi
	$(GO) run ./cmd/smoke -site '$(SITE)' $(if $(WS),-ws '$(WS)') $(SMOKE_FLAGS)

clean:
	rm -rf cdk.out .build

## bench: Go benchmarks, the load generator over real WebSockets against the local stack (200
## and 500 concurrent games), Lambda package sizes and the cost model; writes docs/benchmarks.md.
## Bounded in time and loopback only. BENCH_FLAGS="-games 100 -stress-games 0" for a quick one.
bench: deps synth
	$(GO) run ./cmd/bench $(BENCH_FLAGS)
