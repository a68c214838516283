"""The FactorVAE score (Kim & Mnih 2018), as disentanglement_lib computes it, on a data set.

The codes are divided by their standard deviation over the data (``ddof=1``); latents whose
standard deviation is under PRUNE_SD = 0.05 (collapsed to the prior: their mean does not move)
are pruned. One vote: pick a factor k at random and the value of k of a random example, draw
``batch`` = 64 examples that share it (the other factors as they come in the data: a simulator
would draw them from the prior), and take the latent of least variance among the kept ones. A
majority-vote classifier maps each latent to the factor that voted for it most on ``train``
votes; the score is its accuracy on ``test`` fresh votes (1: every factor has its own latent;
chance is 1/K).

disentanglement_lib (``unsupervised_study_v1``) takes 10,000 training and 5,000 evaluation
votes; the evaluation accuracy is then a mean of 5,000 Bernoulli draws (sd about 0.007), so
here 10,000 of each: two seeds agree to about 0.01.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PRUNE_SD = 0.05
BATCH = 64
VOTES = 10_000


def factorvae_score(
    codes: np.ndarray,
    factors: np.ndarray,
    batch: int = BATCH,
    train: int = VOTES,
    test: int = VOTES,
    prune_sd: float = PRUNE_SD,
    seed: int = 0,
) -> dict[str, Any]:
    """{"factorvae_score": test accuracy, "train_accuracy", "chance", "active" latents, "votes" (latents, factors)}."""
    rng = np.random.RandomState(seed)
    k_factors = factors.shape[1]
    sd = codes.std(0, ddof=1) if len(codes) > 1 else np.zeros(codes.shape[1])
    active = sd >= prune_sd
    out = {"chance": 1.0 / k_factors, "active": np.flatnonzero(active).tolist(), "num": len(codes)}
    if not active.any():
        none = np.zeros((codes.shape[1], k_factors), dtype=np.int64).tolist()
        return {**out, "factorvae_score": 0.0, "train_accuracy": 0.0, "votes": none}
    z = codes[:, active] / sd[active]
    dims = np.flatnonzero(active)
    pools = {}  # (factor, value) -> the examples that have it

    def votes(n: int) -> np.ndarray:
        table = np.zeros((codes.shape[1], k_factors), dtype=np.int64)
        for _ in range(n):
            k = rng.randint(k_factors)
            value = factors[rng.randint(len(factors)), k]
            pool = pools.setdefault((k, value), np.flatnonzero(factors[:, k] == value))
            idx = rng.choice(pool, size=batch, replace=len(pool) < batch)
            table[dims[np.argmin(z[idx].var(0, ddof=1))], k] += 1
        return table

    trained = votes(train)
    classify = trained.argmax(1)  # latent -> the factor it stands for
    rows = np.arange(codes.shape[1])
    tested = votes(test)
    return {
        **out,
        "factorvae_score": float(tested[rows, classify].sum() / max(1, tested.sum())),
        "train_accuracy": float(trained[rows, classify].sum() / max(1, trained.sum())),
        "votes": trained.tolist(),
    }
