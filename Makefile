# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEMO_OUT ?= neonwatch-demo

.PHONY: demo test lint bench clean venv postgres chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

## demo: install neonwatch and run the main job on bundled real AIS data
demo: venv
	$(BIN)/neonwatch demo --out $(DEMO_OUT)

## postgres: make sure the local PostgreSQL server (127.0.0.1:5432) the store tests use is up
postgres:
	@pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 && exit 0; sleep 1; done; \
	  echo "PostgreSQL on 127.0.0.1:5432 is not up; the store tests need it" >&2; exit 1

## chromium: Debian's chromium for the web tests (Playwright drives it; no browser download),
## and a Japanese font so the screenshots show 秘 and 極秘 rather than empty boxes
chromium:
	@command -v chromium >/dev/null && dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-ipafont-gothic)

## test: install what the tests need and run lint, types and the whole suite (SQLite and PostgreSQL)
test: venv postgres chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q

## bench: the benchmarks in benchmarks/ (long; not part of `make test`)
bench: venv postgres
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/decode.py
	$(BIN)/python benchmarks/detect.py
	$(BIN)/python benchmarks/screen.py
	$(BIN)/python benchmarks/serve.py --sweep 10,20,30,40

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
