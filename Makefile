# LiliumShare — one entry point for developers, CI and operators. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
DOTNET ?= dotnet
CONFIG ?= Release
ARTIFACTS := artifacts
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help deps build test test-unit test-integration test-interop run demo migrate db db-stop db-prune aws-endpoint lambdas format \
        bench-api bench-lambda-init bench-signaling bench-relay bench-input bench-host fuzz \
        synth diff deploy destroy deploy-local destroy-local pause resume status cost clean \
        relay-image push-relay-image web bench-web cli relay-bin bench-cli protocol-schema bench-failover bench-srtp \
        bench-glass

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: ## install what a fresh machine lacks (apt, pip, npm); idempotent, about half a second when nothing is missing
	bash scripts/install-deps.sh

build: ## build the whole solution
	$(DOTNET) build Infra.sln -c $(CONFIG) --nologo

web: ## build the web app (client-sdk/web -> dist; npm ci on a fresh clone)
	bash scripts/build-web.sh

test: deps lambdas cli relay-bin web ## every test (Postgres, :4566 endpoint, real peers, Chromium) and the format check; installs what is missing first
	bash scripts/test.sh

test-unit: deps ## the fast inner loop: tests that need no process, socket, database or AWS endpoint (Category=Unit)
	bash scripts/test.sh --category Unit

test-integration: deps lambdas cli web ## tests against Postgres, the :4566 endpoint, local processes and sockets (Category=Integration)
	bash scripts/test.sh --category Integration

test-interop: deps relay-bin ## tests against aiortc, libsrtp and ffmpeg peers (Category=Interop)
	bash scripts/test.sh --category Interop

run: deps web ## the whole stack on this machine; open the web app at http://127.0.0.1:5080/
	bash scripts/run-local.sh

demo: deps ## two users: friends, E2E chat, a hosted test pattern watched through the relay, input granted and revoked
	bash scripts/demo.sh

db: ## start the private Postgres cluster (.local/pg) and print its URL
	bash scripts/pg.sh ensure

db-stop: ## stop the private Postgres cluster
	bash scripts/pg.sh stop

db-prune: ## drop databases left in the private cluster by interrupted test runs
	bash scripts/pg.sh prune

aws-endpoint: ## start moto_server on :4566 unless LocalStack (or moto) already answers
	bash scripts/aws-endpoint.sh ensure

migrate: ## apply database migrations (DATABASE_URL, else the local cluster)
	DATABASE_URL=$${DATABASE_URL:-$$(bash scripts/pg.sh ensure)} $(DOTNET) run --project functions/Lilium.Api -c $(CONFIG) -- migrate

lambdas: | deps ## publish the Lambda bootstraps (provided.al2023, Native AOT; LAMBDA_BUILD=r2r: trimmed composite ReadyToRun)
	bash scripts/publish-lambdas.sh $(ARTIFACTS)/lambda

cli: | deps ## the lilium command as one Native AOT executable -> artifacts/cli/lilium (CLI_RID=linux-arm64, ...)
	bash scripts/publish-cli.sh $(ARTIFACTS)/cli

relay-bin: | deps ## publish the relay as the image ships it (Native AOT; RELAY_BUILD=jit: self-contained JIT) -> artifacts/relay-$RELAY_BUILD
	bash scripts/publish-relay.sh

protocol-schema: ## regenerate client-sdk/protocol/lilium-protocol.schema.json from Lilium.Protocol (commit the result)
	LILIUM_WRITE_PROTOCOL_SCHEMA=1 $(DOTNET) test tests/Lilium.Protocol.Tests -c $(CONFIG) --nologo --filter FullyQualifiedName~ProtocolSchemaTests

format: ## rewrite the files whose whitespace or code style breaks .editorconfig
	$(DOTNET) format whitespace --folder .
	$(DOTNET) format style Infra.sln --severity warn

bench-api: ## REST API read throughput and Lambda init -> bench/results/api.json
	bash bench/run.sh api

bench-lambda-init: ## Lambda init: published bootstrap start to first response, median of 10 (ms)
	bash bench/lambda-init/run.sh

