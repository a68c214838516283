"""t-SNE of 5,000 posterior means: our projection path against scikit-learn's default.

Trains (or loads, with --checkpoint) the pytorch/examples MLP VAE on mnist5k, encodes
all 5,000 images, then alternates, ``--repeats`` times:

  ours     vae.analysis.projections.embed(codes, "tsne")  (openTSNE, exact kNN, short schedule)
  sklearn  sklearn.manifold.TSNE(random_state=...) with default settings

Prints median seconds, the speed ratio, and the trustworthiness
(sklearn.manifold.trustworthiness, 10 neighbours) of each. Also times building a
16-dimension x 21-step traversal figure.
Run: ``.venv/bin/python -m bench.projection_speed [--repeats 2]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--checkpoint")
    args = ap.parse_args(argv)

    from sklearn.manifold import TSNE, trustworthiness

    from vae.analysis.explore import posterior, traversal
    from vae.analysis.projections import embed
    from vae.config import VAEConfig
    from vae.data.embedded import load_mnist5k
    from vae.figures.plots import traversal_figure

    ds = load_mnist5k()
    if args.checkpoint:
        from vae.models.checkpoints import load_checkpoint

        model = load_checkpoint(args.checkpoint).model
    else:
        from vae.training.trainer import train

        cfg = VAEConfig()
        cfg.train.device = "cpu"
        model = train(cfg, ds).model
    codes = posterior(model, torch.cat([ds.x_train, ds.x_test]))[0].astype(np.float64)
    print(f"{len(codes)} posterior means of dimension {codes.shape[1]}, {args.repeats} alternating repeats")
    runs = {
        "ours": lambda s: embed(codes, "tsne", seed=s),
        "sklearn": lambda s: TSNE(random_state=s).fit_transform(codes),
    }
    times, trust = {k: [] for k in runs}, {k: [] for k in runs}
    for r in range(args.repeats):
        for name in list(runs) if r % 2 == 0 else list(runs)[::-1]:
            t = time.perf_counter()
            e = runs[name](r)
            times[name].append(time.perf_counter() - t)
            trust[name].append(trustworthiness(codes, e, n_neighbors=10))
    med = {k: statistics.median(v) for k, v in times.items()}
    for k in runs:
        print(f"  {k:<8} {med[k]:7.2f} s   trustworthiness {statistics.mean(trust[k]):.4f}")
    ratio = med["sklearn"] / med["ours"]
    dtrust = statistics.mean(trust["ours"]) - statistics.mean(trust["sklearn"])
    print(f"  speed ours / sklearn default: {ratio:.2f}x, trustworthiness difference {dtrust:+.4f}")

    model16 = model if model.latent_dim >= 16 else None
    if model16 is not None:
        t = time.perf_counter()
        fig = traversal_figure(traversal(model16, span=3.0, steps=21, max_dims=16))
        payload = len(fig.to_json())
        print(f"  traversal figure 16 dims x 21 steps: {time.perf_counter() - t:.3f} s, {payload / 1e6:.2f} MB JSON")
    return {"ratio": ratio, "trust_diff": dtrust}


if __name__ == "__main__":
    main()
