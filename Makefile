# Two install levels into .venv, each pinned by requirements/constraints.txt:
#   core (pre-training, demo, export, evaluation tools): torch + torchvision, mmengine,
#        mmcv-lite 2.1.0 (no compiled ops: a wheel, seconds), mmpretrain. `make install-core`.
#   full (downstream too): mmcv 2.1.0 built from source with ops (about 10 minutes on 2
#        cores; pip caches the built wheel), mmdet, mmsegmentation, mmrotate-dev, test tools.
#        `make install`.
# `make demo` uses full if it is installed, else installs core; `make test` installs full.
# mmcv and mmcv-lite install the same `mmcv` package folder, so full removes mmcv-lite first
# and core never installs mmcv-lite over mmcv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
C := -c requirements/constraints.txt
CORE := $(VENV)/.mmgersp-core
FULL := $(VENV)/.mmgersp-full
CORE_REQS := requirements/build.txt requirements/runtime.txt \
             requirements/constraints.txt setup.py
FULL_REQS := $(CORE_REQS) requirements/mminstall.txt requirements/det.txt \
             requirements/seg.txt requirements/rotate.txt requirements/tests.txt

.PHONY: install install-core demo test device-wheels gpu-report

install: $(FULL)
install-core: $(CORE)

$(CORE): $(CORE_REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q "pip==24.3.1"
	$(PIP) install -r requirements/build.txt $(C)
	$(PIP) show -q mmcv 2>/dev/null || $(PIP) install mmcv-lite $(C)
	$(PIP) install -r requirements/runtime.txt $(C)
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -c "import mmgersp; print('mmgersp', mmgersp.__version__, 'installed (core)')"
	touch $@

$(FULL): $(FULL_REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q "pip==24.3.1"
	$(PIP) install -r requirements/build.txt $(C)
	if $(PIP) show -q mmcv-lite 2>/dev/null; then $(PIP) uninstall -y mmcv-lite mmcv; fi
	$(PIP) install wheel ninja $(C)
	MAX_JOBS=$${MAX_JOBS:-2} MMCV_WITH_OPS=1 $(PIP) install \
	    --no-build-isolation -r requirements/mminstall.txt $(C)
	$(PIP) install -r requirements/runtime.txt -r requirements/det.txt \
	    -r requirements/seg.txt -r requirements/rotate.txt -r requirements/tests.txt $(C)
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -c "import mmgersp, mmdet, mmseg, mmrotate, mmcv.ops; print('mmgersp', mmgersp.__version__, 'installed (full)')"
	touch $@

# Pre-train the demo GeRSP model on generated data, export the backbone.
demo: $(if $(wildcard $(FULL)),$(FULL),$(CORE))
	$(PY) tools/demo.py $(ARGS)

# The test suite (CPU; reads ../shared/data).
test: $(FULL)
	$(PY) -m pytest tests $(ARGS)

# The light pre-training stack as wheels (plus the sample images) for a GPU machine without
# network; carry .device-wheels there and run `make gpu-report` (docs/benchmark.md).
device-wheels: $(if $(wildcard $(FULL)),$(FULL),$(CORE))
	PYTHON=$(PY) tools/misc/device_wheels.sh .device-wheels --data

# On the GPU machine (its own python3 with torch): install from .device-wheels, benchmark,
# train, resume, export; JSON + markdown into $(OUT) (default gpu_report/).
gpu-report:
	python3 tools/analysis_tools/gpu_report.py --out $${OUT:-gpu_report} --wheels .device-wheels \
	    --rs-root .device-wheels/data/aid --natural-root .device-wheels/data/imagenet_sample/train
