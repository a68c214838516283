"""Disentanglement scores for datasets with known generative factors (e.g. ``sprites``).

MIG (Chen et al. 2018). Discretise each latent mean into ``bins`` equal-width bins;
I(z_j; v_k) is the discrete mutual information (scikit-learn's
``mutual_info_score``). For each factor v_k, with latents sorted by I(z_j; v_k):

    MIG_k = (I(z_(1); v_k) - I(z_(2); v_k)) / H(v_k),     MIG = mean_k MIG_k

SAP (Kumar et al. 2018, discrete factors as in disentanglement_lib). S[j, k] is the
balanced test accuracy of a linear SVM predicting factor k from latent j alone:

    SAP_k = S_(1),k - S_(2),k,                              SAP = mean_k SAP_k

DCI (Eastwood & Williams 2018). One regressor per factor predicts it from all the
latents; R[j, k] >= 0 is the importance of latent j for factor k: here the absolute
weights of a lasso on standardised codes and factors (one of the two regressors of
the paper and of disentanglement_lib), times the factor's held-out R^2, and zero for a
factor predicted with R^2 < MIN_R2: the few spurious weights a lasso puts on random
codes credit nothing (without this, random codes scored 0.86-1.0). With P_jk = R_jk / sum_k' R_jk' and entropies in
base K (factors) or D (latents):

    disentanglement = sum_j rho_j (1 - H_K(P_j.)),   rho_j = sum_k R_jk / sum R
    completeness    = mean_k (1 - H_D(R_.k / sum_j R_jk))
    informativeness = mean_k R^2 of the regressor on held-out examples (clipped to [0, 1])

FactorVAE score (Kim & Mnih 2018), on a dataset instead of a simulator: pick a
factor k and one of its values, draw L examples that share it, divide their codes by
the codes' overall standard deviation and take the latent of least variance; a
majority-vote classifier maps that latent to k. The score is its held-out accuracy
(1: every factor has its own latent; chance is 1/K).

All of them lie in [0, 1]; 1 means every factor lives in exactly one latent.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def discretize(codes: np.ndarray, bins: int = 20) -> np.ndarray:
    """Equal-width histogram bin index of each column, shape as ``codes`` (int)."""
    out = np.zeros(codes.shape, dtype=np.int64)
    for j in range(codes.shape[1]):
        edges = np.histogram_bin_edges(codes[:, j], bins=bins)
        out[:, j] = np.digitize(codes[:, j], edges[1:-1])
    return out


def mutual_info_matrix(codes: np.ndarray, factors: np.ndarray, bins: int = 20) -> np.ndarray:
    """I(z_j; v_k) in nats, shape (latents, factors)."""
    from sklearn.metrics import mutual_info_score

    zd = discretize(codes, bins)
    return np.array(
        [[mutual_info_score(factors[:, k], zd[:, j]) for k in range(factors.shape[1])] for j in range(codes.shape[1])]
    )


def mig(codes: np.ndarray, factors: np.ndarray, bins: int = 20) -> dict[str, Any]:
    """Mutual information gap; per factor, and the latent each factor maps to."""
    from sklearn.metrics import mutual_info_score

    mi = mutual_info_matrix(codes, factors, bins)
    entropy = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in range(factors.shape[1])])
    srt = np.sort(mi, axis=0)[::-1]
    second = srt[1] if len(srt) > 1 else np.zeros_like(srt[0])
    per = np.where(entropy > 0, (srt[0] - second) / np.maximum(entropy, 1e-12), 0.0)
    return {
        "mig": float(per.mean()),
        "per_factor": per.tolist(),
        "latent": mi.argmax(0).tolist(),
        "mi": mi.tolist(),
        "entropy": entropy.tolist(),
    }


def sap(codes: np.ndarray, factors: np.ndarray, test_fraction: float = 0.3, seed: int = 0) -> dict[str, Any]:
    """Separated attribute predictability with one linear SVM per (latent, factor)."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.svm import LinearSVC

    rng = np.random.RandomState(seed)
    perm = rng.permutation(len(codes))
    n_test = max(1, int(len(codes) * test_fraction))
    te, tr = perm[:n_test], perm[n_test:]
    mu, sd = codes[tr].mean(0), codes[tr].std(0) + 1e-8
    z = (codes - mu) / sd
    score = np.zeros((codes.shape[1], factors.shape[1]))
    for k in range(factors.shape[1]):
        if len(np.unique(factors[tr, k])) < 2:
            continue
        for j in range(codes.shape[1]):
            clf = LinearSVC(C=0.01, class_weight="balanced").fit(z[tr, j : j + 1], factors[tr, k])
            with warnings.catch_warnings():  # a dead latent predicts one class: that is the point
                warnings.simplefilter("ignore", UserWarning)
                score[j, k] = balanced_accuracy_score(factors[te, k], clf.predict(z[te, j : j + 1]))
    srt = np.sort(score, axis=0)[::-1]
    per = srt[0] - (srt[1] if len(srt) > 1 else 0.0)
    return {
        "sap": float(per.mean()),
        "per_factor": per.tolist(),
        "latent": score.argmax(0).tolist(),
        "score": score.tolist(),
    }


