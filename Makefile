# The two commands a newcomer needs: `make play` and `make test`. Both create (or reuse)
# a local virtual environment in .venv and install the project into it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: play test lint bench soak clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

play: $(STAMP)
	$(BIN)/sitroom play $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# Slow fault campaigns kept out of the default suite: 100 kill -9 trials of a live journal.
soak: $(STAMP)
	SITROOM_CRASH_TRIALS=100 $(BIN)/python -m pytest tests/test_journal_faults.py -k campaign -q

clean:
	rm -rf $(VENV) .pytest_cache bench-results.json
