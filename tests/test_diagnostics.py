"""Collapse diagnostics and disentanglement scores against known answers."""

import math

import numpy as np
import pytest
import torch

from tests.conftest import tiny_config
from vae.analysis.diagnostics import COLLAPSED_RATE, collapse_report, kl_history, mutual_information, remedies, verdict
from vae.analysis.disentanglement import disentanglement_scores, mig, sap
from vae.data.embedded import load_digits
from vae.models.posteriors import DiagonalGaussian
from vae.models.vae import VAE
from vae.wording import explanation, remedy_reason, remedy_title, verdict_rules


def prior_encoder_model():
    """A model whose encoder outputs the prior N(0, I) for every input."""
    cfg = tiny_config()
    cfg.objective.beta = 8.0
    m = VAE(cfg, (1, 8, 8)).eval()
    with torch.no_grad():
        for head in (m.fc_mu, m.fc_logvar):
            head.weight.zero_()
            head.bias.zero_()
    return m


def test_prior_encoder_is_collapsed():
    x = load_digits().x_test
    rep = collapse_report(prior_encoder_model(), x, iwae_k=5)
    assert rep["active_units"] == 0 and rep["rate"] == pytest.approx(0, abs=1e-6)
    assert abs(rep["mutual_info"]) < 0.05
    assert rep["verdict"] == "collapsed"
    assert "Posterior collapse" in explanation(rep) and "0 of 4" in explanation(rep)
    assert "explanation" not in rep and "title" not in rep["remedies"][0]  # codes and numbers, no English
    titles = [remedy_title(r) for r in rep["remedies"]]
    assert titles[:3] == ["Lower beta", "KL warm-up", "Free bits"]
    assert rep["remedies"][0]["changes"] == {"objective.beta": 1.0}


def test_trained_mnist5k_model_is_healthy(mnist5k_model):
    from vae.data.embedded import load_mnist5k

    rep = collapse_report(mnist5k_model, load_mnist5k().x_test, iwae_k=10)
    assert rep["active_units"] >= 5 and rep["verdict"] == "healthy" and rep["remedies"] == []
    assert 2.0 < rep["mutual_info"] <= rep["mutual_info_max"] == pytest.approx(math.log(500))
    assert rep["rate"] == pytest.approx(sum(rep["kl_per_dim"]))
    assert rep["elbo"] == pytest.approx(rep["rate"] + rep["distortion"])
    assert rep["kl_per_dim"][rep["kl_order"][0]] == max(rep["kl_per_dim"])


@pytest.fixture(scope="module")
def mnist5k_model():
    from vae.config import VAEConfig
    from vae.training.trainer import train

    cfg = VAEConfig(latent_dim=8)
    cfg.train.epochs, cfg.train.device = 3, "cpu"
    return train(cfg).model


def test_verdict_thresholds():
    assert verdict(COLLAPSED_RATE - 0.01, 3, 10) == "collapsed"
    assert verdict(5.0, 0, 10) == "collapsed"
    assert verdict(5.0, 7, 10) == "partial"  # 30% inactive
    assert verdict(5.0, 8, 10) == "healthy"  # 20% inactive: a few idle dimensions are normal
    assert verdict(5.0, 10, 10) == "healthy"


def test_partial_suggests_smaller_latent():
    cfg = tiny_config(latent_dim=16)
    titles = [remedy_title(r.__dict__) for r in remedies(cfg, "partial")]
    assert "Smaller latent size" in titles and "Free bits" in titles
    assert remedies(cfg, "healthy") == []


