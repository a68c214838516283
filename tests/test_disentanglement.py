"""Disentanglement: the KL decomposition against closed forms, DCI and the FactorVAE score on known answers,
and the beta-TCVAE and FactorVAE objectives lowering what they target."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from tests.conftest import tiny_config
from vae.analysis.disentanglement import dci, factorvae_score, mig
from vae.config import DataConfig, NetworkConfig
from vae.config.values import apply
from vae.errors import ConfigError
from vae.models.posteriors import DiagonalGaussian, log_normal_diag, log_normal_std
from vae.objectives.total_correlation import kl_decomposition_terms

SIZES = (4, 6, 10, 8, 8)  # the sprites factors' sizes


def factors(n=2000, seed=0):
    rng = np.random.RandomState(seed)
    return np.stack([rng.randint(0, k, n) for k in SIZES], 1)


def gaussian_posteriors(rho: float, n=3000, sd=0.3, seed=0):
    """Means from N(0, [[1, rho], [rho, 1]]), q(z|x) = N(mean, sd^2 I): the aggregate is N(0, cov + sd^2 I)."""
    g = torch.Generator().manual_seed(seed)
    cov = torch.tensor([[1.0, rho], [rho, 1.0]])
    mu = torch.randn(n, 2, generator=g) @ torch.linalg.cholesky(cov).T
    logvar = torch.full((n, 2), 2 * math.log(sd))
    z = mu + sd * torch.randn(n, 2, generator=g)
    sums = [0.0, 0.0, 0.0]
    for s in range(0, n, 500):
        terms = kl_decomposition_terms(z[s : s + 500], DiagonalGaussian(mu, logvar), math.log(n), start=s)
        sums = [a + float(t.sum()) for a, t in zip(sums, terms)]
    agg = cov + sd**2 * torch.eye(2)
    gaussian_tc = float(0.5 * (torch.log(torch.diag(agg)).sum() - torch.logdet(agg)))
    return [v / n for v in sums], gaussian_tc


def test_total_correlation_is_zero_for_a_factorised_aggregate_and_gaussian_tc_for_a_correlated_one():
    (mi0, tc0, dw0), true0 = gaussian_posteriors(0.0)
    assert true0 == pytest.approx(0.0, abs=1e-6) and abs(tc0) < 0.03
    (mi, tc, dw), true = gaussian_posteriors(0.8)
    assert true == pytest.approx(0.387, abs=0.01) and tc == pytest.approx(true, abs=0.05)
    # the dimension-wise KL of N(0, 1 + sd^2) marginals is small; the MI is the bulk (0.5 log((1+sd^2)/sd^2) per dim)
    assert abs(dw0) < 0.05 and mi0 == pytest.approx(2 * 0.5 * math.log(1.09 / 0.09), abs=0.1)


def test_the_three_terms_add_up_to_the_one_sample_kl():

    g = torch.Generator().manual_seed(1)
    mu, logvar = torch.randn(64, 5, generator=g), torch.randn(64, 5, generator=g) * 0.3 - 1
    z = mu + torch.exp(0.5 * logvar) * torch.randn(64, 5, generator=g)
    mi, tc, dw = kl_decomposition_terms(z, DiagonalGaussian(mu, logvar), math.log(1000 * 64))
    assert torch.allclose(mi + tc + dw, log_normal_diag(z, mu, logvar) - log_normal_std(z), atol=1e-4)


def test_metrics_score_codes_equal_to_the_factors_about_one():
    f = factors()
    codes = f + 0.05 * np.random.RandomState(1).randn(*f.shape)
    d = dci(codes, f)
    assert d["disentanglement"] > 0.95 and d["completeness"] > 0.95 and d["informativeness"] > 0.95
    assert factorvae_score(codes, f)["factorvae_score"] > 0.95
    assert mig(codes, f)["mig"] > 0.9


def test_metrics_score_random_codes_about_zero_or_chance():
    f = factors()
    for seed in range(4):
        codes = np.random.RandomState(seed).randn(2000, 10)
        d = dci(codes, f)
        assert d["disentanglement"] < 0.1 and d["informativeness"] < 0.05
        fv = factorvae_score(codes, f)
        assert fv["factorvae_score"] < fv["chance"] + 0.15  # a majority vote on noise: about chance
        assert mig(codes, f)["mig"] < 0.05


def test_a_rotation_of_the_factors_has_low_mig_but_high_informativeness():
    f = factors()
    z = (f - f.mean(0)) / f.std(0)
    q, _ = np.linalg.qr(np.random.RandomState(2).randn(5, 5))
    d = dci(z @ q, f)
    assert mig(z @ q, f)["mig"] < 0.2 and d["informativeness"] > 0.9 and d["disentanglement"] < 0.5


# ------------------------------------------------------------------ objectives
def sprites_config(**values):
    """16x16 sprites, an MLP of 128, z = 4, 15 epochs: about a second, enough for a total correlation of ~1 nat."""
    base = tiny_config(
        data=DataConfig(name="sprites", size=16, num=2000),
        latent_dim=4,
        train__epochs=15,
        train__lr=3e-3,
        encoder=NetworkConfig(hidden=[128]),
        decoder=NetworkConfig(hidden=[128]),
    )
    return apply(base, values).validate()


def test_objectives_are_refused_where_they_do_not_combine():
    with pytest.raises(ConfigError, match="free bits.*beta-tcvae"):
        sprites_config(objective="beta-tcvae", free_bits=0.5)
    with pytest.raises(ConfigError, match="capacity annealing"):
        sprites_config(objective="factorvae", capacity=5.0)
    with pytest.raises(ConfigError, match="objective.name must be one of"):
        sprites_config(objective="infovae")
    sprites_config(objective="factorvae", free_bits=0.5, kl_warmup=1.0)  # these combine


def decomposition(r) -> dict[str, float]:
    """The KL decomposition of a trained run on its test split (what the reports store at save)."""
    import torch

    from vae.analysis.evaluation import EVAL_SEED_OFFSET, kl_decomposition, test_inputs
    from vae.data import load_dataset

    x = test_inputs(load_dataset(r.config.data).x_test, r.config, "cpu")
    return kl_decomposition(r.model, x, generator=torch.Generator().manual_seed(r.config.train.seed + EVAL_SEED_OFFSET))


def test_beta_tcvae_and_factorvae_lower_the_total_correlation_they_weigh():
    from vae.training.trainer import train

    plain = train(sprites_config(beta=1.0))
    tcvae = train(sprites_config(objective="beta-tcvae", beta=10.0))
    factor = train(sprites_config(objective="factorvae", factorvae_gamma=30.0))
    tc = lambda r: decomposition(r)["total_correlation"]  # noqa: E731
    assert tc(plain) > 0.5  # seen: 1.2 nats
    assert tc(tcvae) < 0.3 * tc(plain) and tc(factor) < 0.9 * tc(plain)  # seen: 0.11 and 0.93
    assert all(math.isfinite(r.history[-1]["test_elbo"]) for r in (plain, tcvae, factor))


def test_index_code_mi_weight_lowers_the_mutual_information():
    from vae.training.trainer import train

    low = train(sprites_config(objective="beta-tcvae", alpha=1.0, beta=1.0))
    high = train(sprites_config(objective="beta-tcvae", alpha=8.0, beta=1.0))
    assert decomposition(high)["index_code_mi"] < 0.3 * decomposition(low)["index_code_mi"]  # seen: 0.13 vs 4.1


def test_diagnose_json_has_the_decomposition_dci_and_factorvae_score(tmp_path, capsys):
    from vae.cli import main

    out = tmp_path / "tc.safetensors"
    assert (
        main(
            [
                "train",
                "--dataset",
                "sprites",
                "--sprites-size",
                "16",
                "--sprites-num",
                "600",
                "--arch",
                "cnn",
                "--hidden",
                "8",
                "16",
                "--latent-dim",
                "4",
                "--epochs",
                "2",
                "--objective",
                "beta-tcvae",
                "--beta",
                "6",
                "--alpha",
                "1",
                "--gamma",
                "2",
                "--device",
                "cpu",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["diagnose", str(out), "--iwae-k", "5", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    kd = rep["kl_decomposition"]
    assert set(kd) == {"index_code_mi", "total_correlation", "dimwise_kl"}
    assert sum(kd.values()) == pytest.approx(rep["rate"], rel=0.25, abs=0.5)
    assert set(rep["dci"]) == {"disentanglement", "completeness", "informativeness"}
    assert 0 <= rep["factorvae_score"] <= 1 and 0 <= rep["mig"] <= 1
    from vae.models.checkpoints import read_metadata

    ob = read_metadata(out)["config"]["objective"]
    assert ob["name"] == "beta-tcvae" and ob["beta"] == 6 and ob["gamma"] == 2
