# The two set-up commands of the README are `make run` and `make test`; the rest are steps.
BUILD ?= build
JOBS ?= $(shell nproc)
# ccache hits across clones of the repository (CI builds a fresh clone in another folder).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps configure build run test unit bench fuzz clean

deps:
	@scripts/install-deps.sh

configure:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps configure
	@ninja -C $(BUILD) -j $(JOBS)

run: build
	@scripts/run.sh

# The web console's tests drive Debian's Chromium and the short fuzz runs need clang, so
# `make test` installs both.
test: export WADESK_WITH_BROWSER := 1
test: export WADESK_WITH_FUZZ := 1
test: build
	@scripts/run-tests.sh $(BUILD)

bench: build
	@scripts/run-bench.sh $(BUILD)

# The long fuzz run: every target for WADESK_FUZZ_SECONDS seconds (default 300), one after another.
fuzz:
	@WADESK_WITH_FUZZ=1 WADESK_NPM=0 scripts/install-deps.sh
	@WADESK_FUZZ_SECONDS=$${WADESK_FUZZ_SECONDS:-300} JOBS=$(JOBS) scripts/run-fuzz.sh

clean:
	rm -rf $(BUILD)
