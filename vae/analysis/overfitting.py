"""Capacity and overfitting, read from a model's stored history: where its test -ELBO was best, how far it rose
after, and the generalisation gap between the training and test -ELBO.

    best epoch  e* = argmin_e test_elbo(e)            rise = test_elbo(last) - test_elbo(e*)
    gap         = test_elbo(last) - train_elbo(last)  (the training -ELBO is summed over the epoch's steps)

A model *overfits* when its test -ELBO rose by more than ``RISE`` nats after its best epoch: the network has
learnt its training examples rather than the data (the chapter's capacity and overfitting). With early
stopping the model keeps the epoch with the best held-out -ELBO (``kept_epoch`` in its metrics); ``kept_test`` is
the test -ELBO of the model a run returns (that epoch's, else the last).

A remedy run (the same run with weight decay, dropout or early stopping) *recovers* the share

    recovered = (kept_test(overfitted) - kept_test(remedy)) / rise(overfitted)

of the overfitted run's rise: 1 brings it back to its best epoch, 0 changes nothing, above 1 beats it.

Dropout is noise as well as a regulariser (:func:`noise_spread`): the standard deviation of one batch's -ELBO over
dropout masks with the posterior noise fixed, beside its standard deviation over posterior draws z ~ q(z|x) with
dropout off, the VAE's own noise (nats per example, NOISE_DRAWS of each).
"""

from __future__ import annotations

import copy
import math
import statistics
from typing import Any

import torch
from torch import nn

RISE = 0.5  # nats: a test -ELBO this far above its best counts as overfitting
NOISE_DRAWS = 20
NOISE_BATCH = 128


def overfitting(history: list[dict[str, Any]], metrics: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """{"best_epoch", "best_test", "last_test", "rise", "gap", "overfits", "kept_epoch", "kept_test"} from a
    history (None for an empty one or one without finite test numbers)."""
    points = [(h["epoch"], h["test_elbo"], h["train_elbo"]) for h in history if math.isfinite(h["test_elbo"])]
    if not points:
        return None
    best = min(points, key=lambda p: p[1])
    last = points[-1]
    rise = last[1] - best[1]
    kept = (metrics or {}).get("kept_epoch")
    return {
        "best_epoch": best[0],
        "best_test": best[1],
        "last_test": last[1],
        "rise": rise,
        "gap": last[1] - last[2],
        "overfits": rise > RISE,
        "kept_epoch": kept,
        "kept_test": next((p[1] for p in points if p[0] == kept), last[1]),
    }


def recovered(overfitted: dict[str, Any], remedy: dict[str, Any]) -> float | None:
    """The share of ``overfitted``'s rise that ``remedy`` wins back (the module's docstring); both are
    :func:`overfitting` results. None where the first did not rise."""
    if overfitted["rise"] <= 0:
        return None
    return (overfitted["kept_test"] - remedy["kept_test"]) / overfitted["rise"]


def has_dropout(model: nn.Module) -> bool:
    return any(isinstance(m, nn.Dropout) and m.p > 0 for m in model.modules())


@torch.no_grad()
def noise_spread(model: nn.Module, x: torch.Tensor, draws: int = NOISE_DRAWS, seed: int = 0) -> dict[str, float]:
    """{"dropout", "posterior"}: the sd of the -ELBO of the batch ``x[:NOISE_BATCH]`` over ``draws`` dropout masks
    (the posterior noise fixed) and over as many posterior draws (dropout off), nats per example (the module's
    docstring). On a copy of the model, with only its dropout layers switched on; the global RNG is restored."""
    twin = copy.deepcopy(model).eval()
    dropouts = [m for m in twin.modules() if isinstance(m, nn.Dropout)]
    xb = x[:NOISE_BATCH]
    device = next(twin.parameters()).device

    def elbo(masks: bool, noise_seed: int, mask_seed: int) -> float:
        for m in dropouts:
            m.train(masks)
        with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
            torch.manual_seed(mask_seed)
            out = twin(xb, torch.Generator(device=device).manual_seed(noise_seed))
        return float((out.rec + out.kl).mean())

    over_masks = [elbo(True, seed, seed + k) for k in range(draws)]
    over_draws = [elbo(False, seed + k, seed) for k in range(draws)]
    return {"dropout": statistics.pstdev(over_masks), "posterior": statistics.pstdev(over_draws)}
