# rxloop: `make run` serves the demo on 127.0.0.1:$PORT (8000) with localstripe on $STRIPE_PORT (8421) unless
# STRIPE_SECRET_KEY is set; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=
MUTATE_STAMP := $(VENV)/.mutate-stamp
MUTATE_CHILDREN ?= 2
MUTATE_ARGS ?=

.PHONY: install run test fuzz mutate docs db seed worker beat demo bench clean messages

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench,client]'
	touch $(STAMP)

# Message catalogues: core/translations/<lang>/LC_MESSAGES/messages.po is committed, its compiled .mo
# is built here (and ignored by git). `_l` and `N_` mark messages translated where they are shown.
PO_FILES := $(wildcard core/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
BABEL_KEYWORDS := -k _l -k N_

install: $(STAMP) $(MO_FILES)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

# Extract every marked message of core, consult, shop, web, assistant and fhir_api and merge it into each catalogue;
# then translate the new (empty) entries: tests/core/test_translations.py fails until every one is.
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --sort-by-file --no-wrap \
	    -o core/translations/messages.pot core consult shop web assistant fhir_api
	$(BIN)/pybabel -q update -i core/translations/messages.pot -d core/translations --no-fuzzy-matching \
	    --ignore-obsolete --no-wrap
	$(MAKE) install

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed-demo

run: seed
	scripts/run.sh  # 127.0.0.1:$(or $(PORT),8000); gunicorn's limits: see gunicorn.conf.py

test: install
	$(BIN)/lint-imports  # the import contracts in pyproject.toml: web → fhir_api → assistant → shop → consult → core, no cycles
	$(BIN)/python -m pytest -n auto --maxprocesses 4 -m "not fuzz" $(PYTEST_ARGS)

# FUZZ_EXAMPLES (default 10) examples an operation; CI runs 200 (.ci/run, docs/fuzzing.md).
fuzz: install
	$(BIN)/python -m pytest -n auto -m fuzz $(PYTEST_ARGS)

# docs/problems.md and docs/states.md are drawn from the declarations (tests/core/test_docs.py checks).
docs: install
	$(FLASK) docs

$(MUTATE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench,client,mutate]'
	touch $(MUTATE_STAMP)

# Mutation testing of the pure clinical rules and the state machine (settings: [tool.mutmut] in
# pyproject.toml). A fresh run each time, about 13 minutes on 2 cores; MUTATE_ARGS='consult.triage*'
# runs one module's mutants. Survivors are listed, then the share killed per module.
mutate: $(MUTATE_STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) $(MUTATE_ARGS)
	$(BIN)/mutmut results
	$(BIN)/mutmut results --all true | awk -F': ' '/mutmut_/ && $$2 != "not checked" { split($$1, n, "."); m = n[1] "." n[2]; \
	    sub(/^ +/, "", m); total[m]++; killed[m] += ($$2 == "killed") } END { for (m in total) \
	    printf "%-15s %4d of %4d mutants killed (%.1f%%)\n", m, killed[m], total[m], 100 * killed[m] / total[m] }'

worker: install
	$(BIN)/celery -A worker worker --loglevel INFO

beat: install
	$(BIN)/celery -A worker beat --loglevel INFO

demo: seed
	scripts/demo.sh

# The benchmark needs PostgreSQL running (as for the tests) and wrk, from Debian's packages.
# BENCH_ARGS='--servers gunicorn,granian' adds the server comparison; '--db-prefix NAME' keeps a second
# bench's databases apart (bench/run.py --help).
bench: install
	command -v wrk >/dev/null || (apt-get install -y -q wrk || (apt-get update -q && apt-get install -y -q wrk))
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache mutants
