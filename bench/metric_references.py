"""The stored reports of the shipped models against the reference procedures, on fresh data.

disentanglement_lib computes its metrics on fresh draws from a simulator: 10,000 points to fit and
5,000 to test, the FactorVAE votes on batches of 64 rendered with one factor held fixed. Sprites
have a simulator (``vae.data.sprites.render_sprites``), so this bench follows that procedure to the
letter, with disentanglement_lib's own formulas written out again here (``scipy.stats.entropy``,
``GradientBoostingClassifier``, its vote tables), and compares with what the report of each shipped
sprites model stores (the same metrics on the data set's own splits, :mod:`vae.analysis.disentanglement`):

    DCI disentanglement   within 0.05 of the reference's
    FactorVAE score       within 0.02 of the reference's (pruning at 0.05, 10,000 / 5,000 votes)

and, for the KL decomposition, the report's total correlation (q(z) of all 10,000 sprites, averaged
over 2,000 codes) against the average over all 10,000 codes (within 0.15 nats). Seeds 1 and 2 draw
the fresh data, the trees and the votes. The reference column is the mean over the seeds; "diff"
is report - reference.

    .venv/bin/python -m bench.metric_references --seeds 1 2
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("sprites-mlp-z6-vae", "sprites-mlp-z6-beta-tcvae", "sprites-cnn-z10-beta4")


def _entropy_columns(p: np.ndarray, base: int) -> np.ndarray:
    import scipy.stats

    return scipy.stats.entropy(p, base=base)


def reference_dci(mus_train, ys_train, mus_test, ys_test, seed: int) -> dict:
    """disentanglement_lib's dci.compute_importance_gbt, disentanglement and completeness (arrays as it takes
    them: codes and factors of shape (n, dims))."""
    from sklearn.ensemble import GradientBoostingClassifier

    importance = np.zeros((mus_train.shape[1], ys_train.shape[1]))
    acc = []
    for i in range(ys_train.shape[1]):
        model = GradientBoostingClassifier(random_state=seed).fit(mus_train, ys_train[:, i])
        importance[:, i] = np.abs(model.feature_importances_)
        acc.append(np.mean(model.predict(mus_test) == ys_test[:, i]))
    per_code = 1.0 - _entropy_columns(importance.T + 1e-11, importance.shape[1])
    per_factor = 1.0 - _entropy_columns(importance + 1e-11, importance.shape[0])
    code_w = importance.sum(1) / importance.sum()
    factor_w = importance.sum(0) / importance.sum()
    return {
        "disentanglement": float(np.sum(per_code * code_w)),
        "completeness": float(np.sum(per_factor * factor_w)),
        "informativeness": float(np.mean(acc)),
    }


def reference_factorvae(represent, sizes, rng, batch=64, num_train=10_000, num_eval=5_000, num_var=10_000) -> float:
    """disentanglement_lib's factor_vae.compute_factor_vae with a simulator: ``represent(factors)`` renders and
    encodes factor indices; ``sizes`` are the factors' numbers of values."""

    def sample(n):
        return np.stack([rng.randint(0, k, size=n) for k in sizes], 1)

    global_var = np.var(represent(sample(num_var)), axis=0, ddof=1)
    active = np.sqrt(global_var) >= 0.05
    if not active.any():
        return 0.0

    def votes(n):
        table = np.zeros((len(sizes), global_var.shape[0]), dtype=np.int64)
        for s in range(0, n, 100):  # 100 votes' batches rendered together
            m = min(100, n - s)
            ks = rng.randint(len(sizes), size=m)
            f = sample(m * batch).reshape(m, batch, len(sizes))
            for v, k in enumerate(ks):
                f[v, :, k] = f[v, 0, k]
            reps = represent(f.reshape(m * batch, -1)).reshape(m, batch, -1)
            for v, k in enumerate(ks):
                local = np.var(reps[v], axis=0, ddof=1)
                table[k, np.argmin(local[active] / global_var[active])] += 1
        return table

    train = votes(num_train)
    classifier = np.argmax(train, axis=0)
    other = np.arange(train.shape[1])
    ev = votes(num_eval)
    return float(np.sum(ev[classifier, other]) / np.sum(ev))


