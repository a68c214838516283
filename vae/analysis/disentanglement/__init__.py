"""Disentanglement scores for data with known generative factors (``sprites``, ``waves``, dSprites).

One metric a module, each the variant google-research/disentanglement_lib computes with the
settings of its ``unsupervised_study_v1`` configs (:mod:`.mig`, :mod:`.sap`, :mod:`.dci`,
:mod:`.factor_vae`). All lie in [0, 1]; 1 means every factor lives in exactly one latent.

disentanglement_lib draws fresh points from a simulator: 10,000 to fit (MIG's histograms, SAP's
SVMs, DCI's trees) and 5,000 to test. On a data set the codes are the posterior means of its
examples: the training split (at most NUM_TRAIN examples) to fit, the test split (at most NUM_TEST)
to test; MIG and the FactorVAE score, which fit nothing, use both. Each result says how many
codes it used (``num``, ``num_train``, ``num_test``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vae.analysis.disentanglement.dci import dci
from vae.analysis.disentanglement.factor_vae import factorvae_score
from vae.analysis.disentanglement.mig import mig, mutual_info_matrix
from vae.analysis.disentanglement.sap import sap

__all__ = ["dci", "disentanglement_scores", "factorvae_score", "mig", "mutual_info_matrix", "sap", "split_codes"]

NUM_TRAIN = 10_000
NUM_TEST = 5_000
TEST_FRACTION = 1 / 3  # of the codes held out when no test codes are given (5,000 of 15,000)


def split_codes(codes: np.ndarray, factors: np.ndarray, seed: int = 0):
    """A random split of one set of codes into (train codes, train factors, test codes, test factors)."""
    perm = np.random.RandomState(seed).permutation(len(codes))
    n_test = max(1, int(round(len(codes) * TEST_FRACTION)))
    te, tr = perm[:n_test], perm[n_test:]
    return codes[tr], factors[tr], codes[te], factors[te]


def disentanglement_scores(
    codes: np.ndarray,
    factors: np.ndarray,
    factor_names: list[str],
    test_codes: np.ndarray | None = None,
    test_factors: np.ndarray | None = None,
    seed: int = 0,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """MIG, SAP, DCI and the FactorVAE score, with per-factor results keyed by factor name.

    ``codes`` and ``factors`` fit the classifiers and ``test_codes``, ``test_factors`` score them; without
    test codes a third of ``codes``, drawn at random, is held out. DCI's classifiers use ``n_jobs`` threads.
    """
    codes, factors = np.asarray(codes, dtype=np.float64), np.asarray(factors)
    if test_codes is None:
        codes, factors, test_codes, test_factors = split_codes(codes, factors, seed)
    test_codes, test_factors = np.asarray(test_codes, dtype=np.float64), np.asarray(test_factors)
    every, every_factor = np.concatenate([codes, test_codes]), np.concatenate([factors, test_factors])
    m, f = mig(every, every_factor), factorvae_score(every, every_factor, seed=seed)
    s, d = sap(codes, factors, test_codes, test_factors), dci(codes, factors, test_codes, test_factors, seed, n_jobs)
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
        "factorvae_active": f["active"],
        "num": {"train": len(codes), "test": len(test_codes)},
    }
