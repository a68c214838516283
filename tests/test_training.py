"""The trainer: determinism, callbacks, stop requests, divergence, every knob trains."""

import threading

import pytest
import torch

from tests.conftest import random_dataset, tiny_config
from vae.analysis.evaluation import EVAL_SEED_OFFSET, aggregate_posterior_terms, evaluate
from vae.analysis.evaluation import test_inputs as inputs_of
from vae.config import LikelihoodConfig, NetworkConfig, VAEConfig
from vae.data import load_dataset
from vae.errors import ConfigError, TrainingDiverged
from vae.training.trainer import resolve_device, train


def r_ds(cfg):
    return load_dataset(cfg.data)


RECORD_KEYS = {
    "epoch",
    "step",
    "seconds",
    "kl_weight",
    "train_loss",
    "train_elbo",
    "train_reconstruction",
    "train_kl",
    "test_elbo",
    "test_reconstruction",
    "test_kl",
    "kl_per_dim",
    "active_units",
    "test_examples",
    "gradient_flow",
}


def test_history_and_metrics(cfg):
    r = train(cfg)
    assert len(r.history) == 2 and set(r.history[0]) == RECORD_KEYS
    assert len(r.history[-1]["kl_per_dim"]) == 4
    m = r.metrics
    assert m["elbo"] == pytest.approx(m["reconstruction"] + m["kl"])
    assert r.history[1]["train_elbo"] < r.history[0]["train_elbo"]  # it learns
    assert r.history[-1]["step"] == 2 * 23  # ceil(1437 / 64) steps per epoch
    # each epoch scores the first 1437 // 8 test images; the final metrics score all 360, as evaluate does
    assert [h["test_examples"] for h in r.history] == [179, 179] and m["num"] == 360
    x = inputs_of(r_ds(cfg).x_test, cfg, "cpu")
    g = torch.Generator().manual_seed(cfg.train.seed + EVAL_SEED_OFFSET)
    assert evaluate(r.model, x[:179], generator=g)["elbo"] == pytest.approx(r.history[-1]["test_elbo"])
    g.manual_seed(cfg.train.seed + EVAL_SEED_OFFSET)
    assert evaluate(r.model, x, generator=g)["elbo"] == pytest.approx(m["elbo"])


def test_the_kl_decomposition_adds_up_to_the_kl(trained_digits):
    """One z per example: index-code MI + total correlation + dimension-wise KL is about the KL (computed at save)."""
    r = trained_digits
    x = inputs_of(r_ds(r.config).x_test, r.config, "cpu")
    # every example's code (outer = all): the three sum to the one-sample KL of the same codes
    h = aggregate_posterior_terms(r.model, x, torch.Generator().manual_seed(0), outer=len(x))["decomposition"]
    assert h["index_code_mi"] + h["total_correlation"] + h["dimwise_kl"] == pytest.approx(
        r.metrics["kl"], rel=0.2, abs=0.5
    )


def test_deterministic_for_a_seed(cfg):
    a, b = train(cfg), train(cfg)
    assert [h["test_elbo"] for h in a.history] == [h["test_elbo"] for h in b.history]
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)
    cfg.train.seed = 2
    c = train(cfg)
    assert c.history[-1]["test_elbo"] != a.history[-1]["test_elbo"]


def test_global_rng_untouched(cfg):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train(cfg)
    assert torch.equal(torch.rand(3), expected)


def test_callbacks(cfg):
    steps, epochs = [], []
    train(cfg, on_step=steps.append, on_epoch=lambda _m, rec: epochs.append(rec), step_every=5)
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert [s["step"] for s in steps] == list(range(5, 47, 5))
    assert all(s["loss"] > 0 and 0 < s["progress"] <= 2 for s in steps)


def test_stop_request_honoured_within_one_step(cfg):
    stop = threading.Event()
    seen = []

    def on_step(info):
        seen.append(info["step"])
        if info["step"] == 7:
            stop.set()

    cfg.train.epochs = 50
    r = train(cfg, on_step=on_step, stop=stop, step_every=1)
    assert r.stopped and seen[-1] == 7 and r.history[-1]["step"] == 7
    assert r.history[-1]["epoch"] == pytest.approx(7 / 23)


def test_nan_loss_stops_with_message_naming_the_step(cfg):
    ds = random_dataset(n=300)
    ds.x_train[150] = float("nan")  # a poisoned example: the batch holding it gives a NaN loss
    cfg.train.batch_size = 300
    with pytest.raises(TrainingDiverged, match=r"diverged at step 1 \(epoch 1\).*nan.*learning rate"):
        train(cfg, ds)


