# duckflow's two front doors: `make demo` and `make test`. Both install what is missing
# (scripts/setup.sh), configure with CMake and build. Other targets: install, asan, bench,
# format, clean.
PREFIX ?= /usr/local
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all setup build test demo install asan test-asan bench format clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

test: build
	@tests/run.sh $(BUILD)

demo: build
	@scripts/demo.sh $(BUILD)/duckflow

install: build
	@cmake --build $(BUILD) --target preinstall >/dev/null
	@cmake --install $(BUILD) --prefix $(PREFIX)

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDUCKFLOW_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS) -- --no-print-directory

test-asan: asan
	@TEST_TIMEOUT=900 tests/run.sh build-asan

bench: build
	@DUCKFLOW_SETUP_BENCH=1 scripts/setup.sh
	@bench/run.sh $(BUILD)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	@rm -rf build build-asan
