# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test build-engine clean-engine bench-engine bench-orders bench-ws faults check-python migrate demo lint-imports clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'

$(VENV)/.run-deps: requirements.txt | check-python
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements.txt requirements-test.txt | check-python
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-test.txt
	touch $@ $(VENV)/.run-deps

migrate: $(VENV)/.run-deps
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput -v0

run: demo build-engine
	$(PY) -m tradeapp.runstack

test: $(VENV)/.test-deps
	$(PY) -m tradeapp.embedded_redis exec -- $(PY) -m pytest $(PYTEST_ARGS)

lint-imports: $(VENV)/.test-deps
	$(VENV)/bin/lint-imports

# Compile the matching engine with mypyc (pinned in requirements.txt), in place, when its
# source changed. Not strict: a failed build says so and the engine runs interpreted
# (`make run` goes on).
ENGINE_SOURCES := $(wildcard orders/engine/*.py) orders/build_engine.py
$(VENV)/.engine-built: $(ENGINE_SOURCES) $(VENV)/.run-deps
	$(PY) -m orders.build_engine
	touch $@

build-engine: $(VENV)/.engine-built

clean-engine:
	$(PY) -m orders.build_engine --clean
	rm -f $(VENV)/.engine-built

# Compiled engine, interpreted engine and baseline in the same run.
bench-engine: build-engine
	$(PY) bench/engine.py

# PostgreSQL figures: DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeapp_bench make bench-orders
# Options (servers, workers, rounds, lag rate): make bench-orders BENCH_ARGS="--server daphne --rounds 3"
bench-orders: $(VENV)/.run-deps
	$(PY) bench/orders_e2e.py $(BENCH_ARGS)

bench-ws: $(VENV)/.run-deps
	$(PY) bench/ws_fanout.py

# The fault matrix (docs/operations.md): make run's stack under load, each process killed -9 in
# turn, the database taken away. On PostgreSQL, with a database of its own (dropped and created):
# DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeapp_faults make faults [BENCH_ARGS=--smoke]
faults: $(VENV)/.run-deps
	$(PY) bench/faults.py $(BENCH_ARGS)

clean:
	rm -rf staticfiles .pytest_cache .hypothesis
