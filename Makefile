# StudyIn: `make run` to use it, `make test` to check it. Both need only Python 3.11+ and a C compiler.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test stop lint format migrate demo bench

$(STAMP): requirements.txt requirements-dev.txt studyin/pgvector_build.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m studyin.pgvector_build
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo --first-run

# Web server, Celery worker and beat in the foreground, and a watcher that restarts the embedded
# PostgreSQL or Redis if either dies (and prints the banner once the server answers); Ctrl-C
# stops them all. The embedded servers keep running for the next start (`make stop` stops them).
run: demo
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python -m studyin.embedded watch --announce http://$(HOST):$(PORT)/ & \
	$(BIN)/celery -A studyin worker --loglevel=INFO --concurrency=2 -Q default,ingestion,maintenance & \
	$(BIN)/celery -A studyin beat --loglevel=INFO & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest

stop:
	@test -x $(BIN)/python && $(BIN)/python -m studyin.embedded stop || echo "nothing to stop"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
