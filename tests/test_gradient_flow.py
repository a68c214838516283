"""The gradient flow the trainer records (vae/training/gradient_flow.py) and its reading
(vae/analysis/gradient_flow.py): against a direct autograd computation, on hand-built activations, in the history
and in checkpoints."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from tests.conftest import tiny_config
from vae.analysis.gradient_flow import VANISHING, flow_series, flow_summary
from vae.config import NetworkConfig
from vae.config.records import record_problem
from vae.models.vae import VAE
from vae.training.gradient_flow import (
    RECORDS_PER_EPOCH,
    FlowRecorder,
    activation_stats,
    activations,
    labels,
    layer_grad_norms,
    layers,
    record_every,
)
from vae.training.trainer import train


def test_layer_gradient_norms_match_autograd():
    cfg = tiny_config(encoder=NetworkConfig(hidden=[16, 8]), decoder=NetworkConfig(hidden=[8, 16]))
    model = VAE(cfg, (1, 8, 8))
    x = torch.rand(10, 1, 8, 8)
    named = layers(model)
    weights = [m.weight for _, m in named]
    loss = (model(x, torch.Generator().manual_seed(0)).rec).mean()
    direct = torch.autograd.grad(loss, weights, retain_graph=True)
    loss.backward()
    ours = layer_grad_norms(named)
    assert ours.tolist() == pytest.approx([float(torch.linalg.vector_norm(g)) for g in direct], rel=1e-5)
    names = [n for n, _ in named]
    assert names[0].startswith("encoder") and names[-1].startswith("decoder") and "fc_mu" in names
    assert not any(isinstance(m, nn.BatchNorm1d) for _, m in named)


def test_a_unit_is_dead_when_it_is_zero_for_every_example():
    out = torch.tensor([[0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 3.0], [0.0, 0.5, 0.0, 0.0]])
    other = torch.tensor([[1.0, -1.0], [0.0, 0.0]])
    (mean, std, dead), (_, _, dead2), skipped = activation_stats([out, other, torch.zeros(0)]).tolist()
    assert dead == 0.5 and dead2 == 0  # units 0 and 2; a negative output is not dead
    assert mean == pytest.approx(float(out.mean())) and std == pytest.approx(float(out.std(unbiased=False)))
    assert skipped == [0, 0, 0]
    stacked = activation_stats([out, out * 2])  # outputs of one shape are reduced together
    assert stacked[1].tolist() == pytest.approx([2 * mean, 2 * std, 0.5])
    relu = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    with torch.no_grad():
        relu[0].weight.zero_()
        relu[0].bias.copy_(torch.tensor([-1.0, 1.0, -1.0, -1.0]))
    recorder = FlowRecorder(relu, 1)
    recorder.watch()
    relu(torch.randn(5, 3)).sum().backward()
    recorder.record(1)
    assert recorder.take()["dead"] == [[0.75]]


def test_record_every_keeps_a_few_per_epoch_and_a_bounded_run():
    assert record_every(40, 20) == 10  # 4 an epoch
    assert record_every(2, 3) == 1
    assert record_every(40, 1000) == 200  # about 200 in all
    assert math.ceil(40 * 1000 / record_every(40, 1000)) <= 200


@pytest.fixture(scope="module")
def flow_run():
    return train(tiny_config(train__epochs=3, encoder=NetworkConfig(hidden=[32, 16], activation="relu")))


def test_the_trainer_records_the_flow_into_the_history(flow_run):
    r = flow_run
    model_layers, model_acts = layers(r.model), activations(r.model)
    for h in r.history:
        f = h["gradient_flow"]
        assert 1 <= len(f["step"]) <= RECORDS_PER_EPOCH
        assert all(len(row) == len(model_layers) for row in f["grad_norm"])
        assert all(len(row) == len(model_acts) for row in f["dead"])
        assert all(0 <= v <= 1 for row in f["dead"] for v in row)
        assert record_problem(h, r.config.latent_dim) is None
    series = flow_series(r.history)
    assert series["epoch"] == sorted(series["epoch"]) and 0 < series["epoch"][0] <= 1 and series["epoch"][-1] <= 3
    assert series["step"][0] == 1  # the first step, before any update
    assert "gradient_flow" not in train(tiny_config(train__epochs=1), record_flow=False).history[0]


def test_recording_does_not_change_the_run():
    a = train(tiny_config(train__epochs=2))
    b = train(tiny_config(train__epochs=2), record_flow=False)
    assert a.metrics["elbo"] == b.metrics["elbo"]


def test_stored_flow_records_are_checked(flow_run):
    h = json.loads(json.dumps(flow_run.history[0]))
    assert record_problem(h, flow_run.config.latent_dim) is None
    for bad in (
        {**h["gradient_flow"], "dead": [["x"]] * len(h["gradient_flow"]["step"])},
        {**h["gradient_flow"], "grad_norm": []},
        {**h["gradient_flow"], "step": [-1] * len(h["gradient_flow"]["step"])},
        {"step": []},
        [1, 2],
    ):
        assert "gradient_flow" in record_problem({**h, "gradient_flow": bad}, flow_run.config.latent_dim)


def test_the_summary_reads_the_first_layer_against_the_last():
    series = {
        "step": [1, 2, 3],
        "epoch": [0.1, 0.5, 1.0],
        "grad_norm": [[1.0, 5.0, 2.0], [0.01, 1.0, 1.0], [0.02, 1.0, 1.0]],
        "act_mean": [[0.0]] * 3,
        "act_std": [[0.0]] * 3,
        "dead": [[0.0], [0.2], [0.6]],
    }
    s = flow_summary(series)
    assert s["start_ratio"] == 0.5 and s["ratio"] == pytest.approx(0.02) and s["vanishing"] == (0.02 < VANISHING)
    assert s["most_dead"] == pytest.approx(0.6)  # the last quarter: the last record
    assert flow_series([{"epoch": 1, "step": 2}]) is None


def test_heat_map_rows_are_named_by_part():
    names = ["encoder.net.1", "encoder.net.3", "fc_mu", "fc_logvar", "decoder.net.0", "decoder.net.2"]
    assert labels(names) == ["encoder 1", "encoder 2", "mu head", "log-variance head", "decoder 1", "decoder 2"]
