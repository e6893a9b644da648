# GridDesk — two commands: `make run` and `make test`. Each step leaves a stamp
# file so running it again does no work twice.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
BUN_MIN := 1.4.4
export NPM_CONFIG_REGISTRY ?= $(shell npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
export REFLEX_DB_URL ?= sqlite:///griddesk.db
export PYTHONUNBUFFERED := 1
DEMO_CASES ?= 40000
# processes beside each worker that compute the live dashboards' views (rxapp/view_process.py)
VIEW_PROCESSES ?= 1

.PHONY: run test deps bun browser db migrate bench run-prod

# demo mode: demo accounts, the demo Open311 key and SMS webhook secret are allowed
# (and a 演示数据 banner shows); without GRIDDESK_DEMO=1 the app refuses to start with them
run: export GRIDDESK_DEMO := 1
run: export GRIDDESK_VIEW_PROCESSES ?= $(VIEW_PROCESSES)
run: deps db ## set up and serve the demo on http://localhost:3000
	.venv/bin/reflex run --env prod

test: deps browser ## set up and run the whole suite
	$(PY) -m pytest

deps: $(VENV_STAMP) bun

$(VENV_STAMP): requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

bun: ## Reflex's own bun download cannot work here: install it from npm
	@if ! command -v bun >/dev/null || [ "$$(printf '%s\n' "$(BUN_MIN)" "$$(bun --version)" | sort -V | head -1)" != "$(BUN_MIN)" ]; then \
		echo "installing bun $(BUN_MIN) from npm"; npm install -g --allow-scripts=bun bun@$(BUN_MIN) || npm install -g bun@$(BUN_MIN); \
	fi

browser: ## Debian chromium + a CJK font for the browser tests
	@if ! command -v chromium >/dev/null || ! fc-list | grep -qi "wenquanyi\|noto sans cjk"; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null && fc-cache -f; \
	fi
	@# axe-core, injected by Playwright in the accessibility tests (a project-local copy, never a CDN)
	@test -f .axe/node_modules/axe-core/axe.min.js || npm install --prefix .axe --no-audit --no-fund -q axe-core@4

migrate: deps
	.venv/bin/reflex db migrate

db: migrate ## migrations, then demo data when the database has no cases
	$(PY) -m rxapp.seed --cases $(DEMO_CASES) --if-empty

# Scale-out on this machine's PostgreSQL and Redis: same code, configuration only.
PROD_DB_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/griddesk
PROD_REDIS_URL ?= redis://127.0.0.1:6379/0
PROD_WORKERS ?= 2
run-prod: deps ## PostgreSQL + Redis + several backend workers on http://localhost:3000
	psql "$$(echo $(PROD_DB_URL) | sed 's/+psycopg//; s#/[^/]*$$#/postgres#')" -tc "SELECT 1 FROM pg_database WHERE datname = '$$(basename $(PROD_DB_URL))'" | grep -q 1 || \
		psql "$$(echo $(PROD_DB_URL) | sed 's/+psycopg//; s#/[^/]*$$#/postgres#')" -c "CREATE DATABASE $$(basename $(PROD_DB_URL))"
	REFLEX_DB_URL=$(PROD_DB_URL) .venv/bin/reflex db migrate
	REFLEX_DB_URL=$(PROD_DB_URL) GRIDDESK_DEMO=0 $(PY) -m rxapp.seed --cases $(DEMO_CASES) --if-empty
	@echo "run-prod is not demo mode: seeded accounts have no usable password and there is no API key. Create real credentials:"
	@echo "  REFLEX_DB_URL=$(PROD_DB_URL) $(PY) -m rxapp.users reset-password --username admin   (or: users create --username U --name N --role admin)"
	@echo "  REFLEX_DB_URL=$(PROD_DB_URL) $(PY) -m rxapp.users api-key create --name <gateway>"
	@echo "  export GRIDDESK_SMS_WEBHOOK_SECRET=\$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')"
	REFLEX_DB_URL=$(PROD_DB_URL) GRIDDESK_DEMO=0 $(PY) -c "from rxapp.domain.demo import refuse_unsafe_start; refuse_unsafe_start()"
	REFLEX_DB_URL=$(PROD_DB_URL) REFLEX_REDIS_URL=$(PROD_REDIS_URL) GRANIAN_WORKERS=$(PROD_WORKERS) GRIDDESK_VIEW_PROCESSES=$(VIEW_PROCESSES) GRIDDESK_DEMO=0 .venv/bin/reflex run --env prod

bench: deps ## every benchmark (intake_bench drives HTTP with wrk, from Debian's packages)
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	for f in bench/*.py; do $(PY) $$f; done
