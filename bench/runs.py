"""What the lesson benches share: train a configuration of knob values, timed, and read off its ELBO terms."""

from __future__ import annotations

import time
from typing import Any


def train_timed(values: dict[str, Any]):
    """Train the configuration that the knob ``values`` describe on its dataset: (config, dataset, the
    training result, seconds spent training)."""
    from vae.config import VAEConfig
    from vae.config.values import apply
    from vae.data import load_dataset
    from vae.training.trainer import train

    cfg = apply(VAEConfig(), values).validate()
    ds = load_dataset(cfg.data)
    t = time.perf_counter()
    res = train(cfg, ds)
    return cfg, ds, res, time.perf_counter() - t


def shipped_values(model) -> dict[str, Any]:
    """The knob values of a shipped model's declared command (vae.config.shipped), to train it again."""
    from vae.cli.train import shipped_config
    from vae.config.values import values_of

    return values_of(shipped_config(model))


def mean_rows(rows: list[dict]) -> dict[str, float]:
    """The mean of each numeric column over the rows (one per seed); a missing number counts as 0, flags and
    names are left out."""
    import statistics

    return {
        k: statistics.mean(float(r[k] or 0) for r in rows) for k, v in rows[0].items() if not isinstance(v, (bool, str))
    }


def elbo_numbers(m: dict[str, Any], seconds: float) -> dict[str, float]:
    """A run's row from ``vae.analysis.evaluation.evaluate_full``'s numbers: -ELBO, IWAE -log p(x), rate,
    distortion, active units, and its training seconds."""
    return {
        "elbo": m["elbo"],
        "nll": m["iwae_nll"],
        "rate": m["kl"],
        "distortion": m["reconstruction"],
        "au": m["active_units"],
        "seconds": seconds,
    }
