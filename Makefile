# LarderDB's front door. `make run` and `make test` are all a new machine needs.
.PHONY: all setup build run test tsan bench fuzz format lint install clean help crashtest

JOBS ?= $(shell nproc)
CMAKE_GEN := -G Ninja
PREFIX ?= /usr/local

all: build

help:
	@echo "make run    - set up, build, run larderd in the foreground on 127.0.0.1:6379 (./larder-data)"
	@echo "make test   - set up, build with ASan+UBSan, run every test (ctest)"
	@echo "make build  - Release build; programs in build/bin/"
	@echo "make bench  - comparison benchmarks; writes docs/benchmarks.md (BENCH_ARGS=--quick: smoke run)"
	@echo "make tsan   - concurrency tests under ThreadSanitizer"
	@echo "make fuzz   - libFuzzer targets (clang), short run of each"
	@echo "make format - clang-format every source file"
	@echo "make lint   - clang-tidy (with clang's thread-safety analysis) on src/, tools/, include/"
	@echo "make install PREFIX=dir - Release build, installed: headers, libraries, larder CLI,"
	@echo "              CMake package (find_package(larder)) and pkg-config file (larder.pc)"
	@echo "make crashtest SEED=n DAMAGE=n - long crash-point run (ASan build)"

setup:
	@scripts/setup base

build: setup
	@cmake -S . -B build $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DLARDER_BUILD_TESTS=OFF >/dev/null
	@cmake --build build -j $(JOBS)

# larderd in the foreground on its defaults (127.0.0.1:6379, data in ./larder-data); Ctrl-C or
# SIGTERM shuts it down cleanly. RUN_ARGS adds directives, e.g. RUN_ARGS="--port 6380".
run: build
	@echo "larderd on 127.0.0.1:6379, data in ./larder-data. Talk to it from another terminal:"
	@echo "    redis-cli ping        redis-cli set greeting hello        redis-cli get greeting"
	@echo "Ctrl-C stops it cleanly."
	build/bin/larderd $(RUN_ARGS)

# The sanitizer build keeps line tables only (-g1): ASan's reports keep file:line, and the
# build is about a third faster than with full debug information.
test: setup
	@scripts/setup redis
	@cmake -S . -B build-asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS="-O1" -DCMAKE_CXX_FLAGS_DEBUG="-g1" \
	  -DLARDER_SANITIZE="address;undefined" >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $$((2 * $(JOBS)))  # slots per entry: tests/CMakeLists.txt

# Concurrency tests are caught by name: a test with threads has Concurrent, Batch or Snapshot in
# its name (the LSM engine's: memtable, table cache, block cache, version set, group commit,
# readers during flushes and compactions are all *Concurrent*). ctest's entries are whole suites
# (cmake/GTestGroups.cmake), so the names are matched by GoogleTest's filter.
tsan: setup
	@cmake -S . -B build-tsan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS="-O1" -DLARDER_SANITIZE="thread" >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	cd build-tsan/tests && TSAN_OPTIONS=halt_on_error=1 \
	  ../bin/larder_tests --gtest_filter='*Concurrent*:*Batch*:*Snapshot*'

bench: setup
	@scripts/setup bench redis
	@cmake -S . -B build-bench $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DLARDER_BUILD_TESTS=OFF \
	  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DLARDER_BUILD_BENCH=ON >/dev/null
	@cmake --build build-bench -j $(JOBS)
	bench/run.sh build-bench $(BENCH_ARGS)

SEED ?= 1
DAMAGE ?= 400
crashtest: test
	LARDER_CRASH_SEED=$(SEED) LARDER_CRASH_DAMAGE_SEEDS=$(DAMAGE) \
	  build-asan/bin/larder_tests --gtest_filter='*BoltCrash*'

fuzz: setup
	@scripts/setup fuzz
	@CXX=clang++-14 cmake -S . -B build-fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLARDER_BUILD_TESTS=OFF -DLARDER_BUILD_FUZZ=ON -DLARDER_SANITIZE="address;undefined" >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

format:
	@scripts/setup fuzz
	@find include src tools tests bench fuzz examples -name '*.h' -o -name '*.cc' | xargs clang-format -i

# clang-tidy needs only the compile commands of the product code (no build): a configure of its own.
# About 6 CPU-minutes (3 minutes on 2 idle cores), so it is not part of `make test`.
LINT_FILES := '^$(CURDIR)/(src|tools)/.*(?<!_test)\.cc$$'
lint: setup
	@scripts/setup lint
	@cmake -S . -B build-lint $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DLARDER_BUILD_TESTS=OFF \
	  -DLARDER_UNITY_BUILD=OFF >/dev/null
	run-clang-tidy-14 -quiet -p build-lint -j $(JOBS) -extra-arg=-Wthread-safety \
	  -extra-arg=-Wno-unknown-warning-option $(LINT_FILES)

install: build
	cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-tsan build-bench build-fuzz build-lint