def test_mutual_information_known_answer():
    """Encoder q(z|x) = N(x, s^2) on x ~ N(0, 1), 1-D: I(x; z) = 0.5 log(1 + 1/s^2)."""

    class Linear(torch.nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s
            self.w = torch.nn.Parameter(torch.zeros(1))

        def encode(self, x):
            return DiagonalGaussian(x.view(-1, 1), torch.full((len(x), 1), 2 * math.log(self.s)))

    x = torch.randn(4000, generator=torch.Generator().manual_seed(123))  # not the estimator's seed 0
    mi = mutual_information(Linear(0.5), x, batch_size=1000)
    assert mi == pytest.approx(0.5 * math.log(1 + 1 / 0.25), abs=0.05)


def test_kl_history_shape(trained_digits):
    h = kl_history(trained_digits.history)
    assert h.shape == (5, 6) and (h >= 0).all()
    assert np.allclose(h[-1], trained_digits.history[-1]["kl_per_dim"])


# --------------------------------------------------------- disentanglement
def _factors(n=3000, seed=0):
    rng = np.random.RandomState(seed)
    return np.stack([rng.randint(0, 4, n), rng.randint(0, 6, n), rng.randint(0, 8, n)], 1)


def test_mig_near_max_for_codes_equal_to_factors():
    f = _factors()
    rng = np.random.RandomState(1)
    codes = np.concatenate([f + 0.05 * rng.randn(*f.shape), rng.randn(len(f), 2)], 1)
    m = mig(codes, f)
    assert m["mig"] > 0.9 and m["latent"] == [0, 1, 2]


def test_mig_near_zero_for_random_codes():
    f = _factors()
    codes = np.random.RandomState(2).randn(len(f), 5)
    assert mig(codes, f)["mig"] < 0.05


def test_mig_zero_when_factor_duplicated_in_two_latents():
    f = _factors()
    codes = np.stack([f[:, 0], f[:, 0], f[:, 1], f[:, 2]], 1).astype(float)
    per = mig(codes, f)["per_factor"]
    assert per[0] == pytest.approx(0, abs=1e-9) and per[1] > 0.9


def test_sap_high_for_aligned_low_for_random():
    f = _factors(1500)[:, :2] % 2  # binary factors: a linear split on one latent separates them
    rng = np.random.RandomState(3)
    good = np.concatenate([f + 0.05 * rng.randn(*f.shape), rng.randn(len(f), 2)], 1)
    s = sap(good, f)
    # the right latent predicts perfectly (1.0); the runner-up is at chance (0.5 balanced accuracy)
    assert s["sap"] == pytest.approx(0.5, abs=0.06) and s["latent"] == [0, 1]
    assert np.max(s["score"], axis=0) == pytest.approx([1.0, 1.0], abs=0.01)
    assert sap(rng.randn(len(f), 4), f)["sap"] < 0.1


def test_scores_keyed_by_factor_name():
    f = _factors(500)
    s = disentanglement_scores(f.astype(float), f, ["a", "b", "c"])
    assert set(s["factors"]) == {"a", "b", "c"} and s["factors"]["c"]["latent"] == 2


def test_a_version_2_report_is_read_with_its_numbers_and_its_sentences_derived_again():
    """Checkpoints saved before the codes (report version 2) held English sentences; their numbers are kept,
    the codes derived from them and the configuration, and the sentences are the current ones."""
    from vae.analysis.reports import REPORTS_VERSION, stored_reports

    cfg = tiny_config(latent_dim=16)
    cfg.objective.beta = 4.0
    old = {
        "verdict": "partial",
        "rate": 3.5,
        "active_units": 9,
        "latent_dim": 16,
        "mutual_info": 2.0,
        "mutual_info_max": 6.2,
        "mi_batch": 500,
        "explanation": "Old words.",
        "verdict_rules": "old rules",
        "remedies": [{"title": "Lower beta", "why": "old", "changes": {"objective.beta": 1.0}}],
    }
    rep = stored_reports({"reports": {"version": 2, "collapse": old, "disentanglement": None}}, cfg)
    assert rep["version"] == REPORTS_VERSION and rep["collapse"]["rate"] == 3.5
    c = rep["collapse"]
    assert "explanation" not in c and "verdict_rules" not in c and c["cause"] is None
    assert [r["code"] for r in c["remedies"]][:3] == ["lower_beta", "kl_warmup", "free_bits"]
    assert remedy_reason(c["remedies"][0]) == "beta = 4 weighs the KL term 4x; beta = 1 is the plain ELBO"
    assert "9 of 16 latent dimensions are active" in explanation(c) and "partial: at least 25%" in verdict_rules(c)
    assert stored_reports({"reports": {"version": 2, "collapse": {**old, "verdict": "HEALTHY"}}}, cfg) is None
    assert stored_reports({"reports": {"version": 1, "collapse": old}}, cfg) is None
