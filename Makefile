# Two entry points for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint browser c-headers sanitize bench bench-ingest bench-backtest bench-audit bench-api bench-chart bench-c-modules clean

$(STAMP): pyproject.toml setup.py requirements.lock infrastructure/store/_loader.c infrastructure/store/chain_link.h domain/strategies/_sma_kernel.c infrastructure/store/_bar_columns.c application/reporting/_equity_marks.c | c-headers
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)  ## set up, then run the main job on the embedded SQLite store
	MEMESNIPE_STORE=sqlite $(BIN)/memesnipe demo

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

c-headers:  ## OpenSSL's and SQLite's headers (Debian libssl-dev, libsqlite3-dev) for the C modules, installed when missing
	@[ -f /usr/include/openssl/sha.h ] && [ -f /usr/include/sqlite3.h ] || ! command -v apt-get >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing libssl-dev and libsqlite3-dev (Debian) for the C chain linker and run-log loader"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libssl-dev libsqlite3-dev >/dev/null; } \
	  || echo "no OpenSSL or SQLite headers: the store's C modules are not built, and Python does their work (slower; see README)"

browser:  ## Chromium + ChromeDriver (Debian) for the dashboard's browser test, installed when missing
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing chromium and chromium-driver (Debian packages) for the browser test"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: $(STAMP) lint browser sanitize  ## set up, then run every check, the C modules under the sanitizers, and the whole test suite (PostgreSQL included)
	$(BIN)/pytest -n 2 -p no:cacheprovider

sanitize: $(STAMP)  ## the C modules built with AddressSanitizer and UBSan in build/sanitize (the in-place ones untouched), and the tests comparing them with Python run on them
	$(BIN)/python tools/sanitize.py

$(VENV)/.bench: $(STAMP) bench/requirements.lock
	$(BIN)/python -m pip install --quiet -r bench/requirements.lock
	touch $(VENV)/.bench

bench: bench-ingest bench-backtest bench-audit bench-api bench-chart

bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py

bench-backtest: $(VENV)/.bench
	$(BIN)/python bench/backtest.py

bench-audit: $(STAMP)
	$(BIN)/python bench/audit.py

bench-api: $(STAMP)
	$(BIN)/python bench/api.py

bench-chart: $(STAMP)
	$(BIN)/python bench/equity_chart.py

bench-c-modules: $(STAMP)  ## what each C module saves on the default backtest path (each turned off in turn)
	$(BIN)/python bench/c_modules.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis
