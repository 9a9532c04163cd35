# Switchyard: `make run` starts the demo, `make test` runs every test.
# Both install what is missing first (Debian packages via apt-get), so a fresh
# Debian 12 machine with the Swift toolchain needs nothing else.

SWIFT        ?= swift
APT_PACKAGES := libcurl4-openssl-dev libsystemd-dev libsqlite3-dev zlib1g-dev pkg-config sqlite3 curl systemd openssl postgresql \
                python3-venv prometheus chromium systemd-container debootstrap
# Python packages the tests drive (schemathesis, the Python client's integrations), in a venv under .build.
PYENV        := $(CURDIR)/.build/pyenv
PY_REQS      := Tests/python-requirements.txt
export SWITCHYARD_PYENV := $(PYENV)
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-nspawn build deps pyenv release clean screenshots \
        bench-routing bench-litellm bench-store bench-probe bench-daemon bench-clients bench-api bench-gateway bench-hedge bench-heavy bench-fleet bench-fleet-load \
        fuzz fuzz-build fuzz-replay test-sanitizers

## Install the Debian packages the build and the tests need, if any is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## A venv with the Python packages of $(PY_REQS); reinstalled only when that file changes.
pyenv: deps
	@[ -x $(PYENV)/bin/python ] || python3 -m venv $(PYENV)
	@cmp -s $(PY_REQS) $(PYENV)/installed-requirements.txt || { \
		echo "installing Python test packages from $(PY_REQS)"; \
		$(PYENV)/bin/pip install -q --disable-pip-version-check -r $(PY_REQS) && cp $(PY_REQS) $(PYENV)/installed-requirements.txt; }
	@$(PYENV)/bin/python -c 'import switchyard_client' 2>/dev/null || $(PYENV)/bin/pip install -q --disable-pip-version-check -e clients/python

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## The daemon with three simulated providers on loopback (Ctrl-C stops it).
run: build
	$(SWIFT) run --skip-build switchyard demo

## Every test: Swift Testing suites, including the end-to-end ones on loopback. Serial, because
## the scheduling and streaming tests measure lateness and TTFT and a 2-core machine running
## every suite at once (daemons, simulators, kill -9 rounds) would starve them. The suites take
## about 7 minutes; a run still going after TEST_TIMEOUT has hung and fails, and its output is
## line-buffered so the log ends at the test that hung.
TEST_TIMEOUT ?= 30m
test: deps pyenv
	$(SWIFT) build --build-tests
	timeout --kill-after=30s $(TEST_TIMEOUT) stdbuf -oL -eL $(SWIFT) test --skip-build --no-parallel \
		|| { echo "swift test failed or hung (status $$?; 124 means still running after $(TEST_TIMEOUT))"; exit 1; }
	$(PYENV)/bin/python -m pytest -q -p no:cacheprovider clients/python/tests
	$(MAKE) --no-print-directory test-nspawn

## Under a real systemd: boot Debian 12 in systemd-nspawn, install with deploy/install.sh, and check
## start, STATUS, reload, watchdog restart, stop, journal fields and socket activation (Tests/nspawn).
test-nspawn: deps
	$(SWIFT) build --product switchyard
	$(SWIFT) build --product switchyard-sim
	Tests/nspawn/boot-test.sh .build/debug

## Fleet (README "Fleet"): three `switchyard serve` hosts on a private PostgreSQL, one target with a paid
## completion probe every 10 s, for 10 minutes (completion probes seen, goal 60 ± 2, not 180); a report on one host
## reaching the others' routes (20 trials); each shared probe result reaching the peers; PostgreSQL stopped for 60 s;
## one host partitioned from it for 60 s (root and `ip netns`). About 18 minutes, one at a time.
bench-fleet: deps
	$(SWIFT) build --build-tests
	SWITCHYARD_BENCH_FLEET=1 $(SWIFT) test --skip-build --no-parallel --filter "FleetBenchTests|FleetOutageBenchTests"

## Fleet load (README "Fleet load: how far one PostgreSQL goes"): 10 simulated hosts × 1,000 targets on a private
## PostgreSQL (liveness every 10 s, a paid probe per target every 60 s, 10 reports/s per host; retention 10 min),
## sampled every 15 s into bench/results/fleet-load.csv. DURATION in minutes (default 60).
DURATION ?= 60
bench-fleet-load: deps
	$(SWIFT) build -c release --product switchyard-fleet-load
	@mkdir -p bench/results
	.build/release/switchyard-fleet-load --hosts 10 --targets 1000 --duration $$(( $(DURATION) * 60 )) --sample 15 \
		--retention 600 --csv bench/results/fleet-load.csv

