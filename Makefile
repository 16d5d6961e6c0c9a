# Two commands do the whole setup on a fresh machine:
#   make chat   installs everything and opens the chat on the shipped corpus
#   make test   installs everything (test extras, Chromium) and runs lint, types and the whole suite
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install install-test chat test lint browser screenshot bench-quality clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: it takes the CPU wheel; letting sentence-transformers pull torch takes a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test browser

# Debian's Chromium for the browser tests (never `playwright install`: it downloads a browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install -y chromium"; exit 1; fi; \
	fi

chat: install
	$(VENV)/bin/corpus-qa chat

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check qa ui vectorstore training tests benchmarks
	$(VENV)/bin/mypy

test: install-test lint
	$(PY) -m pytest

screenshot: install-test
	CORPUS_QA_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(PY) -m pytest -q tests/test_browser.py -k citation

bench-quality: install
	$(VENV)/bin/corpus-qa eval ../shared/bench/squad2-dev/questions.json --baselines

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
