# Switchyard: `make run` starts the demo, `make test` runs every test.
# Both install what is missing first (Debian packages via apt-get), so a fresh
# Debian 12 machine with the Swift toolchain needs nothing else.

SWIFT        ?= swift
APT_PACKAGES := libcurl4-openssl-dev libsystemd-dev libsqlite3-dev pkg-config sqlite3 curl openssl
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test build deps release clean

## Install the Debian packages the build and the tests need, if any is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## The daemon with three simulated providers on loopback (Ctrl-C stops it).
run: build
	$(SWIFT) run --skip-build switchyard demo

## Every test: Swift Testing suites, including the end-to-end ones on loopback.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build