MIN_R2 = 0.1  # DCI: a factor the codes predict worse than this credits no latent


def _entropy(p: np.ndarray, base: int) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / np.log(base)) if base > 1 else 0.0


def dci(
    codes: np.ndarray, factors: np.ndarray, alpha: float = 0.05, test_fraction: float = 0.3, seed: int = 0
) -> dict[str, Any]:
    """Disentanglement, completeness and informativeness from one lasso per factor."""
    from sklearn.linear_model import Lasso

    rng = np.random.RandomState(seed)
    perm = rng.permutation(len(codes))
    n_test = max(1, int(len(codes) * test_fraction))
    te, tr = perm[:n_test], perm[n_test:]

    def standard(a):
        a = np.asarray(a, dtype=np.float64)
        return (a - a[tr].mean(0)) / (a[tr].std(0) + 1e-8)

    z, v = standard(codes), standard(factors)
    d, k = z.shape[1], v.shape[1]
    imp = np.zeros((d, k))
    info = np.zeros(k)
    for j in range(k):
        reg = Lasso(alpha=alpha).fit(z[tr], v[tr, j])
        info[j] = max(0.0, min(1.0, reg.score(z[te], v[te, j]))) if v[tr, j].std() > 0 else 0.0
        if info[j] >= MIN_R2:  # weights that predict (almost) nothing held out credit nothing
            imp[:, j] = np.abs(reg.coef_) * info[j]
    total = imp.sum()
    if total <= 0:  # nothing predicts anything: no structure to credit
        dis, comp = 0.0, np.zeros(k)
    else:
        rows = imp.sum(1)
        per_code = np.array([1 - _entropy(imp[i] / rows[i], k) if rows[i] > 0 else 0.0 for i in range(d)])
        dis = float((per_code * rows / total).sum())
        cols = imp.sum(0)
        comp = np.array([1 - _entropy(imp[:, j] / cols[j], d) if cols[j] > 0 else 0.0 for j in range(k)])
    return {
        "disentanglement": dis,
        "completeness": float(comp.mean()),
        "informativeness": float(info.mean()),
        "importance": imp.tolist(),
        "completeness_per_factor": comp.tolist(),
        "informativeness_per_factor": info.tolist(),
    }


def factorvae_score(
    codes: np.ndarray, factors: np.ndarray, batch: int = 64, votes: int = 800, seed: int = 0
) -> dict[str, Any]:
    """The FactorVAE majority-vote score on a dataset: held-out accuracy (chance is 1/K)."""
    rng = np.random.RandomState(seed)
    sd = codes.std(0)
    active = sd > 1e-6 * max(1e-12, sd.max())
    k_factors = factors.shape[1]
    if not active.any():
        return {
            "factorvae_score": 0.0,
            "chance": 1.0 / k_factors,
            "votes": np.zeros((codes.shape[1], k_factors)).tolist(),
        }
    z = codes[:, active] / sd[active]
    dims = np.flatnonzero(active)

    def vote():
        k = rng.randint(k_factors)
        value = factors[rng.randint(len(factors)), k]
        pool = np.flatnonzero(factors[:, k] == value)
        idx = rng.choice(pool, size=batch, replace=len(pool) < batch)
        return dims[np.argmin(z[idx].var(0))], k

    train = np.zeros((codes.shape[1], k_factors), dtype=np.int64)
    for _ in range(votes):
        j, k = vote()
        train[j, k] += 1
    classify = train.argmax(1)
    test = [vote() for _ in range(votes // 2)]
    acc = float(np.mean([classify[j] == k for j, k in test]))
    return {"factorvae_score": acc, "chance": 1.0 / k_factors, "votes": train.tolist()}


def disentanglement_scores(codes: np.ndarray, factors: np.ndarray, factor_names: list[str]) -> dict[str, Any]:
    """MIG, SAP, DCI and the FactorVAE score, with per-factor results keyed by factor name."""
    m, s, d = mig(codes, factors), sap(codes, factors), dci(codes, factors)
    f = factorvae_score(codes, factors)
    return {
        "mig": m["mig"],
        "sap": s["sap"],
        "dci": {key: d[key] for key in ("disentanglement", "completeness", "informativeness")},
        "factorvae_score": f["factorvae_score"],
        "factors": {
            name: {
                "mig": m["per_factor"][k],
                "sap": s["per_factor"][k],
                "latent": m["latent"][k],
                "completeness": d["completeness_per_factor"][k],
                "informativeness": d["informativeness_per_factor"][k],
            }
            for k, name in enumerate(factor_names)
        },
        "mi_matrix": m["mi"],
        "dci_importance": d["importance"],
    }
