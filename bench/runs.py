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


def lesson_arguments(doc: str, argv=None):
    """The options of a lesson bench: ``--seeds`` (1 and 2 by default) and ``--epochs`` (every run's, a quick
    look); its docstring as the help."""
    import argparse

    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, help="override every run's epochs (a quick look)")
    return ap.parse_args(argv)


def lesson_run(lesson: str, role: str, seed: int, epochs: int | None):
    """Train a lesson role's shipped command again with ``seed`` (and ``epochs`` when given), timed: what
    :func:`train_timed` returns."""
    from vae.config.shipped import LESSONS

    values = {**shipped_values(LESSONS[lesson][role].shipped), "seed": seed}
    return train_timed({**values, **({"epochs": epochs} if epochs else {})})


def seed_means(run, role: str, args) -> dict[str, float]:
    """``run(role, seed, epochs)`` for each of ``args.seeds``, and the mean of each of its numbers."""
    import statistics

    runs = [run(role, s, args.epochs) for s in args.seeds]
    return {k: statistics.mean(n[k] for n in runs) for k in runs[0]}
