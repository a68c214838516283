"""DCI: disentanglement, completeness, informativeness (Eastwood & Williams 2018), as disentanglement_lib.

One gradient-boosted tree classifier per factor (scikit-learn's
``GradientBoostingClassifier()`` with its defaults, as ``evaluation/metrics/dci.py``) predicts
the factor's value from all the latents; R[j, k] = |importance| of latent j in classifier k
(``feature_importances_``). With P_jk = R_jk / sum_k' R_jk' and entropies in base K (the
number of factors) or D (of latents):

    disentanglement = sum_j rho_j (1 - H_K(P_j.)),             rho_j = sum_k R_jk / sum R
    completeness    = sum_k w_k (1 - H_D(R_.k / sum_j R_jk)),  w_k = sum_j R_jk / sum R
    informativeness = mean_k accuracy of classifier k on the test codes

(the entropies add 1e-11 to every entry, as disentanglement_lib does: a latent or factor of
zero importance gets entropy 1 and, weighted by zero, counts nothing). disentanglement_lib
trains on 10,000 points and tests on 5,000; completeness and informativeness grow with the
number of training points, disentanglement much less: compare DCI over the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Fits on at least this many codes run on ``n_jobs`` threads: 3,000 sprites codes took 13.6 s on 2 threads
# against 20.8 s on one; 500 took longer on two (the trees hold the GIL between their nodes).
PARALLEL_CODES = 2000


def _entropy(p: np.ndarray, base: int) -> np.ndarray:
    """scipy.stats.entropy of each column of ``p`` (normalised per column), in base ``base``."""
    p = p / p.sum(0, keepdims=True)
    return -(p * np.log(p)).sum(0) / np.log(base)


def disentanglement(importance: np.ndarray) -> float:
    """sum_j rho_j (1 - H_K(P_j.)) of an importance matrix (latents, factors)."""
    per_code = 1.0 - _entropy(importance.T + 1e-11, importance.shape[1])
    if importance.sum() == 0.0:
        importance = np.ones_like(importance)
    return float(np.sum(per_code * importance.sum(1) / importance.sum()))


def completeness_per_factor(importance: np.ndarray) -> np.ndarray:
    """1 - H_D(R_.k / sum_j R_jk) for each factor k."""
    return 1.0 - _entropy(importance + 1e-11, importance.shape[0])


def completeness(importance: np.ndarray) -> float:
    """sum_k w_k (1 - H_D(R_.k / sum_j R_jk)), the factors weighted by their share of the importance."""
    per_factor = completeness_per_factor(importance)
    if importance.sum() == 0.0:
        importance = np.ones_like(importance)
    return float(np.sum(per_factor * importance.sum(0) / importance.sum()))


def dci(
    codes: np.ndarray,
    factors: np.ndarray,
    test_codes: np.ndarray,
    test_factors: np.ndarray,
    seed: int = 0,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """D, C and I from one gradient-boosted classifier per factor, fitted on ``codes``, scored on ``test_codes``;
    on ``n_jobs`` threads from PARALLEL_CODES codes on (the same numbers: each classifier is seeded and independent).
    """
    from joblib import Parallel, delayed
    from sklearn.ensemble import GradientBoostingClassifier

    d, k = codes.shape[1], factors.shape[1]

    def fit(i: int) -> tuple[np.ndarray, float]:
        if len(np.unique(factors[:, i])) < 2:  # a constant factor: predicted by anything, credits nothing
            return np.zeros(d), 1.0
        clf = GradientBoostingClassifier(random_state=seed).fit(codes, factors[:, i])
        return np.abs(clf.feature_importances_), float(np.mean(clf.predict(test_codes) == test_factors[:, i]))

    jobs = min(n_jobs, k) if len(codes) >= PARALLEL_CODES else 1  # threads pay off on large fits only
    fitted = Parallel(n_jobs=jobs, backend="threading")(delayed(fit)(i) for i in range(k))
    importance = np.stack([imp for imp, _ in fitted], 1) if k else np.zeros((d, 0))
    accuracy = np.array([acc for _, acc in fitted])
    return {
        "disentanglement": disentanglement(importance),
        "completeness": completeness(importance),
        "informativeness": float(accuracy.mean()),
        "importance": importance.tolist(),
        "completeness_per_factor": completeness_per_factor(importance).tolist(),
        "informativeness_per_factor": accuracy.tolist(),
        "num_train": len(codes),
        "num_test": len(test_codes),
    }
