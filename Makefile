# spreadsim developer entry points. Every target that needs the venv runs
# scripts/setup.sh first; it is a no-op (about a second) once .venv is current.

PY     ?= .venv/bin/python
VENV   ?= .venv
PYTEST ?= $(PY) -m pytest -p no:cacheprovider

.PHONY: help setup run test test-fast lint bench clean distclean

help:
	@echo "make setup      create .venv (Python >= 3.12) and install spreadsim[dev]"
	@echo "make run        run scenarios/default_hub.toml (20 replications + no-hub pair) into results/default_hub"
	@echo "make test       ALL tests, including slow validation and browser tests"
	@echo "make test-fast  default selection (no slow/browser), 2 workers"
	@echo "make lint       ruff check src tests"
	@echo "make bench      benchmarks/run_all.py"
	@echo "make clean      remove caches and build artifacts (distclean: also .venv, results)"

setup:
	bash scripts/setup.sh

run: setup
	$(VENV)/bin/spreadsim run scenarios/default_hub.toml --replications 20 --counterfactual \
		--out results/default_hub --force

# -m "" overrides the addopts' `-m "not slow and not browser"` (the last -m wins).
test: setup
	$(PYTEST) -m "" -q

test-fast: setup
	$(PYTEST) -n 2 -q

lint: setup
	$(PY) -m ruff check src tests

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis benchmarks/out
	find . -path ./.venv -prune -o -name '*.egg-info' -prune -exec rm -rf {} + \
		-o -name __pycache__ -prune -exec rm -rf {} + -o -name '*.pyc' -exec rm -f {} +

distclean: clean
	rm -rf $(VENV) results
