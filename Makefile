# Couples Rehab: `make run` to try it, `make test` to check it. Both set themselves up.

# The first interpreter that is Python 3.12 or newer (Django 6 needs it).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000
# Links in emails are built from SITE_URL: on another port (`make run PORT=8123`) they follow
# it, unless SITE_URL is set already. `make worker` and `make beat` send the emails: give them
# the same PORT.
RUN_ENV := DEBUG=$${DEBUG:-true} SITE_URL=$${SITE_URL:-http://localhost:$(PORT)}

.PHONY: run web worker beat test test-timeshift bench bench-notifications bench-pages bench-audit bench-export bench-faults lint fmt migrations-check deploy-check lock install clean

$(STAMP): requirements.lock pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 or newer is needed (python3.13, python3.12 or python3)."; exit 1; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

## run: set up, migrate, load demo data, then serve on :8000 (PORT=…) with a Celery worker and beat.
run: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@echo "Starting web on http://localhost:$(PORT)/ with a Celery worker and beat. Ctrl-C stops all."
	$(RUN_ENV) $(BIN)/python manage.py devserver 0.0.0.0:$(PORT)

web: install
	$(RUN_ENV) $(BIN)/python manage.py runserver 0.0.0.0:$(PORT)

worker: install
	$(RUN_ENV) $(BIN)/celery -A config worker --loglevel=INFO

beat: install
	$(RUN_ENV) $(BIN)/celery -A config beat --loglevel=INFO

## test: lint, migrations check, deploy check, then the whole pytest suite on every core
## (pytest-xdist; each worker has its own test database; a module's tests stay on one worker,
## so a module's once-seeded demo is seeded once). PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= auto
test: install lint migrations-check deploy-check
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)

## test-timeshift: the tests marked `timeshift` again, on SQLite, with the machine's clock moved
## by libfaketime (Debian package faketime) to awkward moments: a Sunday 23:55 in the clinic's
## zone, both daylight saving changes of 2027, New Year's Eve 23:59, 29 February 2028, a year
## from now. `.ci/timeshift "YYYY-MM-DD HH:MM:SS"` tries one moment (UTC). CI runs it.
test-timeshift: install
	.ci/timeshift

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

deploy-check: install
	DEBUG=false EMAIL_HOST=smtp.example.org SECRET_KEY=deploy-check-$$(date +%s)-a-long-random-value-for-the-check-only \
	AUDIT_CHAIN_KEY=deploy-check-audit-key \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

## lock: re-pin every dependency with hashes after editing pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) data

## bench: the benchmarks below, the reminders first (the page report quotes their figure).
## Not part of `make test` (tests/delivery and tests/bench hold quick smoke versions).
bench: bench-notifications bench-pages bench-audit bench-export

## bench-notifications: time one Celery worker (concurrency 2) sending 10,000 due reminders, in
## its own database couples_rehab_bench beside DATABASE_URL (PostgreSQL) with REDIS_URL.
bench-notifications: install
	$(BIN)/python -m bench.notifications

## bench-pages: gunicorn as in production (2 sync workers) under 10 concurrent clients, page by
## page against a floor view, in databases <name>_bench_scale (seeded once, about a minute) and
## <name>_bench_demo beside DATABASE_URL, with REDIS_URL; writes bench/results/pages.md, .json.
bench-pages: install
	$(BIN)/python -m bench.pages

## bench-audit: 8 partners post check-ins at once, with the audit log as written, with one
## chain as before, and with auditing off in that process; in <name>_bench_audit beside
## DATABASE_URL (PostgreSQL); writes bench/results/audit.md, .json.
bench-audit: install
	$(BIN)/python -m bench.audit

## bench-export: one partner's FHIR export (record_for_partner, then bundle_json) with a year of
## daily check-ins, goals with a year of progress, weekly measures and sessions: median of 5
## runs and the query count, beside a week's record (the same count); target under 10 s. On
## SQLite in a temporary folder, or in <name>_bench_export beside DATABASE_URL (PostgreSQL);
## writes bench/results/export.md, .json.
bench-export: install
	$(BIN)/python -m bench.export

## bench-faults: 2,000 due reminders per run through the real beat and worker, a private Redis
## and a real SMTP server, with one fault each (a worker killed 10 times, three workers and two
## beats, Redis stopped, database connections dropped, the mail server hanging, then refusing
## for 30 minutes); in <name>_faults beside DATABASE_URL (PostgreSQL); about an hour; writes
## bench/results/faults.md, .json. Not part of `make bench`.
bench-faults: install
	$(BIN)/python -m bench.faults
