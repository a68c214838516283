"""Disentanglement scores for datasets with known generative factors (e.g. ``sprites``).

MIG (Chen et al. 2018). Discretise each latent mean into ``bins`` equal-width bins;
I(z_j; v_k) is the discrete mutual information (scikit-learn's
``mutual_info_score``). For each factor v_k, with latents sorted by I(z_j; v_k):

    MIG_k = (I(z_(1); v_k) - I(z_(2); v_k)) / H(v_k),     MIG = mean_k MIG_k

SAP (Kumar et al. 2018, discrete factors as in disentanglement_lib). S[j, k] is the
balanced test accuracy of a linear SVM predicting factor k from latent j alone:

    SAP_k = S_(1),k - S_(2),k,                              SAP = mean_k SAP_k

Both lie in [0, 1]; 1 means every factor lives in exactly one latent.
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
    return np.array([[mutual_info_score(factors[:, k], zd[:, j]) for k in range(factors.shape[1])]
                     for j in range(codes.shape[1])])


def mig(codes: np.ndarray, factors: np.ndarray, bins: int = 20) -> dict[str, Any]:
    """Mutual information gap; per factor, and the latent each factor maps to."""
    from sklearn.metrics import mutual_info_score

    mi = mutual_info_matrix(codes, factors, bins)
    entropy = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in range(factors.shape[1])])
    srt = np.sort(mi, axis=0)[::-1]
    second = srt[1] if len(srt) > 1 else np.zeros_like(srt[0])
    per = np.where(entropy > 0, (srt[0] - second) / np.maximum(entropy, 1e-12), 0.0)
    return {"mig": float(per.mean()), "per_factor": per.tolist(), "latent": mi.argmax(0).tolist(),
            "mi": mi.tolist(), "entropy": entropy.tolist()}


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
    return {"sap": float(per.mean()), "per_factor": per.tolist(), "latent": score.argmax(0).tolist(),
            "score": score.tolist()}


def disentanglement_scores(codes: np.ndarray, factors: np.ndarray, factor_names: list[str]) -> dict[str, Any]:
    """MIG and SAP, with per-factor results keyed by factor name."""
    m, s = mig(codes, factors), sap(codes, factors)
    return {
        "mig": m["mig"],
        "sap": s["sap"],
        "factors": {name: {"mig": m["per_factor"][k], "sap": s["per_factor"][k], "latent": m["latent"][k]}
                    for k, name in enumerate(factor_names)},
        "mi_matrix": m["mi"],
    }
