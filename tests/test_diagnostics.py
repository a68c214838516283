"""Collapse diagnostics and disentanglement scores against known answers."""

import math

import numpy as np
import pytest
import torch

from tests.conftest import tiny_config
from vae.analysis.diagnostics import COLLAPSED_RATE, collapse_report, kl_history, mutual_information, remedies, verdict
from vae.data.embedded import load_digits
from vae.models.posteriors import DiagonalGaussian
from vae.models.vae import VAE
from vae.wording import explanation, remedy_title


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
    n = rep["aggregate_num"]
    assert n == 1000 and 2.0 < rep["mutual_info"] <= rep["mutual_info_max"] == pytest.approx(math.log(n))
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


def test_the_verdict_weighs_what_z_carries_not_only_how_many_units_move():
    """16 of 16 units active with 4.3 nats at beta 50 (distortion 193 against 102 at beta 1) was called healthy, and
    so was a 64-dimensional model whose units mostly carried nothing."""
    from vae.analysis.diagnostics import INFORMATIVE_KL, used_units

    assert verdict(4.3, 16, 16, beta=50.0) == "weak"  # 0.27 nats a unit: every unit moves, the code is tiny
    assert verdict(26.7, 16, 16, beta=50.0) == "healthy"  # free bits 2 at beta 50: 1.7 nats a unit
    assert verdict(4.2, 16, 16, beta=1.0) == "healthy"  # a small code at beta 1 is the data's, not the weight's
    variance = [0.5] * 64  # every mean moves...
    kl = [2.0] * 20 + [INFORMATIVE_KL / 2] * 44  # ...but 44 units carry almost nothing
    assert used_units(variance, kl) == 20 and verdict(40.0 + 44 * INFORMATIVE_KL / 2, 20, 64) == "partial"
    assert used_units([0.5, 0.001], None) == 1  # a flow posterior: the active ones


def test_partial_suggests_smaller_latent():
    cfg = tiny_config(latent_dim=16)
    titles = [remedy_title(r.__dict__) for r in remedies(cfg, "partial")]
    assert "Smaller latent size" in titles and "Free bits" in titles
    assert remedies(cfg, "healthy") == []


def test_mutual_information_known_answer():
    """Encoder q(z|x) = N(x, s^2) on x ~ N(0, 1), 1-D: I(x; z) = 0.5 log(1 + 1/s^2)."""

    class Linear(torch.nn.Module):
        flow, closed_form_kl = None, False

        def __init__(self, s):
            super().__init__()
            self.s = s
            self.w = torch.nn.Parameter(torch.zeros(1))

        def encode(self, x):
            return DiagonalGaussian(x.view(-1, 1), torch.full((len(x), 1), 2 * math.log(self.s)))

    x = torch.randn(4000, generator=torch.Generator().manual_seed(123))  # not the estimator's seed 0
    mi = mutual_information(Linear(0.5), x)  # q(z) over all 4,000, averaged over 2,000 of them
    assert mi == pytest.approx(0.5 * math.log(1 + 1 / 0.25), abs=0.05)


def test_kl_history_shape(trained_digits):
    h = kl_history(trained_digits.history)
    assert h.shape == (5, 6) and (h >= 0).all()
    assert np.allclose(h[-1], trained_digits.history[-1]["kl_per_dim"])


def test_reports_of_another_version_are_computed_again():
    """Reports of an older version hold numbers computed otherwise (report 3: DCI by a lasso, q(z) over the test
    split): they are not read, so the server computes the current ones once."""
    from vae.analysis.reports import REPORTS_VERSION, stored_reports

    collapse = {"verdict": "partial", "rate": 3.5, "active_units": 9, "latent_dim": 16}
    assert stored_reports({"reports": {"version": REPORTS_VERSION, "collapse": collapse}})["collapse"] == collapse
    for version in range(1, REPORTS_VERSION):
        assert stored_reports({"reports": {"version": version, "collapse": collapse}}) is None
    assert stored_reports({"reports": {"version": REPORTS_VERSION, "collapse": "bad"}}) is None
    assert stored_reports({}) is None and stored_reports(None) is None


@pytest.mark.parametrize("decoder", ["gru", "lstm", "transformer"])
def test_a_text_decoder_that_ignores_z_is_named_the_cause_and_offered_word_dropout(decoder):
    from tests.test_sequences import seq_config
    from vae.analysis.diagnostics import diagnosis, with_diagnosis

    cfg = seq_config(decoder=decoder)
    d = diagnosis(cfg, "collapsed", 0.3)
    assert d["cause"] == "strong_decoder" and d["decoder_arch"] == decoder
    assert d["remedies"][0] == {"code": "word_dropout", "changes": {"decoder.word_dropout": 0.5}, "values": {}}
    rep = with_diagnosis({"verdict": "collapsed", "rate": 0.3, "cause": None, "remedies": []}, cfg)
    assert rep["cause"] == "strong_decoder"  # a report stored before the rule reads as now
    text = explanation(
        {
            **rep,
            "latent_dim": 4,
            "active_units": 0,
            "mutual_info": None,
            "verdict_thresholds": {"active_unit_threshold": 0.01},
        }
    )
    assert f"autoregressive ({decoder})" in text and "word dropout" in text
    cfg.decoder.word_dropout = 0.5  # already there: not offered again
    assert all(r.code != "word_dropout" for r in remedies(cfg, "collapsed", 0.3))
    assert diagnosis(seq_config(decoder="mlp"), "collapsed", 0.3)["cause"] is None  # not autoregressive
