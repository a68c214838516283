"""MIG, the mutual information gap, as disentanglement_lib computes it (``discrete_mig``).

Each latent's posterior mean is discretised into ``bins`` = 20 equal-width bins
(``discretize``); I(z_j; v_k) is the discrete mutual information of the binned mean and
the factor (scikit-learn's ``mutual_info_score``, nats). For each factor v_k, with the
latents sorted by I(z_j; v_k):

    MIG_k = (I(z_(1); v_k) - I(z_(2); v_k)) / H(v_k),          MIG = mean_k MIG_k

This is the variant of disentanglement_lib (``evaluation/metrics/mig.py``, 20 bins, on
10,000 points in ``unsupervised_study_v1``), not Chen et al. (2018)'s own estimator,
which estimates I(z_j; v_k) from sampled codes z ~ q(z|x) (rtqichen/beta-tcvae) and
gives lower numbers. The plug-in MI of binned means is biased upwards on few points:
compare MIGs over the same number of codes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BINS = 20


def discretize(codes: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Equal-width histogram bin index of each column, shape as ``codes`` (int)."""
    out = np.zeros(codes.shape, dtype=np.int64)
    for j in range(codes.shape[1]):
        edges = np.histogram_bin_edges(codes[:, j], bins=bins)
        out[:, j] = np.digitize(codes[:, j], edges[1:-1])
    return out


def mutual_info_matrix(codes: np.ndarray, factors: np.ndarray, bins: int = BINS) -> np.ndarray:
    """I(z_j; v_k) in nats between binned latent j and factor k, shape (latents, factors)."""
    from sklearn.metrics import mutual_info_score

    zd = discretize(codes, bins)
    return np.array(
        [[mutual_info_score(factors[:, k], zd[:, j]) for k in range(factors.shape[1])] for j in range(codes.shape[1])]
    )


def mig(codes: np.ndarray, factors: np.ndarray, bins: int = BINS) -> dict[str, Any]:
    """The gap per factor and its mean, the latent each factor maps to, I(z_j; v_k) and H(v_k)."""
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
        "num": len(codes),
    }
