# PSN Hub: one command runs the app with demo data, one runs the tests.
# Every target uses the project's virtualenv by path (.venv/bin/...); nothing needs activating.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SECRET_FILE := var/secret_key

# The embedded run: SQLite, kombu's filesystem broker and mail files under var/, plain HTTP on
# 127.0.0.1, MFA not enforced (the app shows a banner). EMAIL_URL is emptied so that a production
# .env in the checkout (psn/settings.py reads it) cannot send the demo's mail through a real server.
RUN_ENV = env PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	DEBUG=false PSN_HTTPS=false PSN_REQUIRE_MFA=false \
	SECRET_KEY="$$(cat $(SECRET_FILE))" ALLOWED_HOSTS=127.0.0.1,localhost EMAIL_URL=

# makemigrations imports the settings outside DEBUG, which need some SECRET_KEY; this one signs
# nothing. (The tests get theirs from tests/env.py.)
CHECK_SECRET_KEY := checks-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz

.PHONY: help install run test lint migrations-check deploy-check bench bench-smoke

help: ## Show this help
	@echo "PSN Hub. Usage: make TARGET"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: PSN_BIND=host:port (make run, default 127.0.0.1:8000), PYTEST_ARGS='...' (make test)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when requirements.txt is newer than the stamp.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

install: $(STAMP) ## Create .venv and install requirements.txt (only when it changed)

$(SECRET_FILE):
	@mkdir -p $(@D)
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	@chmod 600 $@
	@echo "Wrote a new random SECRET_KEY to $@"

run: $(STAMP) $(SECRET_FILE) ## Run web, worker and beat with demo data (http://127.0.0.1:8000)
	@mkdir -p var/mail
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(PY) manage.py seed_demo
	@echo "Serving on http://$${PSN_BIND:-127.0.0.1:8000}/ (Ctrl-C stops web, worker and beat)"
	@# -e /dev/null: honcho would otherwise load .env over the values set above.
	exec $(RUN_ENV) $(VENV)/bin/honcho start -f Procfile -e /dev/null

test: $(STAMP) ## Run the tests (extra pytest arguments: PYTEST_ARGS="-m browser")
	@$(VENV)/bin/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure." >&2; fi; \
	exit $$rc

lint: $(STAMP) ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check: $(STAMP) ## Fail when a model change has no migration
	SECRET_KEY="$${SECRET_KEY:-$(CHECK_SECRET_KEY)}" $(PY) manage.py makemigrations --check --dry-run

deploy-check: $(STAMP) ## manage.py check --deploy with production settings, warnings fail
	env DEBUG=false PSN_HTTPS=true PSN_BEHIND_PROXY=true PSN_REQUIRE_MFA=true \
		SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(45))')" \
		ALLOWED_HOSTS=psn.example.org CSRF_TRUSTED_ORIGINS=https://psn.example.org PSN_SITE_URL=https://psn.example.org \
		$(PY) manage.py check --deploy --fail-level WARNING

bench: $(STAMP) ## Run the benchmarks on the local PostgreSQL, write bench/results.md (BENCH_ARGS='--requests 20')
	$(PY) bench/run.py $(BENCH_ARGS)

bench-smoke: $(STAMP) ## CI: every benchmark on the small demo (database psn_ci_bench); fails on a query count change
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/psn_ci_bench} $(PY) bench/run.py --smoke

.PHONY: audit-deps
audit-deps: $(STAMP) ## Known vulnerabilities in requirements.txt (pip-audit; offline: patch-series check); exceptions in deploy/audit-ignore.toml
	$(PY) deploy/audit_deps.py

# Backups (README "Backups"): the database and settings come from the environment or .env, as for the app.
# BACKUP_DIR (default var/backups), KEEP_DAILY (7) and KEEP_MONTHLY (12) are passed on only when set.
# SECRET_KEY: these commands sign nothing; production's .env sets the real one.
BACKUP_ENV = SECRET_KEY="$${SECRET_KEY:-$(CHECK_SECRET_KEY)}"

.PHONY: backup restore

backup: $(STAMP) ## Back up the database and file storage into BACKUP_DIR (var/backups), then prune (KEEP_DAILY, KEEP_MONTHLY)
	$(BACKUP_ENV) $(PY) manage.py backup $(if $(BACKUP_DIR),--dir "$(BACKUP_DIR)") \
		$(if $(KEEP_DAILY),--keep-daily $(KEEP_DAILY)) $(if $(KEEP_MONTHLY),--keep-monthly $(KEEP_MONTHLY))

restore: $(STAMP) ## Restore BACKUP=path into the configured database and storage, then verify (FORCE=1 replaces data)
	@test -n "$(BACKUP)" || { echo "make restore: name the archive: make restore BACKUP=var/backups/psn-backup-....tar" >&2; exit 2; }
	$(BACKUP_ENV) $(PY) manage.py restore "$(BACKUP)" $(if $(FORCE),--force)

# The load test's own virtualenv: locust and gevent stay out of requirements.txt and the production image.
LOAD_VENV := .venv-load
LOAD_STAMP := $(LOAD_VENV)/.installed

.PHONY: loadtest

$(LOAD_STAMP): requirements-load.txt
	$(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/python -m pip install --disable-pip-version-check -r requirements-load.txt
	touch $@

loadtest: $(STAMP) $(LOAD_STAMP) ## Load test: 50 users for 3 minutes against gunicorn (LOAD_ARGS='--users 10 --duration 30')
	$(PY) bench/load.py $(LOAD_ARGS)