bench-signaling: ## 1,000 WebSocket clients chatting -> bench/results/signaling.json
	bash bench/run.sh signaling

bench-relay: ## SFU subscriber streams per core -> bench/results/relay.json
	bash bench/run.sh relay

bench-input: ## input relay latency -> bench/results/input.json
	bash bench/run.sh input

bench-srtp: ## SRTP protect/unprotect ns per packet and bytes allocated, per profile, one thread (seconds) -> bench/results/srtp.json
	bash bench/run.sh srtp

bench-glass: ## glass-to-glass at 1280x720 30 fps, Chromium to Chromium: our relay vs Janus vs direct, 60 s each, median of 3 (GLASS_SECONDS, GLASS_RUNS) -> bench/results/glass.json
	bash bench/run.sh glass

bench-failover: ## relay fleet: first frame from zero relays, recovery after kill -9 (10 kills) -> bench/results/failover.json
	bash bench/run.sh failover

fuzz: ## libFuzzer + SharpFuzz on our parsers, 1M runs per target (FUZZ_RUNS, FUZZ_SECONDS, FUZZ_TARGETS, FUZZ_JOBS) -> bench/results/fuzz.json
	bash fuzz/run.sh

bench-host: ## host capture-to-send latency and CPU at 1080p30, H.264 and VP8, on Xvfb -> bench/results/host.json
	bash bench/run.sh host

bench-cli: cli ## the lilium executable's size and `lilium --help` start, Native AOT vs JIT, median of 10 -> bench/results/cli.json
	bash bench/run.sh cli

bench-web: web ## web app size and viewer join -> first frame, median of 10 -> bench/results/web.json
	bash bench/web/run.sh

relay-image: ## the relay's OCI image without Docker (Debian .debs + Native AOT publish, umoci; arm64 for the Graviton tasks, RELAY_ARCH=amd64; RELAY_BUILD=jit) -> artifacts/relay-image; prints size and start-to-ready
	bash scripts/relay-image.sh build $(ARTIFACTS)/relay-image

push-relay-image: relay-image ## build and push it: IMAGE=uri[:tag], default the stack's RelayRepositoryUri:latest (skopeo)
	bash scripts/relay-image.sh push $(IMAGE) --layout $(ARTIFACTS)/relay-image

synth: lambdas ## synthesize the CloudFormation template
	npx cdk synth --quiet

diff: lambdas ## show what a deploy would change
	npx cdk diff

deploy: lambdas ## deploy to the AWS account in your environment, keeping the stack's mode (a new stack starts paused)
	$(DOTNET) run --project infra/Lilium.Ops -c $(CONFIG) -- deploy $(ARGS)

destroy: ## delete the stack
	npx cdk destroy --force

deploy-local: lambdas ## cdk bootstrap + deploy to the LocalStack-compatible endpoint (:4566; moto when LocalStack is absent)
	bash scripts/deploy-local.sh deploy

destroy-local: ## cdk destroy on the LocalStack-compatible endpoint
	bash scripts/deploy-local.sh destroy

pause: lambdas ## relay to zero, no load balancer (ARGS=--minimal: nothing billed by the hour; the control plane answers 503)
	$(DOTNET) run --project infra/Lilium.Ops -c $(CONFIG) -- pause $(ARGS)

resume: lambdas ## load balancer (and NAT instance) back, then one relay task; prints how long it took
	$(DOTNET) run --project infra/Lilium.Ops -c $(CONFIG) -- resume $(ARGS)

status: ## mode, tasks, database state and the estimated monthly cost of the live state
	$(DOTNET) run --project infra/Lilium.Ops -c $(CONFIG) -- status $(ARGS)

cost: ## each mode's idle $/month from its synthesized template and bench/cost/prices.json -> bench/results/cost.json, docs/costs.md
	bash bench/cost/run.sh

clean: ## remove build outputs (keeps the local database)
	rm -rf $(ARTIFACTS) cdk.out; find . -name bin -o -name obj | grep -v node_modules | xargs rm -rf