@pytest.mark.parametrize(
    "likelihood",
    [
        {"likelihood": "bernoulli"},
        {"likelihood": "gaussian", "variance": "learned"},
        {"likelihood": "gaussian", "variance": "per-pixel"},
    ],
)
def test_a_run_that_blows_up_is_refused_although_its_loss_stays_finite(likelihood):
    """At lr 8 the bounded log-variance keeps the loss finite, but the -ELBO jumps from ~50 to ~1e11 nats."""
    from vae.config.values import apply

    cfg = apply(VAEConfig(), {"dataset": "digits", "lr": 8.0, "epochs": 3, "device": "cpu", **likelihood})
    with pytest.raises(TrainingDiverged, match=r"diverged at step 2 \(epoch 1\).*blew up.*try 0\.8"):
        train(cfg)


def test_a_healthy_gaussian_run_whose_elbo_turns_negative_is_not_called_exploded(cfg):
    """A continuous density can make -ELBO negative; only a rise far above the untrained model's is refused."""
    cfg.likelihood.name, cfg.likelihood.variance, cfg.train.epochs = "gaussian", "per-pixel", 6
    r = train(cfg)
    assert r.history[-1]["test_elbo"] < 0 < r.history[0]["test_elbo"]


def test_divergence_found_mid_window(cfg):
    ds = random_dataset(n=500)
    cfg.train.batch_size = 100  # 4 train batches / epoch
    calls = {"n": 0}
    from vae.objectives.objective import Objective

    real = Objective.loss

    def poisoned(self, *a, **k):
        calls["n"] += 1
        loss, w = real(self, *a, **k)
        return (loss * float("inf") if calls["n"] == 6 else loss), w

    Objective.loss = poisoned
    try:
        with pytest.raises(TrainingDiverged, match=r"step 6 \(epoch 2\)"):
            train(cfg, ds, step_every=3)
    finally:
        Objective.loss = real


@pytest.mark.parametrize(
    "lk",
    [
        LikelihoodConfig("gaussian", "fixed"),
        LikelihoodConfig("gaussian", "learned"),
        LikelihoodConfig("gaussian", "per-pixel"),
        LikelihoodConfig("categorical", bins=8),
    ],
    ids=lambda lk: f"{lk.name}-{lk.variance}",
)
def test_every_likelihood_learns(cfg, lk):
    cfg.likelihood = lk
    cfg.train.epochs = 3
    r = train(cfg)
    assert r.history[-1]["train_elbo"] < r.history[0]["train_elbo"]


def test_learned_variance_moves():
    cfg = tiny_config(likelihood=LikelihoodConfig("gaussian", "learned", sigma=1.0), train__lr=1e-2)
    r = train(cfg)  # Adam moves the scalar by at most lr per step: 46 steps -> at most 0.46
    assert r.model.likelihood.logvar.item() < -0.3  # shrinks from log 1 = 0


@pytest.mark.parametrize("arch", ["cnn", "resnet"])
def test_conv_families_learn(cfg, arch):
    cfg.encoder = NetworkConfig(arch, [8, 16], norm="batch")
    cfg.decoder = NetworkConfig(arch, [16, 8], norm="batch")
    r = train(cfg)
    assert r.history[-1]["train_elbo"] < r.history[0]["train_elbo"]


def test_dynamic_binarization(cfg):
    cfg.data.binarize = "dynamic"
    r = train(cfg)
    assert r.history[-1]["test_elbo"] < r.history[0]["test_elbo"]
    r2 = train(cfg)
    assert r.history[-1]["test_elbo"] == r2.history[-1]["test_elbo"]


def test_weight_decay_shrinks_weights(cfg):
    cfg.train.epochs = 3
    base = train(cfg)
    cfg.train.weight_decay = 5.0
    decayed = train(cfg)
    norm = lambda m: sum(p.pow(2).sum() for p in m.decoder.parameters()).item()  # noqa: E731
    assert norm(decayed.model) < 0.8 * norm(base.model)


def test_kl_warmup_weights_recorded(cfg):
    cfg.objective.kl_warmup = 4
    cfg.train.epochs = 3
    r = train(cfg)
    w = [h["kl_weight"] for h in r.history]
    assert w[0] < w[1] < w[2] < 1.0


def test_large_beta_collapses_and_free_bits_prevents_it(cfg):
    cfg.objective.beta = 50.0
    cfg.train.epochs = 3
    collapsed = train(cfg)
    assert collapsed.metrics["kl"] < 0.5 and collapsed.metrics["active_units"] == 0
    cfg.objective.free_bits = 1.0
    kept = train(cfg)
    assert kept.metrics["kl"] > 2.0


def test_capacity_tracks_target(cfg):
    cfg.objective.capacity = 6.0
    cfg.objective.capacity_gamma = 50.0
    cfg.train.epochs = 4
    r = train(cfg)
    assert r.history[-1]["kl_weight"] == pytest.approx(6.0 * (4 - 1 / 23) / 4, rel=0.02)
    assert abs(r.history[-1]["train_kl"] - 6.0) < 1.5


