# lunar_lab: `make course` sets everything up and opens the course; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: course test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[course,dev]"
	touch $(STAMP)

course: $(STAMP)
	$(BIN)/lunar-lab course

# the tests also cover running sweeps on a Ray cluster (the optional extra lunar_lab[ray])
$(VENV)/.ray-stamp: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[ray]"
	touch $@

test: $(STAMP) $(VENV)/.ray-stamp
	LUNAR_LAB_QUICK=1 $(BIN)/python -m pytest -n 2 --dist loadscope
