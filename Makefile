# embedlite — the two commands are `make run` and `make test` (see README.md).
# Every stage prints its time. Tests build once, in the optimised `ci` profile.

CARGO ?= cargo
PYTHON ?= python3
DEMO_DB ?= target/demo.db

export CARGO_TERM_COLOR ?= never
export CARGO_INCREMENTAL = 0

# Runs a stage and prints how long it took.
define stage
	@start=$$(date +%s); echo "=== $(1)"; $(2); status=$$?; \
	echo "=== $(1): $$(( $$(date +%s) - start ))s"; exit $$status
endef

.PHONY: run test fmt-check clippy build-tests test-rust bench bench-btree fuzz

run:
	$(call stage,build and run the storage demo,$(CARGO) run --release -p embedlite --example storage_demo -- $(DEMO_DB))
	$(call stage,real SQLite reads the file,$(PYTHON) -c "import sqlite3; c = sqlite3.connect('$(DEMO_DB)'); \
		print('sqlite', sqlite3.sqlite_version, 'integrity_check:', c.execute('PRAGMA integrity_check').fetchone()[0]); \
		print('rows:', c.execute('SELECT count(*) FROM movies').fetchone()[0]); \
		print('plan:', c.execute('EXPLAIN QUERY PLAN SELECT count(*) FROM movies WHERE year = 1950').fetchone()[3])")

test: fmt-check clippy build-tests test-rust
	@echo "=== make test: all stages passed"

fmt-check:
	$(call stage,cargo fmt --check,$(CARGO) fmt --all --check)

clippy:
	$(call stage,cargo clippy,$(CARGO) clippy --workspace --all-targets --profile ci -- -D warnings)

build-tests:
	$(call stage,build tests (profile ci),$(CARGO) test --workspace --profile ci --no-run)

test-rust:
	$(call stage,cargo test (profile ci),$(CARGO) test --workspace --profile ci)

# Benchmarks (not part of `make test`): criterion, side by side with SQLite, ratios printed.
bench: bench-btree

bench-btree:
	$(call stage,b-tree benchmark vs SQLite,$(CARGO) bench -p embedlite-bench --bench btree)

# Coverage-guided fuzzing of file parsing (needs cargo-fuzz; stable Rust with RUSTC_BOOTSTRAP).
fuzz:
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run open_and_walk -- -max_total_time=$${FUZZ_SECONDS:-300}
