# medfair: the two commands of the README are `make repro` and `make test`.
# Each creates/updates the virtual environment it needs; both are idempotent.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# Install from plain PyPI: ignore machine-wide pip config and find-links folders, which on some
# machines hold a CPU-only torch wheel that PyPI's torchvision cannot load against.
# `make PIP_ENV= test` keeps your own pip configuration.
PIP_ENV ?= env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null
STAMP := $(VENV)/.medfair-installed
KERNEL := medfair
RUNS ?= runs
N_WORKERS ?= 2

.PHONY: help venv browser dicom3tools repro test test-all export readme docs lab

help:
	@echo "make repro   run the headline reproduction (medfair repro run $(REPRO)) -> $(RUNS)/$(REPRO)/"
	@echo "make test    run the test suite that CI runs (nbdev_test + pytest, slow tests left out)"
	@echo "make test-all  the same plus the notebook cells flagged slow, the pytest tests marked slow (and gpu cells, on a GPU machine)"
	@echo "make docs    build the site (nbdev_docs with Quarto, else static HTML in _site/)"
	@echo "make export  notebooks -> medfair/, clean notebooks, regenerate README.md"
	@echo "make lab     JupyterLab on nbs/"

$(STAMP): settings.ini setup.py pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_ENV) $(PY) -m pip install -q --upgrade pip "setuptools>=64" wheel
	$(PIP_ENV) $(PY) -m pip install -q -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (medfair)" >/dev/null
	$(PY) -c "import torch, torchvision; m = torchvision.models.resnet18(weights=None).eval(); print('venv ready: torch', torch.__version__, 'torchvision', torchvision.__version__, 'cpu forward', tuple(m(torch.zeros(1, 3, 64, 64)).shape))"
	@touch $(STAMP)

venv: $(STAMP)

# ---- the main job -------------------------------------------------------------------------
# The headline reproduction on the embedded synthetic cohort: its default design on a CPU, the `gpu`
# preset when a GPU is present (picked automatically). Writes runs/<name>/: executed notebook,
# metrics.json, report.html (interactive, offline) and run.json. Other reproductions:
# `make repro REPRO=seg_sex_imbalance`, or `.venv/bin/medfair repro list`. Running it again moves the previous
# run folder aside (to $(RUNS)/$(REPRO).<its start time>, via --force): no earlier run is ever deleted.
REPRO ?= gender_imbalance
REPRO_ARGS ?=
repro: $(STAMP)
	$(BIN)/medfair repro run $(REPRO) --out $(RUNS)/$(REPRO) --force $(REPRO_ARGS)

# ---- the tests ------------------------------------------------------------------------------
# Some tests need a Debian tool: the browser tests drive Chromium with Playwright (no browser download), the DICOM
# validity tests run dicom3tools' dciodvfy. Each is installed with apt when it is missing and we may (root + apt-get);
# otherwise its tests are skipped with a reason. $(call apt_tool,COMMAND,PACKAGE,WHICH TESTS)
define apt_tool
	@if command -v $(1) >/dev/null 2>&1; then echo "$(1): $$(command -v $(1))"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's $(2) for the $(3)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null) || echo "$(2) install failed: $(3) will be skipped"; \
	else echo "no $(1) and no apt as root: $(3) will be skipped"; fi
endef

browser:
	$(call apt_tool,chromium,chromium,browser tests)

dicom3tools:
	$(call apt_tool,dciodvfy,dicom3tools,DICOM validity tests)

# pytest runs two tests at a time (pytest-xdist; grouped tests share a worker), one torch thread by default in each,
# with OpenMP threads that sleep rather than spin while waiting (a test asking for 2 threads next to a busy worker ran 10x slower).
# Tests marked `slow` (the heaviest reproduction `ci` presets, the Flower deployment, the Ray cluster) are left to `make test-all`.
test: $(STAMP) browser dicom3tools
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers $(N_WORKERS)  # one torch thread per notebook: $(N_WORKERS) notebooks run at once
	OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE $(PY) -m pytest tests/ -q --durations=40 -n 2 --dist loadgroup -m "not slow"

# Everything, including the notebook cells flagged `#| slow` (25 cells: the CI-sized trainings of 21_segment and
# 30_classify, the full-fidelity plausibility section of 22_plausibility, the bootstrap-coverage studies of
# 04b_resampling, ...; about 9 minutes on 2 cores) and, on a machine with a CUDA GPU, those flagged `#| gpu`, and the
# pytest tests marked `slow` (the `ci` presets of det_fairness, federated_sites, site_transfer, label_free_audit and
# ssl_leakage, the localhost Flower deployment, the Ray cluster sweep: about 15 minutes more on 2 cores).
# `make test` leaves them out to keep CI near 30 minutes on 2 cores.
test-all: $(STAMP) browser dicom3tools
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers $(N_WORKERS) --flags "slow $$($(PY) -c 'import torch; print("gpu" if torch.cuda.is_available() else "")')"
	OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE $(PY) -m pytest tests/ -q --durations=15 -n 2 --dist loadgroup

# ---- development ----------------------------------------------------------------------------
export: $(STAMP)
	$(BIN)/nbdev_export
	$(PY) tools/split_import_cells.py nbs/*.ipynb
	$(BIN)/nbdev_clean
	$(PY) tools/make_readme.py

readme: $(STAMP)
	$(PY) tools/make_readme.py

docs: $(STAMP)
	$(PY) tools/make_docs.py

lab: $(STAMP)
	$(BIN)/jupyter lab nbs/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)  # Jupyter refuses root unless told: only then
