# Everything a fresh machine needs, in the order the stack demands:
# torch + setuptools<81 first, then mmcv 2.1.0 built from source with ops
# (about 9 minutes on 2 cores, cached by pip afterwards), then the rest.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.mmgersp-installed
REQS := requirements/build.txt requirements/mminstall.txt \
        requirements/runtime.txt requirements/tests.txt \
        requirements/constraints.txt setup.py

.PHONY: install demo test

install: $(STAMP)

$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q "pip==24.3.1"
	$(PIP) install -r requirements/build.txt -c requirements/constraints.txt
	MAX_JOBS=$${MAX_JOBS:-2} MMCV_WITH_OPS=1 $(PIP) install \
	    --no-build-isolation mmcv==2.1.0 -c requirements/constraints.txt
	$(PIP) install -r requirements/mminstall.txt -r requirements/runtime.txt \
	    -r requirements/tests.txt -c requirements/constraints.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -c "import mmgersp, mmdet, mmseg, mmrotate, mmcv.ops; print('mmgersp', mmgersp.__version__, 'installed')"
	touch $(STAMP)

# Pre-train the demo GeRSP model on generated data, export the backbone.
demo: install
	$(PY) tools/demo.py $(ARGS)

# The test suite (CPU; reads ../shared/data).
test: install
	$(PY) -m pytest tests $(ARGS)
