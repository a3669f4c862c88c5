# The Deep Learning Problem-Set Workbook: `make help` lists the targets.
# Every target creates the virtual environment .venv on first use.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
PIP_VERSION := 26.3  # the installer, pinned like everything it installs
MATHJAX_VERSION := 3.2.2
MATHJAX := _vendor/mathjax/tex-chtml-full.js
NB ?= book
JB_FLAGS := --builder html --all -W -n --keep-going
# nbval: strict comparison, one sanitizer, whole notebooks spread over JOBS workers
# (pytest-xdist; JOBS=1 runs them one after another in this process).
JOBS ?= auto
NBVAL := $(PY) -m pytest -p no:cacheprovider --nbval --nbval-current-env \
         --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=1800 \
         --nbval-kernel-startup-timeout=300 $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)
# The CPUs `make portability` emulates, one leg each: PyTorch's kernels (ATen), its BLAS (MKL)
# and NumPy's (OpenBLAS) told to use an older instruction set than this machine has.
# LEGS=haswell (say) runs one leg; the CI workflow runs each leg on each chapter.
PORTABILITY_LEGS := simd-less haswell sandybridge
LEG_simd-less := ATEN_CPU_CAPABILITY=default
LEG_haswell := ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 OPENBLAS_CORETYPE=Haswell
LEG_sandybridge := ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 OPENBLAS_CORETYPE=Sandybridge
LEGS ?= $(PORTABILITY_LEGS)

.PHONY: help book test unit twins nbval portability execute sync lint lab student student-html clean data bench lock compat mutation

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(LOCK)
	@echo "== creating $(VENV) (torch, hwlib and the book's tools at the versions in $(LOCK); a few minutes on first use)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "pip==$(PIP_VERSION)"
	$(PY) -m pip install --quiet --constraint $(LOCK) -e ".[book,mutation,lab]"
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

nbval: $(STAMP) data ## re-execute every notebook (NB=path for some, JOBS=1 serially) and compare with the committed outputs
	$(NBVAL) $(NB)

define nbval_leg
	@echo "== nbval, $(1) leg: $(LEG_$(1))"
	env $(LEG_$(1)) $(NBVAL) -q $(NB)

endef

portability: $(STAMP) data ## nbval on every notebook under three emulated CPUs (SIMD-less, Haswell, Sandy Bridge)
	@$(foreach leg,$(LEGS),$(if $(LEG_$(leg)),,$(error unknown leg $(leg): LEGS takes $(PORTABILITY_LEGS))))
	$(foreach leg,$(LEGS),$(call nbval_leg,$(leg)))

test: $(STAMP) ## unit tests, twin check, student edition, warning-free book build, nbval on every notebook
	$(MAKE) unit
	$(MAKE) twins
	$(MAKE) student
	$(MAKE) book
	$(MAKE) nbval

execute: $(STAMP) data ## re-execute every notebook in place (NB=path for some) and re-pair the twins
	$(PY) tools/nbtools.py execute $(NB)

sync: $(STAMP) ## carry edits of the .myst.md twins into the .ipynb files (outputs kept)
	$(PY) tools/nbtools.py sync $(NB)

bench: $(STAMP) data ## CPU benchmarks: tensor-resident loader vs DataLoader, the 10-epoch Fashion-MNIST MLP
	$(PY) benchmarks/bench_loader.py
	$(PY) benchmarks/bench_mlp.py

# pip-tools resolves in a venv of its own, so its dependencies stay out of the book's environment.
lock: ## refresh requirements.lock: every package of the book's environment, pinned (pip-tools)
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet "pip-tools==7.6.2"
	CUSTOM_COMPILE_COMMAND="make lock" .venv-lock/bin/pip-compile --quiet --upgrade --extra book --extra mutation --extra lab \
	  --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml
	@echo "$(LOCK) refreshed: commit it; the next make target rebuilds $(VENV) from it"

# The oldest PyTorch hwlib's ranges allow, with the GPU image's Triton (see README, "Versions").
# Triton 3.6's interpreter needs NumPy < 2.4 (hwlib.kernels says so when it meets a newer one);
# torch's own dependencies (setuptools < 82 for 2.11) are left to pip, the rest follow the lock.
COMPAT_VENV := .venv-compat
COMPAT_PINS := torch==2.11.0 torchvision==0.26.0 triton==3.6.0 "numpy<2.4"
COMPAT_STAMP := $(COMPAT_VENV)/.installed-stamp
$(COMPAT_STAMP): pyproject.toml $(LOCK)
	@echo '== creating $(COMPAT_VENV): $(COMPAT_PINS) (a large download on first use)'
	$(PYTHON) -m venv $(COMPAT_VENV)
	grep -vE '^(torch|torchvision|triton|numpy|setuptools|nvidia-[a-z0-9-]+|cuda-[a-z-]+)==' $(LOCK) \
	  > $(COMPAT_VENV)/constraints.txt
	$(COMPAT_VENV)/bin/python -m pip install --quiet "pip==$(PIP_VERSION)"
	$(COMPAT_VENV)/bin/python -m pip install --quiet --constraint $(COMPAT_VENV)/constraints.txt \
	  $(COMPAT_PINS) -e . pytest scikit-image scikit-learn pyyaml ipython myst-nb
	touch $@

compat: $(COMPAT_STAMP) data ## hwlib's unit tests with torch 2.11 (the oldest allowed) and Triton 3.6 (interpreter)
	$(COMPAT_VENV)/bin/python -c "import torch, triton; print('torch', torch.__version__, '· triton', triton.__version__)"
	$(COMPAT_VENV)/bin/python -m pytest -p no:cacheprovider -q tests \
	  --ignore=tests/test_tooling.py --ignore=tests/test_portability.py

lint: $(STAMP) ## ruff on hwlib, tests, tools and the notebooks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check src tests tools

# MODULES="checks timing" restricts the run; every module by default. Kernels run under
# Triton's CPU interpreter. Reruns are incremental (mutmut's cache in mutants/).
MODULES ?=
mutation: $(STAMP) ## mutation testing of hwlib (mutmut, slow: see the testing appendix); per-module table
	$(PY) tools/mutation_report.py --run $(MODULES)

lab: $(STAMP) ## open the book in JupyterLab, MyST rendered by jupyterlab-myst (both in the lock)
	$(VENV)/bin/jupyter lab book

# The student edition (README, "For students"): notebooks with the solutions stubbed and the checks
# kept, one zip per chapter and one of all; and the HTML book with the solutions hidden.
STUDENT_CONFIG := _build/student-config/_config.yml
student: $(STAMP) ## write the student edition to _build/student and its zips to _build/student-zips
	$(PY) tools/student.py --zip

student-html: $(STAMP) $(MATHJAX) ## render the book without solutions into _build/student-site/_build/html
	$(PY) tools/student.py --html-config $(STUDENT_CONFIG)
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS) --config $(STUDENT_CONFIG) --path-output _build/student-site
	@echo "open _build/student-site/_build/html/index.html"

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
