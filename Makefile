# Each target sets up .venv on its own, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/payments demo

# the demo's database (built once), served at http://127.0.0.1:8000: the web pages with
# the test log-in ("Log ind (test)"), the API (docs at /docs), and a thread that decides
# the claim files employers upload (a `payments worker` in the server)
serve: $(STAMP)
	test -f demo/payments.db || $(BIN)/payments demo
	cd demo && PAYMENTS_DATABASE_URL=sqlite:///payments.db ../$(BIN)/payments db upgrade
	cd demo && PAYMENTS_DATABASE_URL=sqlite:///payments.db ../$(BIN)/payments serve --demo-debtor --claim-workers 1

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) demo out outbox spool payments.db payments-dev-key.pem *.egg-info test-artifacts
