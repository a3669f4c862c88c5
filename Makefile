# The Deep Learning Problem-Set Workbook: `make help` lists the targets.
# Every target creates the virtual environment .venv on first use.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
MATHJAX_VERSION := 3.2.2
MATHJAX := _vendor/mathjax/tex-chtml-full.js
NB ?= book
JB_FLAGS := --builder html --all -W -n --keep-going
NBVAL := $(PY) -m pytest -p no:cacheprovider --nbval --nbval-current-env \
         --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=1800

.PHONY: help book test unit twins nbval execute sync lint lab clean data bench mutation

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@echo "== creating $(VENV) (torch, hwlib and the book's tools; a few minutes on first use)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book]"
	@# warm matplotlib's font cache: its first-run message goes to stderr, which nbval compares
	MPLBACKEND=Agg $(PY) -c "import matplotlib.pyplot as plt; plt.figure()"
	touch $@

$(MATHJAX):
	@# MathJax from the npm registry, so the book's math renders offline too; without
	@# npm the book falls back to MathJax's CDN (see _ext/local_mathjax.py).
	@if command -v npm >/dev/null; then \
	  rm -rf _vendor/mathjax _vendor/.mathjax-tmp && mkdir -p _vendor/.mathjax-tmp && \
	  (cd _vendor/.mathjax-tmp && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && \
	   tar xzf mathjax-$(MATHJAX_VERSION).tgz package/es5) && \
	  mv _vendor/.mathjax-tmp/package/es5 _vendor/mathjax && rm -rf _vendor/.mathjax-tmp; \
	else echo "npm not found: the book will load MathJax from its CDN"; fi

book: $(STAMP) $(MATHJAX) ## render the book into _build/html from the committed outputs
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	@echo "open _build/html/index.html"

# Fashion-MNIST, which the chapters train on: hwlib finds it in HWLIB_DATA, the Debian package
# dataset-fashion-mnist, its cache, or downloads it. Offline, install the Debian package when we can.
FMNIST_CHECK := import sys; from hwlib.data import fashion_mnist_available as f; sys.exit(0 if f() else 1)
FMNIST_HOWTO := echo "Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist', set HWLIB_DATA to a folder holding its four .gz files, or let hwlib download it (network)"

data: $(STAMP) ## install Fashion-MNIST (Debian package dataset-fashion-mnist) if it is missing and we can
	@if $(PY) -c "$(FMNIST_CHECK)" 2>/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "== installing the Debian package dataset-fashion-mnist (Fashion-MNIST)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q dataset-fashion-mnist >/dev/null; } || \
	    $(FMNIST_HOWTO); \
	else $(FMNIST_HOWTO); fi

unit: $(STAMP) data ## hwlib's unit tests and the tooling tests
	$(PY) -m pytest -p no:cacheprovider -q tests

twins: $(STAMP) ## fail if a .myst.md twin has drifted from its .ipynb
	$(PY) tools/nbtools.py check

nbval: $(STAMP) data ## re-execute every notebook (NB=path for some) and compare with the committed outputs
	$(NBVAL) $(NB)

test: $(STAMP) ## unit tests, twin check, warning-free book build, nbval on every notebook
	$(MAKE) unit
	$(MAKE) twins
	$(MAKE) book
	$(MAKE) nbval

execute: $(STAMP) data ## re-execute every notebook in place (NB=path for some) and re-pair the twins
	$(PY) tools/nbtools.py execute $(NB)

sync: $(STAMP) ## carry edits of the .myst.md twins into the .ipynb files (outputs kept)
	$(PY) tools/nbtools.py sync $(NB)

bench: $(STAMP) data ## CPU benchmarks: tensor-resident loader vs DataLoader, the 10-epoch Fashion-MNIST MLP
	$(PY) benchmarks/bench_loader.py
	$(PY) benchmarks/bench_mlp.py

lint: $(STAMP) ## ruff on hwlib, tests, tools and the notebooks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check src tests tools

# MODULES="checks timing" restricts the run; every module by default. Kernels run under
# Triton's CPU interpreter. Reruns are incremental (mutmut's cache in mutants/).
MODULES ?=
mutation: $(STAMP) ## mutation testing of hwlib (mutmut, slow: see the testing appendix); per-module table
	$(PY) -m pip install --quiet -e ".[mutation]"
	$(PY) tools/mutation_report.py --run $(MODULES)

lab: $(STAMP) ## open the book in JupyterLab (installs JupyterLab on first use)
	$(PY) -m pip install --quiet "jupyterlab>=4" "jupytext==1.19.6"
	$(VENV)/bin/jupyter lab book

clean: ## remove the built book and caches (keeps .venv)
	rm -rf _build .pytest_cache .ruff_cache mutants
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +

# ---- GPU runner (see README, "Running the GPU job") ----------------------------------
# The GPU machine's own python3 holds PyTorch and Triton; the book's tools come from
# wheels (make gpu-wheels on a machine with PyPI, make gpu-env on the GPU machine).
GPU_PY := .venv-gpu/bin/python
GPU_CHECK := import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)
GPU_NOENV := echo "no $(GPU_PY): run make gpu-env first (README, Running the GPU job)"
GPU_FAIL := echo "no CUDA device: torch.cuda.is_available() is False on this machine; run this target on a GPU machine (README, Running the GPU job)"

.PHONY: gpu-wheels gpu-env test-gpu execute-gpu bench-gpu

gpu-wheels: $(STAMP) ## download the book's tools as wheels for a GPU machine without PyPI (into wheelhouse/)
	$(PY) tools/gpu_env.py wheels

gpu-env: ## on the GPU machine: .venv-gpu over its own torch/triton, tools from wheelhouse/
	python3 tools/gpu_env.py install

test-gpu: ## nbval on every notebook with HWLIB_PROFILE=full on a CUDA GPU, one notebook at a time
	@test -x $(GPU_PY) || { $(GPU_NOENV); exit 1; }
	@$(GPU_PY) -c "$(GPU_CHECK)" 2>/dev/null || { $(GPU_FAIL); exit 1; }
	HWLIB_PROFILE=full PYTHONPATH=$(CURDIR)/src $(GPU_PY) -m pytest -p no:cacheprovider --nbval \
	  --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=1800 $(NB)

execute-gpu: ## on the GPU machine: refresh the committed outputs with the full profile
	@test -x $(GPU_PY) || { $(GPU_NOENV); exit 1; }
	@$(GPU_PY) -c "$(GPU_CHECK)" 2>/dev/null || { $(GPU_FAIL); exit 1; }
	HWLIB_PROFILE=full PYTHONPATH=$(CURDIR)/src $(GPU_PY) tools/nbtools.py execute $(NB)

bench-gpu: ## on the GPU machine: Triton kernel benchmark (bandwidth, TFLOP/s, timer agreement)
	@test -x $(GPU_PY) || { $(GPU_NOENV); exit 1; }
	PYTHONPATH=$(CURDIR)/src $(GPU_PY) benchmarks/bench_kernels.py --json _build/bench_kernels.json
