# `make run` and `make test` do all set-up on a fresh machine (a .venv beside this file).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)

.PHONY: setup cluster lock messages translations run demo checkpoints lint test screenshots bench clean

setup: $(STAMP) translations

# Installs the exact versions of requirements.txt.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@echo "installing the packages of requirements.txt into $(VENV) (PyTorch among them: a few minutes the first time)"
	$(PY) -m pip install --progress-bar on -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)
	@fc-list :lang=zh 2>/dev/null | grep -q . || echo "note: no Chinese font here; the Chinese captions of exported \
	PNG/GIF files need one: sudo apt-get install fonts-noto-cjk (the web pages use the browser's fonts)"

# Ray (requirements-cluster.txt) for trainings on a lab of machines: on the server and on every node.
CLUSTER_STAMP := $(VENV)/.cluster-$(shell cksum < requirements-cluster.txt | cut -d' ' -f1)
cluster: $(CLUSTER_STAMP)

$(CLUSTER_STAMP): requirements-cluster.txt $(STAMP)
	$(PY) -m pip install -q -c requirements.txt -r requirements-cluster.txt
	rm -f $(VENV)/.cluster-* && touch $(CLUSTER_STAMP)

# Rewrites requirements.txt from pyproject.toml's ranges, in a fresh environment (after changing a dependency).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q ".[dev]"
	{ echo "# Exact versions that \`make run\`, \`make test\` and CI install (\`make lock\` writes this file)."; \
	  echo "# The ranges the code supports are in pyproject.toml."; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -v '^vae-explorer' \
	  | sed -E '/^(nvidia-|cuda-|triton)/ s/$$/ ; sys_platform == "linux"/'; } > requirements.txt
	rm -rf .lock-venv build *.egg-info

# The translation catalogs (vae/i18n.py): locale/<lang>/LC_MESSAGES/messages.po, compiled to .mo by the build.
CATALOGS := $(wildcard locale/*/LC_MESSAGES/messages.po)
translations: $(CATALOGS:.po=.mo)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@ -l $(word 2,$(subst /, ,$<))

# After changing a visible text: extract every tr(...)/N_(...) again and merge it into the catalogs,
# then translate the new entries (tests/test_i18n.py fails on any left untranslated).
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg --no-default-keywords -k tr -k N_ \
		--add-location=file --sort-by-file --no-wrap --project=vae-explorer -o locale/messages.pot .
	$(VENV)/bin/pybabel update -i locale/messages.pot -d locale -D messages --no-fuzzy-matching --no-wrap \
		--ignore-obsolete

PORT ?= 8501

# The web app on http://localhost:$(PORT), with the shipped models in checkpoints/.
run: setup
	$(PY) -m ui.serve --server.port $(PORT)

# A short command-line demo on the embedded MNIST digits.
demo: setup
	$(PY) -m vae datasets
	$(PY) -m vae train --dataset mnist5k --arch mlp --hidden 400 --latent-dim 20 --epochs 5 \
		--out runs/demo-mnist5k-mlp-z20.safetensors --force
	$(PY) -m vae eval runs/demo-mnist5k-mlp-z20.safetensors --iwae-k 100

# The shipped pretrained models (a few MB each), made by the project's own CLI; the total time is printed.
# (vae/config/shipped.py declares them: each a preset and a few flags; `python -m vae ship --list` prints them)
checkpoints: setup
	$(PY) -m vae ship --dir checkpoints

# Browser tests need Debian's chromium (`sudo apt-get install chromium`; .ci/run does it); without it they skip.
# The style the project keeps (pyproject.toml [tool.ruff]); `make test` checks it first.
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint cluster
	$(PY) -m pytest

# README screenshots: the browser tests on the shipped models, saved into docs/screenshots/.
screenshots: setup
	SCREENSHOTS=docs/screenshots SCREENSHOTS_SHIPPED=1 $(PY) -m pytest tests/test_browser.py -p no:randomly

bench: setup
	$(PY) -m bench.train_speed --repeats 3
	$(PY) -m bench.projection_speed --repeats 2
	$(PY) -m bench.app_startup --repeats 3

clean:
	rm -rf $(VENV) runs .pytest_cache
