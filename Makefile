# The ASCC platform. `make demo` sets everything up and serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR_FILES := static/vendor/htmx.min.js static/vendor/htmx-ext-sse.min.js static/vendor/barcode-detector.js static/vendor/zxing_reader.wasm static/vendor/noble-ed25519.js
export ASCC_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: demo setup venv vendor icons system browser db seed serve test lint check bench-http clean

demo: setup db seed serve  ## install, migrate, load the demo edition and serve it at http://127.0.0.1:8000

setup: venv vendor  ## the virtual environment and the browser libraries

$(BIN)/ascc: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 'setuptools>=70'  # older setuptools has known CVEs (bench/audit)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/ascc

venv: $(BIN)/ascc

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

vendor: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js static/vendor/htmx-ext-sse.min.js
	cp node_modules/barcode-detector/dist/iife/ponyfill.js static/vendor/barcode-detector.js
	cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm static/vendor/zxing_reader.wasm
	cp node_modules/@noble/ed25519/index.js static/vendor/noble-ed25519.js
	cp node_modules/hls.js/dist/hls.min.js static/vendor/hls.min.js

icons: venv  ## the app's PNG icons in static/img, drawn from the favicon's design (kept in git)
	$(BIN)/python -m ascc.site.icons static/img

system:  ## Debian packages the tests use: Chromium (Playwright drives it), the Noto fonts, pg_dump, redis-server
	@need=""; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	[ -d /usr/share/fonts/opentype/noto ] || need="$$need fonts-noto-cjk"; \
	[ -f /usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf ] || need="$$need fonts-noto-core"; \
	command -v pg_dump >/dev/null 2>&1 || need="$$need postgresql-client"; \
	command -v redis-server >/dev/null 2>&1 || need="$$need redis-server"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "install these Debian packages first:$$need"; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	fi

browser: system

db: venv
	$(BIN)/ascc db upgrade

seed: venv
	$(BIN)/ascc seed

serve: venv
	$(BIN)/ascc serve --host 127.0.0.1 --port 8000

lint: venv
	$(BIN)/ruff check ascc tests bench migrations
	$(BIN)/ruff format --check ascc tests bench migrations
	$(BIN)/lint-imports
	$(BIN)/mypy

test: setup system lint  ## everything: lint, import contracts, unit, PostgreSQL and browser tests
	$(BIN)/pytest -q -n 2 --dist loadgroup

bench-http: setup
	bench/http

clean:
	rm -rf $(VENV) node_modules static/vendor ascc.db ascc.db-wal ascc.db-shm .pytest_cache
