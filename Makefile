# ratchet: `make run` opens the TUI supervisor on the embedded local model; `make test` runs every test.
# Both do all set-up on a fresh machine (venv, pip install, system packages when run as root).

PY       ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
WORKSPACE ?= $(HOME)/ratchet-agent
SYSTEM_PACKAGES := bubblewrap tmux git ruby golang-go sqlite3
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: run test install system lint bench clean

run: install
	$(BIN)/ratchet model prepare
	@test -d "$(WORKSPACE)/.git" || $(BIN)/ratchet init "$(WORKSPACE)"
	$(BIN)/ratchet --repo "$(WORKSPACE)"

test: install
	$(BIN)/python -m pytest

install: system $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,model]'
	@rm -f $(VENV)/.installed-*
	touch $@

# System packages: bubblewrap is the sandbox used here; the rest lets the agent run more languages.
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "warning: missing system packages:$$missing (install them as root; without bubblewrap the sandbox falls back to rlimits only)"; \
	  fi; \
	fi

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy core mutable

bench: install
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