## Routing scenarios on a simulated clock and route() timings (release build).
bench-routing: deps
	$(SWIFT) build -c release --product switchyard-routing-lab
	.build/release/switchyard-routing-lab

## LiteLLM's routing decision at the same sizes, for comparison (installs litellm into a venv under .build).
bench-litellm:
	@dpkg -s python3-venv >/dev/null 2>&1 || python3 -m venv --help >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	[ -x .build/litellm-venv/bin/python ] || { python3 -m venv .build/litellm-venv && .build/litellm-venv/bin/pip install -q litellm; }
	.build/litellm-venv/bin/python bench/litellm_route_decision.py

## Storage benchmarks (release build): ingest rows/s through the writer, 30-day history
## query latency, and file size of a simulated fleet. BENCH_TARGETS/BENCH_DAYS scale the
## generator; the full acceptance run is BENCH_TARGETS=1000 BENCH_DAYS=400 (about 100 minutes).
BENCH_TARGETS ?= 1000
BENCH_DAYS    ?= 1
bench-store: deps
	$(SWIFT) build -c release --product switchyard-store-bench
	@echo "machine: $$(nproc) cores, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	.build/release/switchyard-store-bench ingest --rows 1000000
	.build/release/switchyard-store-bench history
	.build/release/switchyard-store-bench generate --targets $(BENCH_TARGETS) --days $(BENCH_DAYS) --every 0.25

## Probe-engine benchmark (README "Probe benchmark"): 1,000 targets every 10 s against simulator
## processes, side by side with Prometheus blackbox_exporter probing the same endpoints; all on loopback.
bench-probe: deps
	@dpkg -s prometheus-blackbox-exporter >/dev/null 2>&1 || { echo "installing: prometheus-blackbox-exporter"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus-blackbox-exporter; }
	$(SWIFT) build -c release --product switchyard-sim
	$(SWIFT) build -c release --product switchyard-bench
	.build/release/switchyard-bench run --targets 1000 --interval 10 --window 60 --hung-window 30

## The whole daemon (probes, health, SQLite, both listeners, metrics) at 1,000 liveness targets: RSS and CPU per 1,000 probes.
bench-daemon: deps
	$(SWIFT) build -c release --product switchyard
	$(SWIFT) build -c release --product switchyard-sim
	bench/daemon_rss.sh 1000 60

## Python client route lookups (README "Client libraries"): warm cache and uncached over the Unix socket, release daemon.
bench-clients: deps pyenv
	$(SWIFT) build -c release --product switchyard
	$(SWIFT) build -c release --product switchyard-sim
	$(PYENV)/bin/python clients/python/bench_route.py --bin-dir .build/release

## API benchmark (README "API benchmark"): /v1/route qps and p50/p99 over keep-alive, wrk on TCP and our
## client on the Unix socket and TCP, at 1, 16 and 64 connections; release daemon, simulated providers.
bench-api: deps
	@dpkg -s wrk >/dev/null 2>&1 || { echo "installing: wrk"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk; }
	$(SWIFT) build -c release --product switchyard
	$(SWIFT) build -c release --product switchyard-sim
	$(SWIFT) build -c release --product switchyard-api-bench
	bench/api_bench.sh

## Gateway acceptance runs, one after the other in one command (README "The gateway"): overhead (a chat completion
## straight to a simulator, through the gateway and through LiteLLM's proxy, installed into .build/litellm-proxy-venv:
## added p50/p99, completions/s at 32 connections) and stream TTFT; the outage scenario (openai SDK callers through
## the gateway, straight to the providers and through LiteLLM's proxy); the daemon's RSS with 64 streams at 1,000 targets.
bench-gateway: deps pyenv
	@dpkg -s python3-venv >/dev/null 2>&1 || python3 -m venv --help >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	[ -x .build/litellm-proxy-venv/bin/litellm ] || { python3 -m venv .build/litellm-proxy-venv && .build/litellm-proxy-venv/bin/pip install -q 'litellm[proxy]'; }
	$(SWIFT) build -c release --product switchyard
	$(SWIFT) build -c release --product switchyard-sim
	$(SWIFT) build -c release --product switchyard-api-bench
	bench/gateway_bench.sh
	$(PYENV)/bin/python bench/gateway_outage.py --bin .build/release --litellm .build/litellm-proxy-venv/bin/litellm
	bench/gateway_rss.sh 64 1000
	$(MAKE) bench-hedge

## Hedging off and on against a provider with a 5 % tail of +2 s to the first byte (README "Hedging").
bench-hedge:
	$(SWIFT) build -c release --product switchyard
	$(SWIFT) build -c release --product switchyard-sim
	python3 bench/gateway_hedge.py --bin .build/release --requests 2000 --callers 4

