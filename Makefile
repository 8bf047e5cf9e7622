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

# The web console's tests drive Debian's Chromium, so `make test` installs it too.
test: export WADESK_WITH_BROWSER := 1
test: build
	@scripts/run-tests.sh $(BUILD)

bench: build
	@scripts/run-bench.sh $(BUILD)

fuzz:
	@WADESK_WITH_FUZZ=1 WADESK_NPM=0 scripts/install-deps.sh
	@scripts/run-fuzz.sh

clean:
	rm -rf $(BUILD)
