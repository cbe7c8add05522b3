# snag — the two commands that matter: `make run` and `make test`. See README.md.
BUILD      ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 30
DB         ?= sqlite

.PHONY: all build run test unit e2e fuzz bench deps deps-test clean format check-format

all: build

deps:
	@bash scripts/deps.sh

deps-test:
	@bash scripts/deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSNAG_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target snag

run: build
	./$(BUILD)/snag serve

# Every test: unit (ASan+UBSan), fuzz-corpus replay, end-to-end with the real SDKs.
test: deps-test
	@bash scripts/test.sh

unit: deps-test
	@bash scripts/test.sh unit

e2e: deps-test
	@bash scripts/test.sh e2e

# Ingest against a bare libmicrohttpd ceiling, query latency on 1M events: bench/run.sh.
bench: deps-test build
	@cmake --build $(BUILD) -j $(JOBS) --target bench-tools >/dev/null
	@DB=$(DB) BENCH_BUILD=$(BUILD) bash bench/run.sh

fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DSNAG_FUZZ=ON -DSNAG_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)
