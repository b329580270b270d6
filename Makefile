# Two commands: `make run` serves the app on the embedded default; `make test` runs the
# whole suite on a throwaway PostgreSQL and Redis. Both set up what they need.
# `make run HOST=0.0.0.0 PORT=8080` serves elsewhere.
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench clean messages

$(VENV)/bin/python:
	@python=$$(scripts/find-python.sh) && echo "Using $$python" && $$python -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed

# Links in emails point where this server answers (`make run PORT=8080`), unless SITE_URL says.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	@mkdir -p var
	@scripts/compile-messages.sh
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Optify is at http://$(HOST):$(PORT)/ — sign in with a user printed above."
	@echo "Emails it sent (today's off-track nudges of the demo) are under var/mail/."
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-test
	@scripts/compile-messages.sh
	scripts/test.sh $(PYTEST_ARGS)

# After changing or adding user-facing strings: refresh the .po files (docs/translations.md),
# translate what is new, then `make test` compiles and checks them.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages --all --no-location --no-obsolete --ignore=.venv --ignore=var \
		--ignore=staticfiles --ignore=bench --ignore=tests --ignore=docs --ignore=ops \
		--ignore=scripts
	@scripts/compile-messages.sh

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var staticfiles
