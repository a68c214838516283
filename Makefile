# `make run` and `make test` do all set-up on a fresh machine (a .venv beside this file).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: setup run demo test bench clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# Until the web app lands: a short command-line demo on the embedded MNIST digits.
run: setup demo

demo:
	$(PY) -m vae datasets
	$(PY) -m vae train --dataset mnist5k --arch mlp --hidden 400 --latent-dim 20 --epochs 5 \
		--out runs/demo-mnist5k-mlp-z20.safetensors --force
	$(PY) -m vae eval runs/demo-mnist5k-mlp-z20.safetensors --iwae-k 100

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) -m bench.train_speed --repeats 3

clean:
	rm -rf $(VENV) runs .pytest_cache
