VENV ?= .venv
PY := $(VENV)/bin/python
EDC := $(VENV)/bin/edc
# Rebuilt only when pyproject.toml changes, so `make run` and `make test` stay fast.
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: install
	$(EDC) db upgrade
	$(EDC) forms check forms/
	$(EDC) demo
	@echo "Serving on http://127.0.0.1:8000 (API documentation at /docs); Ctrl-C stops."
	$(EDC) serve --host 127.0.0.1 --port 8000

test: install
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy app

bench: install
	@for script in bench/[!_]*.py; do \
		[ -e "$$script" ] || continue; \
		echo "== $$script"; \
		$(PY) "$$script" || exit 1; \
	done
