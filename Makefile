# The two commands of the README: `make run` serves the gateway, `make test` runs every test.
SWIFT ?= swift
PYTHON ?= python3
VENV ?= .venv
BIN := .build/debug/mcp-gateway
E2E_STAMP := $(VENV)/.requirements-installed

.PHONY: run build test test-swift test-e2e soak bench system-deps browser-deps deploy-deps embed-templates venv format clean

run: system-deps embed-templates
	$(SWIFT) build --product mcp-gateway
	$(BIN) serve

build: system-deps embed-templates
	$(SWIFT) build --build-tests

# The pages under templates/ are built into the binary (Sources/GatewayApp/BuiltInTemplates.swift, committed);
# this rewrites that file when a template changed, and leaves it alone otherwise.
embed-templates:
	@$(PYTHON) scripts/embed-templates.py

test: build venv
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory test-e2e

test-swift: build
	$(SWIFT) test --skip-build

test-e2e: venv browser-deps deploy-deps
	MCP_GATEWAY_BIN=$(CURDIR)/$(BIN) $(VENV)/bin/python -m pytest Tests/e2e

# The long runs that do not fit in `make test`: fuzzing with many more inputs.
soak: build venv
	FUZZ_INPUTS=20000 SCHEMA_FUZZ_EXAMPLES=1000 MCP_GATEWAY_BIN=$(CURDIR)/$(BIN) \
		$(VENV)/bin/python -m pytest -s Tests/e2e/test_fuzz.py Tests/e2e/test_oauth_schema_fuzz.py

# On a release build: what authentication and the MCP envelope cost (ratios to /health), then mcp-gateway side by
# side with the backend alone, ContextForge and mcp-proxy (installed into .build/bench-venvs on first use); the
# side-by-side figures are written into BENCHMARKS.md; then what scoping costs a call and what an idle member backend
# costs in memory (bench/members_bench.py); then what the sandbox costs a command backend, warm and cold
# (bench/sandbox_bench.py). wrk drives the load.
bench: system-deps venv
	@command -v wrk >/dev/null || scripts/install-system-deps.sh wrk
	@$(PYTHON) scripts/embed-templates.py
	$(SWIFT) build -c release --product mcp-gateway
	$(VENV)/bin/python bench/foundation_bench.py --bin .build/release/mcp-gateway
	$(VENV)/bin/python bench/compare_bench.py --bin .build/release/mcp-gateway --write
	$(VENV)/bin/python bench/members_bench.py --bin .build/release/mcp-gateway
	$(VENV)/bin/python bench/sandbox_bench.py --bin .build/release/mcp-gateway

# System packages the build needs (the SQLite headers) and the sandbox of command backends runs on (bubblewrap, and
# socat for their proxied network); installs them only when missing.
system-deps:
	@scripts/install-system-deps.sh bubblewrap socat

# The headless browser of the browser tests (Tests/e2e/browser.py), Debian's Chromium; installed only when
# missing. CHROMIUM_BIN names another Chromium instead.
browser-deps:
	@[ -n "$$CHROMIUM_BIN" ] || command -v chromium >/dev/null || scripts/install-system-deps.sh chromium

# What the deployment file tests (Tests/e2e/test_deploy_files.py) run: a compose CLI for `docker compose config`
# (Debian's docker-compose unless `docker compose` is there) and systemd-analyze for the unit (Debian's systemd,
# which also brings the libseccomp the unit's system call filter is reproduced with); each installed only when
# missing. No Docker engine and no running systemd are needed.
deploy-deps:
	@docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || \
		scripts/install-system-deps.sh docker-compose
	@command -v systemd-analyze >/dev/null || scripts/install-system-deps.sh systemd

venv: $(E2E_STAMP)

$(E2E_STAMP): Tests/e2e/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r Tests/e2e/requirements.txt
	touch $@

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build $(VENV)
