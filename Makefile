# Quick start: `make demo` (set-up + the main job) and `make test` (set-up + all tests).
# Each target creates .venv, installs the package with its extras, and installs the
# Graphviz `dot` program with apt-get when it is missing and we are root.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
EXTRAS := dev,learn,search,jit
RUN ?= runs/demo

.PHONY: setup dot chromium demo test test-fast bench lint notebooks playground-picture clean

setup: $(STAMP) dot

$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  rm -rf $(VENV); \
	  if ! $(PYTHON) -m venv $(VENV) 2>/dev/null; then \
	    rm -rf $(VENV); \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "python venv support is missing: installing python3-venv with apt-get"; \
	      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; \
	      $(PYTHON) -m venv $(VENV) || exit 1; \
	    else \
	      echo "error: '$(PYTHON) -m venv' failed; install your distribution's python3-venv package"; \
	      exit 1; \
	    fi; \
	  fi; \
	fi
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -e '.[$(EXTRAS)]'
	@touch $(STAMP)

dot:
	@if ! command -v dot >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Graphviz 'dot' is missing: installing graphviz with apt-get"; \
	    apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "note: Graphviz 'dot' is missing, so graphs are written as DOT source only;"; \
	    echo "      install it with 'sudo apt-get install graphviz' (or your system's package)."; \
	  fi; \
	fi

# Debian's chromium and chromium-driver drive the playground's browser tests (Selenium);
# without them (e.g. not root) those tests skip and say why.
chromium:
	@if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "chromium or chromedriver is missing: installing chromium and chromium-driver with apt-get"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        -o DPkg::Lock::Timeout=600 chromium chromium-driver >/dev/null; } || \
	      echo "note: installing chromium failed, so the playground's browser tests skip"; \
	  else \
	    echo "note: /usr/bin/chromium or /usr/bin/chromedriver is missing, so the playground's"; \
	    echo "      browser tests skip; install them with 'sudo apt-get install chromium chromium-driver'."; \
	  fi; \
	fi

demo: setup
	$(VENV)/bin/autograd-flow train --out $(RUN) --overwrite

test: setup chromium
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(PY) -m pytest -n 2 -p no:cacheprovider

test-fast: setup chromium
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(PY) -m pytest -n 2 -m "not slow"

bench: setup
	@# the CPU build of torch first, so the bench extra does not pull CUDA libraries
	$(PY) -m pip install --quiet "torch==2.13.0+cpu" 2>/dev/null || true
	$(PY) -m pip install -qq -e '.[$(EXTRAS),bench]' || echo "bench extra not installed: comparing with numpy only"
	$(PY) benchmarks/bench_step.py
	$(PY) benchmarks/bench_digits.py
	$(PY) benchmarks/compile_cost.py

# PyTorch's operator samples and HIPS autograd's own gradient tests (tests/reference/):
# the counts by outcome and op, and every case that fails (the CPU build of torch first)
reference: setup
	$(PY) -m pip install --quiet "torch==2.13.0+cpu" expecttest 2>/dev/null || true
	$(PY) -m tests.reference.summary --failures-only

lint: setup
	$(VENV)/bin/ruff check autograd_flow autograd_flow_launcher.py tests benchmarks
	$(VENV)/bin/mypy

# Execute every notebook in place at full settings, so their outputs (the numbers their
# text discusses) show when browsed; re-run before committing a notebook. The tests
# execute them again on every run, with AUTOGRAD_FLOW_SMALL=1.
notebooks: setup
	@for notebook in notebooks/*.ipynb; do \
	  echo "executing $$notebook"; \
	  MPLBACKEND=Agg $(VENV)/bin/jupyter execute --inplace \
	    --kernel_name=python3 "$$notebook" || exit 1; \
	done

# The README's picture of the playground (docs/playground.png) and, beside it, the hash of
# the page's static files it shows: tests/playground/test_picture.py fails when they have
# changed since, until this is run again.
playground-picture: setup chromium
	$(PY) -m autograd_flow.playground.screenshot -o docs/playground.png

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
