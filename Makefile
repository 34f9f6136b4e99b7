# The two commands: `make run` and `make test`. Both set up everything they need themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ./data
STAMP := $(VENV)/.installed
# The suite in two worker processes (pytest-xdist), whole files per worker so that a module's
# fixtures and order stay as written; `make test PYTEST_WORKERS=` runs it in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile
# Debian tools the tests drive for real (MTA, SMTP client, IMAP server, QR decoder, PDF
# rasteriser, browser, SVG rasteriser, fonts for posters; systemd-analyze checks the unit).
APT_PACKAGES := swaks postfix zbar-tools poppler-utils chromium chromium-driver dovecot-imapd \
	librsvg2-bin fonts-dejavu-core postgresql-contrib openssl tnef systemd

.PHONY: run test lint venv apt-deps node-deps postgres clean help

help:
	@echo "make run   - set up and start diia-inbox on embedded defaults (data in $(DATA))"
	@echo "make test  - set up and run the whole test suite"

# Installs through constraints.txt: the exact versions the suite was run with (the container
# uses the same file), so `make test` tests what a release installs. setup.py and the C source
# too: the accelerator is built by the same editable install.
$(STAMP): pyproject.toml constraints.txt setup.py verify/_native.c
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,s3]'
	touch $(STAMP)

venv: $(STAMP)

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; \
	fi

# Other implementations the tests compare against, and axe-core for the accessibility checks,
# from the npm registry (tests/node/package.json).
# Node.js itself from Debian only where no node/npm exists (some machines carry another build).
node-deps: apt-deps
	@command -v npm >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null; }
	@test -d tests/node/node_modules/gost89 -a -f tests/node/node_modules/axe-core/axe.min.js || \
		npm install --prefix tests/node --no-audit --no-fund --loglevel=error >/dev/null

postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		echo "starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
		for i in $$(seq 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done; \
	fi

run: $(STAMP)
	$(BIN)/diia-inbox serve --data $(DATA)

test: $(STAMP) apt-deps node-deps postgres
	$(BIN)/python -m pytest -q $(PYTEST_WORKERS) --durations=25 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy diia_inbox archive verify ingest search qrtools web

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