def test_invalid_config_rejected_before_training(cfg):
    cfg.train.lr = -1
    with pytest.raises(ConfigError, match="train.lr"):
        train(cfg)


def test_device_resolution():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            resolve_device("cuda")


@pytest.mark.parametrize(
    "over",
    [
        {"posterior__name": "iaf", "posterior__flow_steps": 2},
        {"posterior__name": "planar", "posterior__flow_steps": 2},
        {"prior__name": "vamp", "prior__pseudo_inputs": 20},
        {},
    ],
)
def test_the_train_curve_is_the_training_splits_elbo(over):
    """A flow posterior's or the VampPrior's KL has one column, not one per dimension: the train curve once
    summed it latent_dim times. With the parameters held still (lr 1e-8) an epoch's train KL and
    reconstruction are those of the training split, as evaluate scores it (other posterior noise).
    Summed latent_dim times, the ratio was 6."""
    cfg = tiny_config(train__epochs=1, train__lr=1e-8, latent_dim=6, **over)
    r = train(cfg)
    rec = r.history[0]
    x = r_ds(cfg).x_train
    evs = [evaluate(r.model, x, generator=torch.Generator().manual_seed(s)) for s in range(5)]
    kl = sum(ev["kl"] for ev in evs) / 5  # a flow's or the VampPrior's KL is a one-sample estimate: noisy
    assert 0.7 < rec["train_kl"] / kl < 1.4
    assert rec["train_reconstruction"] == pytest.approx(evs[0]["reconstruction"], rel=0.05)
    assert rec["train_elbo"] == pytest.approx(rec["train_reconstruction"] + rec["train_kl"])


def test_early_stopping_keeps_the_epoch_with_the_best_held_out_elbo():
    """A wide network trained long on 8x8 digits: the model returned is the best epoch on the examples held out
    of the training split (never the test split), and training stops ``patience`` epochs after it."""
    from tests.conftest import tiny_config
    from vae.analysis.evaluation import EVAL_SEED_OFFSET, evaluate, test_inputs
    from vae.data import load_dataset
    from vae.training.trainer import VALIDATION_SHARE, held_out_split, train

    cfg = tiny_config(train__epochs=40, train__lr=1e-2, train__early_stopping=True, train__patience=3)
    cfg.encoder.hidden = cfg.decoder.hidden = [256]
    r = train(cfg.validate())
    valid = [h["valid_elbo"] for h in r.history]
    kept = r.metrics["kept_epoch"]
    assert valid[kept - 1] == min(valid) and len(r.history) <= kept + cfg.train.patience
    ds = load_dataset(cfg.data)
    fit, held = held_out_split(ds.x_train, cfg.train.seed)
    assert len(held) == round(len(ds.x_train) * VALIDATION_SHARE) and len(fit) + len(held) == len(ds.x_train)
    g = torch.Generator().manual_seed(cfg.train.seed + EVAL_SEED_OFFSET)
    again = evaluate(r.model, test_inputs(held, cfg, "cpu"), generator=g)["elbo"]
    assert again == pytest.approx(valid[kept - 1], rel=1e-5)  # the parameters are the kept epoch's
    assert "valid_elbo" not in train(tiny_config()).history[-1]  # off by default


def test_train_size_trains_on_a_fixed_subset_of_the_training_split():
    """``train_size`` keeps a fixed random N of the training split (the same for every run; a smaller one inside a
    larger one) and the whole test split; the size estimate agrees, and fewer than 10 examples are refused."""
    from vae.data.catalog import data_shape

    whole = load_dataset(tiny_config().data)
    part, small = (load_dataset(tiny_config(data__train_size=n).data) for n in (100, 40))
    assert len(part.x_train) == len(part.y_train) == 100 and torch.equal(part.x_test, whole.x_test)
    rows = {tuple(r) for r in whole.x_train.flatten(1).tolist()}
    assert all(tuple(r) in rows for r in part.x_train.flatten(1).tolist())
    assert {tuple(r) for r in small.x_train.flatten(1).tolist()} <= {tuple(r) for r in part.x_train.flatten(1).tolist()}
    assert len(set(part.y_train.tolist())) == 10  # a random draw, not the split's first rows
    assert data_shape(tiny_config(data__train_size=100).data)[1:] == (100, len(whole.x_test))
    assert load_dataset(tiny_config(data__train_size=10**6).data) is whole  # larger than the split: all of it
    r = train(tiny_config(data__train_size=100, train__batch_size=32, train__epochs=1).validate())
    assert r.history[-1]["step"] == 4  # ceil(100 / 32) steps an epoch
    with pytest.raises(ConfigError, match="at least 10"):
        tiny_config(data__train_size=5).validate()
