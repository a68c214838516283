"""Reading a model's gradient flow from its history (recorded by vae/training/gradient_flow.py).

    ratio = median over the recorded steps of grad_norm(first layer) / grad_norm(last layer)
    start ratio = the same at the first recorded step (the initialisation's doing, before training changed it)

The first layer is the encoder's first (the far end of the backward pass from the loss), the last the decoder's
output layer (its near end). A vanishing gradient shows as a ratio far below 1: the chapter's lesson pairs a deep
tanh network with the initialisation that suits it (Xavier) and with one that does not. VANISHING is the ratio
below which the page says the gradient vanishes. The dead share of an activation is its mean over the last
quarter of the records (where a dying ReLU network has ended up).
"""

from __future__ import annotations

import statistics
from typing import Any

from vae.config.records import FLOW_KEYS

VANISHING = 0.1  # a first-layer gradient norm 10x smaller than the last layer's


def flow_series(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The whole run's records joined: {"step", "epoch" (fractional, placed between the records' epochs by their
    steps), "grad_norm", "act_mean", "act_std", "dead"} (rows per recorded step), or None for a history without
    any."""
    out: dict[str, list] = {k: [] for k in (*FLOW_KEYS, "epoch")}
    prev_step, prev_epoch = 0, 0.0
    for h in history:
        flow = h.get("gradient_flow")
        if flow:
            span = max(1, h["step"] - prev_step)
            for i, s in enumerate(flow["step"]):
                out["epoch"].append(prev_epoch + (s - prev_step) / span * (h["epoch"] - prev_epoch))
                for k in FLOW_KEYS:
                    out[k].append(flow[k][i])
        prev_step, prev_epoch = h["step"], h["epoch"]
    return out if out["step"] else None


def flow_summary(series: dict[str, Any]) -> dict[str, Any]:
    """{"ratio", "start_ratio" (module docstring), "first", "last" (median gradient norms), "dead" (per activation,
    over the last quarter), "most_dead", "vanishing" (the median ratio below VANISHING)} of a :func:`flow_series`."""
    grads = series["grad_norm"]
    first = [g[0] for g in grads if g]
    last = [g[-1] for g in grads if g]
    ratios = [f / la for f, la in zip(first, last) if la > 0]
    tail = series["dead"][-max(1, len(series["dead"]) // 4) :]
    dead = [statistics.fmean(col) for col in zip(*tail)] if tail and tail[0] else []
    ratio = statistics.median(ratios) if ratios else float("nan")
    return {
        "ratio": ratio,
        "start_ratio": ratios[0] if ratios else float("nan"),
        "first": statistics.median(first) if first else float("nan"),
        "last": statistics.median(last) if last else float("nan"),
        "dead": dead,
        "most_dead": max(dead, default=0.0),
        "vanishing": ratio < VANISHING,
    }