## Heavy reads against routing (README "Heavy reads"): /v1/route p50/p99 alone and while every history
## page of 1,000 targets x a day of minutes, /metrics and / are fetched back to back; daemon RSS.
bench-heavy: deps
	$(SWIFT) build -c release --product switchyard
	$(SWIFT) build -c release --product switchyard-sim
	$(SWIFT) build -c release --product switchyard-api-bench
	$(SWIFT) build -c release --product switchyard-store-bench
	bench/heavy_reads.sh

## docs/status-page.png and docs/status-page-phone.png from `switchyard demo` (about 3 minutes).
screenshots: deps
	$(SWIFT) build --product switchyard
	docs/screenshots.sh

clean:
	rm -rf .build

## Fuzzing (README "Fuzzing and sanitizers"): each libFuzzer harness of switchyard-fuzz for FUZZ_SECONDS
## on its committed seed corpus (fuzz/corpus/<name>; new inputs go to .build-fuzz/corpus/<name>), with
## AddressSanitizer. Prints executions and coverage per harness; a crash leaves its input in .build-fuzz/findings.
## SwiftPM links an executable's main as <module>_main, which collides with libFuzzer's own main, so the
## harness binary links libFuzzer without main (fuzzer_no_main) and calls LLVMFuzzerRunDriver itself.
FUZZ_SECONDS   ?= 60
FUZZ_HARNESSES ?= config sse ndjson model-list catalog reports query block retry-after
FUZZ_RUNTIME   := $(shell ls $$(dirname $$(readlink -f $$(command -v $(SWIFT))))/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)
FUZZ_FLAGS     := --scratch-path .build-fuzz -Xswiftc -sanitize=address \
                  -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
                  -Xlinker $(FUZZ_RUNTIME) -Xlinker -u -Xlinker LLVMFuzzerRunDriver -Xlinker -lstdc++

fuzz-build: deps
	@[ -n "$(FUZZ_RUNTIME)" ] || { echo "libclang_rt.fuzzer_no_main not found next to $(SWIFT)"; exit 1; }
	$(SWIFT) build --product switchyard-fuzz $(FUZZ_FLAGS)

fuzz: fuzz-build
	@bin=$$($(SWIFT) build --product switchyard-fuzz $(FUZZ_FLAGS) --show-bin-path)/switchyard-fuzz; \
	failed=""; for h in $(FUZZ_HARNESSES); do \
		mkdir -p .build-fuzz/corpus/$$h .build-fuzz/findings/$$h; \
		SWIFT_BACKTRACE=enable=no $$bin $$h -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -rss_limit_mb=2048 \
			-artifact_prefix=.build-fuzz/findings/$$h/ .build-fuzz/corpus/$$h fuzz/corpus/$$h > .build-fuzz/$$h.log 2>&1 || failed="$$failed $$h"; \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' .build-fuzz/$$h.log); \
		rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' .build-fuzz/$$h.log); \
		cov=$$(grep -o 'cov: [0-9]*' .build-fuzz/$$h.log | tail -1); \
		printf '%-11s %10s executions %7s exec/s  %-10s findings: %s\n' $$h "$$execs" "$$rate" "$$cov" \
			"$$(ls .build-fuzz/findings/$$h | tr '\n' ' ')"; \
	done; \
	[ -z "$$failed" ] || { echo "findings in:$$failed (logs in .build-fuzz/<name>.log)"; exit 1; }

## Replays every committed seed and regression input through a plain (uninstrumented) harness build.
fuzz-replay:
	$(SWIFT) build --product switchyard-fuzz
	@for h in $(FUZZ_HARNESSES); do .build/debug/switchyard-fuzz $$h fuzz/corpus/$$h || exit 1; done

## The whole Swift suite under ThreadSanitizer, then under AddressSanitizer (README "Fuzzing and sanitizers").
## Each has its own build directory; they run one after the other because each build is heavy.
## SWITCHYARD_SANITIZER_BUILD links the daemon dynamically (Package.swift says why); the TSan suppressions
## are third-party false positives only, each with its reason in the file; so is the one LeakSanitizer
## suppression (XCTest's own harness objects).
SANITIZER_ENV := SWITCHYARD_SANITIZER_BUILD=1 SWITCHYARD_PYENV=$(PYENV)
test-sanitizers: deps pyenv
	$(SANITIZER_ENV) $(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SANITIZER_ENV) TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/tsan-suppressions.txt $$TSAN_OPTIONS" \
		$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --no-parallel
	$(SANITIZER_ENV) $(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	$(SANITIZER_ENV) LSAN_OPTIONS="suppressions=$(CURDIR)/Tests/lsan-suppressions.txt $$LSAN_OPTIONS" \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --no-parallel
