"""Training cost before it starts: family defaults, FLOP counts, timed estimates, sane first-epoch numbers."""

from __future__ import annotations

import math

import pytest
import torch

from tests.conftest import tiny_config
from vae.config import VAEConfig, default_hidden
from vae.config.presets import preset_config
from vae.config.values import apply
from vae.service.cost import CostEstimate, count_work, estimate, over_budget_message


@pytest.mark.parametrize(
    "side,channels", [(8, [32]), (28, [32, 64]), (32, [32, 64]), (64, [32, 64, 64]), (128, [32, 64, 64, 128])]
)
def test_conv_defaults_suit_the_image_side(side, channels):
    assert default_hidden("cnn", side) == default_hidden("resnet", side) == channels
    assert default_hidden("mlp", side) == [400]


def test_changing_the_family_switches_its_defaults():
    cfg = apply(VAEConfig(), {"dataset": "sprites", "arch": "resnet"})
    assert cfg.encoder.hidden == [32, 64] and cfg.decoder.hidden == [64, 32]
    cfg = apply(VAEConfig(), {"dataset": "sprites", "sprites_size": 64, "arch": "cnn"})
    assert cfg.encoder.hidden == [32, 64, 64]
    back = apply(preset_config("CNN on MNIST"), {"arch": "mlp"})
    assert back.encoder.hidden == back.decoder.hidden == [400]
    # widths given with the family are kept; a decoder of another family gets its own defaults
    assert apply(VAEConfig(), {"arch": "cnn", "hidden": [8]}).encoder.hidden == [8]
    mixed = apply(VAEConfig(), {"decoder_arch": "resnet"})
    assert mixed.encoder.hidden == [400] and mixed.decoder.arch == "resnet" and mixed.decoder.hidden == [64, 32]
    # the same family again (e.g. a preset's own) keeps the preset's widths
    assert apply(preset_config("CNN on MNIST"), {"arch": "cnn"}).encoder.hidden == [32, 64]


def test_flop_count_matches_the_mlp_by_hand():
    """784-400-20 MLP: forward 2*(784*400 + 400*40 + 20*400 + 400*784) FLOPs a sample, backward twice
    that, less the input gradient of the first layer (x needs none)."""
    cfg = apply(VAEConfig(), {})
    work = count_work(cfg, (1, 28, 28), 128)
    flops, params = work.flops, work.parameters
    matmul = 2 * (784 * 400 + 400 * 20 * 2 + 20 * 400 + 400 * 784)
    assert flops == pytest.approx((3 * matmul - 2 * 784 * 400) * 128, rel=0.01)
    assert params == sum(
        p.numel() for p in __import__("vae.models.vae", fromlist=["VAE"]).VAE(cfg, (1, 28, 28)).parameters()
    )


def test_estimate_is_timed_for_small_models_and_counted_for_huge_ones():
    small = estimate(tiny_config(train__epochs=3), (1, 8, 8), 1000, 200)
    assert small.method == "timed" and small.steps_per_epoch == math.ceil(1000 / 64) and small.eval_steps == 4
    assert 0 < small.seconds_per_step < 1 and small.total_seconds == pytest.approx(3 * small.seconds_per_epoch)
    huge = apply(VAEConfig(), {"dataset": "sprites", "arch": "resnet", "hidden": [400]})
    est = estimate(huge, (1, 32, 32), 9000, 1000)
    assert est.method == "flops" and est.flops_per_step > 1e12 and est.seconds_per_epoch > 60
    assert "per epoch" in est.describe() and "lower bound" in est.describe()


def test_a_timed_estimate_keeps_the_fastest_step_so_a_busy_moment_does_not_inflate_it(monkeypatch):
    """Steps slowed down by other processes (here every other one, 50 ms against 1 ms) do not count: the
    median of three steps was 50 ms here. Timing goes on past three steps until 0.3 s were spent."""
    import itertools

    import vae.service.cost

    # The clock is read at the warm-up step's start, then at each timed step's start and end; a timed step
    # lasts what the clock moves at its end: 50 ms and 1 ms in turn (the warm-up step: 200 ms).
    durations = itertools.cycle([0.05, 0.001])
    reads = []

    def fake_perf_counter():
        reads.append(None)
        n = len(reads)  # 1: warm-up start; then even: a timed step's start; odd: its end
        if n == 2:
            fake_perf_counter.now += 0.2
        elif n > 2 and n % 2 == 1:
            fake_perf_counter.now += next(durations)
        return fake_perf_counter.now

    fake_perf_counter.now = 0.0
    vae.service.cost.matmul_rate()  # measured (and cached) with the real clock
    monkeypatch.setattr(vae.service.cost.time, "perf_counter", fake_perf_counter)
    est = estimate(tiny_config(), (1, 8, 8), 1000, 200)
    assert est.method == "timed" and est.seconds_per_step == pytest.approx(0.001)
    assert len(reads) == 1 + 2 * 11  # 11 timed steps: 6 x 50 ms + 5 x 1 ms >= 0.3 s


def test_over_budget_message_says_what_to_reduce():
    est = CostEstimate(
        parameters=3_000_000, flops_per_step=1e9, seconds_per_step=0.1, steps_per_epoch=100, epochs=50, method="timed"
    )
    msg = over_budget_message(est, 300)
    assert "8 min" in msg and "10 s per epoch x 50" in msg and "30 epoch(s) or fewer" in msg
    assert "3.0M parameters" in msg and "python -m vae train" in msg
    slow = over_budget_message(CostEstimate(1000, 1e9, 10.0, 100, 1, "timed"), 300)
    assert "one epoch alone is over the limit" in slow


def test_resnet_on_sprites_first_epoch_numbers_are_sane():
    """The wide-resnet bug: a first-epoch train -ELBO of 4.7e16 beside a test -ELBO of 195."""
    from vae.training.trainer import train

    cfg = apply(
        VAEConfig(), {"dataset": "sprites", "sprites_num": 1500, "arch": "resnet", "epochs": 1, "device": "cpu"}
    )
    assert cfg.encoder.hidden == [32, 64]
    h = train(cfg).history[0]
    assert math.isfinite(h["train_elbo"]) and h["train_elbo"] < 3 * h["test_elbo"]


def test_log_variance_is_bounded_smoothly():
    from vae.models.vae import LOGVAR_MAX, LOGVAR_MIN, bound_logvar

    raw = torch.tensor([-1e4, -40.0, -3.0, 0.0, 2.0, 40.0, 1e4], requires_grad=True)
    y = bound_logvar(raw)
    v = y.detach()
    assert v[3] == 0 and abs(float(v[2]) + 3) < 0.01 and abs(float(v[4]) - 2) < 0.05
    assert float(v.min()) >= LOGVAR_MIN - 1e-4 and float(v.max()) <= LOGVAR_MAX + 0.01
    y.sum().backward()
    assert torch.all(raw.grad >= 0) and torch.isfinite(raw.grad).all() and raw.grad[3] == pytest.approx(1, abs=0.01)


def test_web_estimate_is_timed_with_the_training_threads_and_restores_them():
    from vae.service.cost import _matmul_rate, matmul_rate, torch_threads

    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    _matmul_rate.cache_clear()
    with torch_threads(1):
        matmul_rate()
    matmul_rate()
    assert _matmul_rate.cache_info().currsize == (1 if before == 1 else 2)  # one rate per thread count
    hits = _matmul_rate.cache_info().hits
    with torch_threads(1):
        matmul_rate()
    assert _matmul_rate.cache_info().hits == hits + 1