def compare(name: str, seeds: list[int], fit: int, test: int, votes: tuple[int, int]) -> dict:
    import torch

    from vae.analysis.evaluation import aggregate_inputs, aggregate_posterior_terms
    from vae.analysis.explore import posterior
    from vae.analysis.reports import stored_reports
    from vae.data import load_dataset
    from vae.data.sprites import SPRITE_FACTORS, render_sprites
    from vae.models.checkpoints import load_checkpoint

    ck = load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors")
    rep = stored_reports(ck.extra)
    sizes = list(SPRITE_FACTORS.values())
    # the simulator renders each combination of factor values the same way every time, and the posterior mean is
    # deterministic: every combination is rendered and encoded once, and a draw looks its code up
    every = np.stack(np.meshgrid(*[np.arange(k) for k in sizes], indexing="ij"), -1).reshape(-1, len(sizes))
    table = np.concatenate(
        [
            posterior(ck.model, torch.from_numpy(render_sprites(every[s : s + 2000], ck.config.data.size)))[0]
            for s in range(0, len(every), 2000)
        ]
    )

    def represent(f):
        return table[np.ravel_multi_index(tuple(f.T), sizes)]

    ref_d, ref_f = [], []
    t = time.perf_counter()
    for seed in seeds:
        rng = np.random.RandomState(seed)
        f_train = np.stack([rng.randint(0, k, size=fit) for k in sizes], 1)
        f_test = np.stack([rng.randint(0, k, size=test) for k in sizes], 1)
        ref_d.append(reference_dci(represent(f_train), f_train, represent(f_test), f_test, seed)["disentanglement"])
        ref_f.append(reference_factorvae(represent, sizes, rng, num_train=votes[0], num_eval=votes[1]))
    x = aggregate_inputs(load_dataset(ck.config.data), ck.config, "cpu")
    g = torch.Generator().manual_seed(seeds[0])
    every = aggregate_posterior_terms(ck.model, x, generator=g, outer=len(x))["decomposition"]
    return {
        "dci": (rep["disentanglement"]["dci"]["disentanglement"], float(np.mean(ref_d)), np.ptp(ref_d)),
        "factorvae": (rep["disentanglement"]["factorvae_score"], float(np.mean(ref_f)), np.ptp(ref_f)),
        "tc": (rep["collapse"]["kl_decomposition"]["total_correlation"], every["total_correlation"], 0.0),
        "n": len(x),
        "seconds": time.perf_counter() - t,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--fit", type=int, default=10_000, help="fresh points the reference's trees fit")
    ap.add_argument("--test", type=int, default=5_000)
    ap.add_argument("--votes", type=int, nargs=2, default=[10_000, 5_000], help="training and evaluation votes")
    args = ap.parse_args()
    limits = {"dci": 0.05, "factorvae": 0.02, "tc": 0.15}
    print(f"seeds {args.seeds}; reference: {args.fit} / {args.test} fresh sprites, {args.votes} votes")
    print(f"{'model':<28} {'metric':<10} {'report':>8} {'reference':>10} {'seed spread':>12} {'diff':>7} {'limit':>6}")
    for name in args.models:
        r = compare(name, args.seeds, args.fit, args.test, tuple(args.votes))
        for key, (ours, ref, spread) in ((k, r[k]) for k in limits):
            label = "TC (all)" if key == "tc" else key
            print(
                f"{name:<28} {label:<10} {ours:8.3f} {ref:10.3f} {spread:12.3f} {ours - ref:+7.3f} "
                f"{limits[key]:6.2f}{'' if abs(ours - ref) <= limits[key] else '  over'}"
            )
        print(f"{'':<28} ({r['seconds']:.0f} s; TC reference: all {r['n']} sprites' codes)")


if __name__ == "__main__":
    main()
