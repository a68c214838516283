"""Batch norm couples a batch (vae/analysis/batch_coupling.py): the same example's -ELBO moves with its batch in
training mode under batch norm, and not at all in evaluation mode or under layer norm."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import tiny_config
from vae.analysis.batch_coupling import CONTEXTS, EVAL, batch_coupling, context_batches, train_mode_gap
from vae.config import NetworkConfig
from vae.data import load_dataset
from vae.training.trainer import train


@pytest.fixture(scope="module")
def norm_runs():
    """Tiny digits models, otherwise equal, with batch norm, layer norm and neither (3 epochs)."""
    runs = {}
    for norm in ("batch", "layer", "none"):
        net = NetworkConfig(hidden=[32], norm=norm)
        runs[norm] = train(tiny_config(encoder=net, decoder=net, train__epochs=3)).model
    return runs


@pytest.fixture(scope="module")
def digits():
    return load_dataset(tiny_config().data)


def test_context_batches_put_the_example_first_with_the_others_it_names(digits):
    x, y = digits.x_test, digits.y_test
    b = context_batches(x, y, 5, torch.Generator().manual_seed(0))
    assert list(b) == list(CONTEXTS)
    for batch in b.values():
        assert torch.equal(batch[0], x[5])
    assert len(b["pair"]) == 2 and len(b["random"]) == 128
    same = b["same class"][1:]
    assert all(any(torch.equal(s, x[i]) for i in (y == y[5]).nonzero()[:, 0]) for s in same[:5])
    assert not b["blank"][1:].any()
    assert "same class" not in context_batches(x, None, 5, torch.Generator().manual_seed(0))


def test_batch_norm_moves_the_example_in_training_mode_only(norm_runs, digits):
    c = batch_coupling(norm_runs["batch"], digits.x_test, digits.y_test)
    assert c["spread_train"] > 1e-3
    assert c["spread_eval"] < 1e-4
    modes = {r["mode"] for r in c["rows"]}
    assert modes == {"training mode", EVAL}
    blank = next(r for r in c["rows"] if r["context"] == "blank" and r["mode"] != EVAL)
    random = next(r for r in c["rows"] if r["context"] == "random" and r["mode"] != EVAL)
    assert blank["elbo"] != pytest.approx(random["elbo"], abs=1e-6)
    assert all(r["elbo"] == pytest.approx(r["reconstruction"] + r["kl"]) for r in c["rows"])
    assert c["rows"][0]["picture"].shape == digits.x_test.shape[1:]


@pytest.mark.parametrize("norm", ["layer", "none"])
def test_layer_norm_and_no_norm_do_not_depend_on_the_batch(norm_runs, digits, norm):
    c = batch_coupling(norm_runs[norm], digits.x_test, digits.y_test)
    assert c["spread_train"] < 1e-4 and c["spread_eval"] < 1e-4


def test_the_model_itself_is_untouched(norm_runs, digits):
    model = norm_runs["batch"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batch_coupling(model, digits.x_test, digits.y_test)
    train_mode_gap(model, digits.x_test, 64)
    assert not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert next(model.parameters()).dtype == torch.float32


def test_the_train_mode_gap_is_zero_without_batch_norm(norm_runs, digits):
    assert train_mode_gap(norm_runs["layer"], digits.x_test, 64)["gap"] == pytest.approx(0, abs=1e-6)
    g = train_mode_gap(norm_runs["batch"], digits.x_test, 64)
    assert g["gap"] == pytest.approx(g["train"] - g["eval"]) and abs(g["gap"]) > 1e-3


def test_labels_may_come_as_numpy(norm_runs, digits):
    a = batch_coupling(norm_runs["batch"], digits.x_test, digits.y_test.numpy(), 3)
    b = batch_coupling(norm_runs["batch"], digits.x_test, digits.y_test, 3)
    assert [r["elbo"] for r in a["rows"]] == [r["elbo"] for r in b["rows"]]
