# The README's two commands: `make run` and `make test`. Only Python 3.11, make and git are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint security install install-dev demo clean serve-production bench-load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo

# The outbox and notice workers run beside the server and stop with it; without EMAIL_HOST mail lands in
# sent-mail/. `make run PORT=8001` serves on another port; the links in mail (SITE_URL) follow it unless set.
PORT ?= 8000
run: demo
	export SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}; \
	$(BIN)/python manage.py send_outbox --loop --interval 5 & outbox=$$!; \
	$(BIN)/python manage.py send_notices --loop --interval 60 & notices=$$!; \
	trap 'kill $$outbox $$notices' EXIT; \
	DEBUG=$${DEBUG:-True} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production on one machine: migrate, then scripts/serve (gunicorn, whitenoise). PRODUCTION=True needs
# SECRET_KEY, ALLOWED_HOSTS and a PostgreSQL DATABASE_URL; see docs/operations.md, "Running in production".
serve-production: install
	PRODUCTION=$${PRODUCTION:-True} $(BIN)/python manage.py migrate --no-input
	PRODUCTION=$${PRODUCTION:-True} exec scripts/serve

# The pages under gunicorn with 2 workers and wrk (Debian's package); on PostgreSQL when DATABASE_URL says so.
bench-load: install
	$(BIN)/python manage.py bench_load

# Two test processes (pytest-xdist), each with its own test database, live server, Redis key prefix and
# frozen clock; --dist loadfile keeps a module on one process, so what a module builds once (the authorisation
# matrix's world, a journey module's Chromium, a Dovecot) is built once. `make test PYTEST_WORKERS=0` runs in one.
PYTEST_WORKERS ?= 2
XDIST = -n $(PYTEST_WORKERS) --dist loadfile

test: install-dev
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The inner loop: everything but the browser journeys and the fuzzing.
test-fast: install-dev
	$(BIN)/python -m pytest -m "not e2e and not fuzz" $(XDIST) $(PYTEST_ARGS)

# Lint and format check; `$(BIN)/ruff format .` and `$(BIN)/ruff check --fix .` repair most of what they find.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Static security checks of the app's own code; a false positive is marked "# nosec BXXX" with the reason above it.
security: install-dev
	$(BIN)/bandit --quiet --recursive coordination samrad

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts documents sent-mail
