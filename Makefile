# rxloop: `make run` serves the demo on 127.0.0.1:8000; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: install run test fuzz docs db seed worker beat demo bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	touch $(STAMP)

install: $(STAMP)

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed-demo

run: seed
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app  # 127.0.0.1:8000; limits: see the file

test: install
	$(BIN)/lint-imports  # the import contracts in pyproject.toml: shop → consult → core, no cycles
	$(BIN)/python -m pytest -n auto --maxprocesses 4 -m "not fuzz" $(PYTEST_ARGS)

# FUZZ_EXAMPLES (default 10) examples an operation; CI runs 200 (.ci/run, docs/fuzzing.md).
fuzz: install
	$(BIN)/python -m pytest -n auto -m fuzz $(PYTEST_ARGS)

# docs/problems.md and docs/states.md are drawn from the declarations (tests/core/test_docs.py checks).
docs: install
	$(FLASK) docs

worker: install
	$(BIN)/celery -A worker worker --loglevel INFO

beat: install
	$(BIN)/celery -A worker beat --loglevel INFO

demo: seed
	scripts/demo.sh

# The benchmark needs PostgreSQL running (as for the tests) and wrk, from Debian's packages.
bench: install
	command -v wrk >/dev/null || (apt-get install -y -q wrk || (apt-get update -q && apt-get install -y -q wrk))
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
