"""Disentanglement: the KL decomposition against closed forms, DCI and the FactorVAE score on known answers,
and the beta-TCVAE and FactorVAE objectives lowering what they target."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from tests.conftest import tiny_config
from vae.analysis.disentanglement import dci, disentanglement_scores, factorvae_score, mig, sap
from vae.analysis.disentanglement.dci import completeness, disentanglement
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
        q = DiagonalGaussian(mu, logvar)
        terms = kl_decomposition_terms(z[s : s + 500], q, math.log(n), own=q[s : s + 500])
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


# ------------------------------------------------------------------ metrics
# disentanglement_lib's own test cases (evaluation/metrics/*_test.py) on its IdentityObservationsData (codes equal
# to the factors), with 5 factors of 5 values instead of 10 of 10 to keep the trees quick, then hand-computed cases.
NF = 5


def identity(n=500, seed=0):
    f = np.random.RandomState(seed).randint(0, 5, size=(n, NF))
    return f.astype(np.float64), f


def scored(metric, represent, **kw):
    """A metric on a training set and a test set of identity data, both passed through ``represent``."""
    (c, f), (ct, ft) = identity(seed=0), identity(seed=1)
    return metric(represent(c), f, represent(ct), ft, **kw)


def permuted(c):
    rng = np.random.RandomState(0)
    return np.stack([rng.permutation(row) for row in c])


def doubled(c):
    return np.hstack([c, c])


def test_dci_importance_matrix_cases_of_disentanglement_lib():
    diag = np.diag(5.0 * np.ones(5))
    empty = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    for matrix, d, c in [
        (diag, 1.0, 1.0),
        (empty, 1.0, 1.0),
        (np.vstack([diag, diag]), 1.0, 1 - np.log(2) / np.log(10)),  # redundant codes
        (diag[:2, :], 1.0, 1.0),  # missed factors
        (np.hstack([diag, diag]), 1 - np.log(2) / np.log(10), 1.0),  # one code, two factors
    ]:
        assert disentanglement(matrix) == pytest.approx(d) and completeness(matrix) == pytest.approx(c)
    assert disentanglement(np.zeros((10, 10))) == pytest.approx(0.0)
    assert completeness(np.zeros((10, 10))) == pytest.approx(0.0, abs=1e-7)


def test_dci_of_a_hand_computed_importance_matrix():
    """R = [[1, 1], [2, 0]]: latent 0 splits evenly (1 - H_2 = 0), latent 1 is pure (1), each half the importance;
    factor 0 spreads (1/3, 2/3) over the latents, factor 1 is pure; their weights are 3/4 and 1/4."""
    r = np.array([[1.0, 1.0], [2.0, 0.0]])
    h = -(1 / 3 * np.log(1 / 3) + 2 / 3 * np.log(2 / 3)) / np.log(2)
    assert disentanglement(r) == pytest.approx(0.5, abs=1e-6)
    assert completeness(r) == pytest.approx(0.75 * (1 - h) + 0.25, abs=1e-6)


def test_dci_metric_cases_of_disentanglement_lib():
    good = scored(dci, lambda c: c)
    assert 0.9 <= good["disentanglement"] <= 1 and 0.9 <= good["completeness"] <= 1
    assert good["informativeness"] == pytest.approx(1.0)  # the trees read each factor off its own code
    bad = scored(dci, permuted)  # each row's factors shuffled: every code holds every factor a little
    assert bad["disentanglement"] < 0.2 and bad["completeness"] < 0.2
    twice = scored(dci, doubled)
    assert 0.9 <= twice["disentanglement"] <= 1
    assert twice["completeness"] == pytest.approx(1 - np.log(2) / np.log(2 * NF), abs=0.1)


def test_dci_on_two_threads_gives_the_same_numbers(monkeypatch):
    import importlib

    module = importlib.import_module("vae.analysis.disentanglement.dci")  # the package's `dci` is the function
    monkeypatch.setattr(module, "PARALLEL_CODES", 100)  # threads on these few codes too
    (c, f), (ct, ft) = identity(120, seed=0), identity(40, seed=1)
    noisy, noisy_t = c + np.random.RandomState(0).randn(*c.shape), ct + np.random.RandomState(1).randn(*ct.shape)
    assert dci(noisy, f, noisy_t, ft, seed=3, n_jobs=2) == dci(noisy, f, noisy_t, ft, seed=3, n_jobs=1)


def test_factorvae_score_cases_of_disentanglement_lib():
    c, f = identity(3000)
    assert factorvae_score(c, f, batch=5, train=3000, test=2000)["factorvae_score"] >= 0.9
    zero = factorvae_score(np.zeros_like(c), f, batch=5, train=3000, test=2000)
    assert zero["factorvae_score"] == 0.0 and zero["active"] == []


def test_factorvae_score_prunes_collapsed_latents_and_is_exact_on_a_hand_case():
    """Codes equal to two factors: each vote fixes one factor, whose latent then has zero variance, so every vote
    is right (score 1, votes on the diagonal); latents that barely move (sd 0.01 < 0.05) take no vote."""
    f = np.stack([np.arange(400) % 4, np.arange(400) // 100], 1)
    dead = 0.01 * np.random.RandomState(0).randn(400, 3)
    s = factorvae_score(np.hstack([f.astype(float), dead]), f, train=500, test=500)
    assert s["factorvae_score"] == 1.0 and s["active"] == [0, 1]
    votes = np.array(s["votes"])
    assert votes[2:].sum() == 0 and votes[0, 1] == votes[1, 0] == 0 and votes.sum() == 500


def test_factorvae_score_of_two_seeds_agrees_to_a_hundredth():
    c, f = identity(3000)
    noisy = c + 4.0 * np.random.RandomState(3).randn(*c.shape)  # a score well inside (0, 1)
    a, b = (factorvae_score(noisy, f, seed=s)["factorvae_score"] for s in (1, 2))
    assert 0.3 < a < 0.95 and abs(a - b) < 0.01


def test_mig_cases_of_disentanglement_lib():
    c, f = identity(3000)
    assert mig(c, f)["mig"] >= 0.9
    assert mig(np.zeros_like(c), f)["mig"] <= 0.2
    assert mig(doubled(c), f)["mig"] <= 0.1


def test_mig_of_a_hand_computed_case():
    """One latent is a binary factor, the other constant: I = H(v) = log 2 and 0, so the gap is exactly 1."""
    v = np.arange(1000) % 2
    m = mig(np.stack([v, np.zeros(1000)], 1).astype(float), v[:, None])
    assert m["mi"][0][0] == pytest.approx(np.log(2)) and m["mig"] == pytest.approx(1.0) and m["num"] == 1000


def test_sap_cases():
    (c, f), (ct, ft) = identity(seed=0), identity(seed=1)
    b, bt = (f >= 2).astype(int), (ft >= 2).astype(int)  # binary factors: one split of the right latent
    s = sap(c, b, ct, bt)  # the right latent predicts perfectly, the runner-up at chance
    assert np.max(s["score"], axis=0) == pytest.approx(np.ones(NF), abs=1e-9) and s["latent"] == list(range(NF))
    assert s["sap"] == pytest.approx(0.5, abs=0.08)
    assert sap(np.zeros_like(c), b, np.zeros_like(ct), bt)["sap"] == pytest.approx(0.0)
    assert sap(doubled(c), b, doubled(ct), bt)["sap"] == pytest.approx(0.0)  # two latents tie


def test_metrics_score_random_codes_about_zero_or_chance():
    f = factors(600)
    for seed in range(1):
        codes = np.random.RandomState(seed).randn(len(f), 10)
        s = disentanglement_scores(codes, f, list("abcde"), seed=seed)
        assert s["dci"]["disentanglement"] < 0.2 and s["mig"] < 0.05 and s["sap"] < 0.05
        # a majority vote on noise: near chance (1/5); the pools of 90 to 225 examples that share a value are drawn
        # from again and again, so each pool's quietest latent repeats a little
        assert s["factorvae_score"] < 1 / 5 + 0.15


def test_a_rotation_of_the_factors_has_low_mig_but_high_informativeness():
    f = factors(900)
    z = (f - f.mean(0)) / f.std(0)
    q, _ = np.linalg.qr(np.random.RandomState(2).randn(5, 5))
    s = disentanglement_scores(
        z @ q, f, list("abcde"), n_jobs=2
    )  # 600 codes to fit; the trees then read 0.72 of the values
    assert s["mig"] < 0.2 and s["dci"]["informativeness"] > 0.6 and s["dci"]["disentanglement"] < 0.5


def test_scores_split_the_codes_and_key_the_factors_by_name():
    f = factors(600)
    s = disentanglement_scores(f.astype(float), f, list("abcde"))
    assert s["num"] == {"train": 400, "test": 200} and set(s["factors"]) == set("abcde")
    assert [s["factors"][k]["latent"] for k in "abcde"] == [0, 1, 2, 3, 4]


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

    from vae.analysis.evaluation import EVAL_SEED_OFFSET, aggregate_posterior_terms, test_inputs
    from vae.data import load_dataset

    x = test_inputs(load_dataset(r.config.data).x_test, r.config, "cpu")
    g = torch.Generator().manual_seed(r.config.train.seed + EVAL_SEED_OFFSET)
    return aggregate_posterior_terms(r.model, x, generator=g)["decomposition"]


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
    assert main(["diagnose", str(out), "--iwae-k", "5", "--gaps-examples", "0", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    kd = rep["kl_decomposition"]
    assert set(kd) == {"index_code_mi", "total_correlation", "dimwise_kl"}
    assert sum(kd.values()) == pytest.approx(rep["rate"], rel=0.25, abs=0.5)
    assert set(rep["dci"]) == {"disentanglement", "completeness", "informativeness"}
    assert 0 <= rep["factorvae_score"] <= 1 and 0 <= rep["mig"] <= 1
    from vae.models.checkpoints import read_metadata

    ob = read_metadata(out)["config"]["objective"]
    assert ob["name"] == "beta-tcvae" and ob["beta"] == 6 and ob["gamma"] == 2


def test_the_total_correlation_of_a_shipped_model_has_converged():
    """sprites-mlp-z6-vae with q(z) the mixture of all 10,000 sprites' posteriors: the average over 1,000 codes
    and over 2,000 (what the reports take) agree to 0.1 nats (with q(z) over the 1,000 test sprites alone, TC was
    2.45, against 1.64 over all 10,000: the index-code MI capped at log 1,000 spilled into it)."""
    from pathlib import Path

    from vae.analysis.evaluation import aggregate_inputs, aggregate_posterior_terms
    from vae.data import load_dataset
    from vae.models.checkpoints import load_checkpoint

    ck = load_checkpoint(Path(__file__).parents[1] / "checkpoints" / "sprites-mlp-z6-vae.safetensors")
    x = aggregate_inputs(load_dataset(ck.config.data), ck.config, "cpu")
    tc = [
        aggregate_posterior_terms(ck.model, x, torch.Generator().manual_seed(1), outer=n)["decomposition"]
        for n in (1000, 2000)
    ]
    assert len(x) == 10_000 and abs(tc[0]["total_correlation"] - tc[1]["total_correlation"]) < 0.1
    assert tc[1]["index_code_mi"] < math.log(10_000)
