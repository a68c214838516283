"""Attention for images: the CNN on MNIST (mnist5k, 32-64 channels, z = 16, 15 epochs) without and with a 4-head
self-attention block over the 7 x 7 map of its encoder and of its decoder (vae/models/attention.py).

The image-attention lesson of the Samples page (vae.config.shipped LESSONS["image attention"]), each run trained
from its shipped command with each seed. Printed: test -ELBO, IWAE -log p(x) (k = 100), rate, distortion, active
units, seconds to train, and for each block (vae.analysis.explore.attention_reach over 256 test images) the weight
beyond a cell's 3 x 3 neighbours and the cells a head looks at, against uniform weights, in the same run.

    .venv/bin/python -m bench.image_attention --seeds 1 2
"""

from __future__ import annotations

import torch

from bench.runs import elbo_numbers, lesson_arguments, lesson_run, seed_means

IMAGES = 256  # test images over which the blocks' reach is averaged


def run(role: str, seed: int, epochs: int | None) -> dict:
    """One run of the lesson's role: its ELBO numbers, and its blocks' reach (0 for the plain CNN)."""
    from vae.analysis.evaluation import evaluate_full, test_inputs
    from vae.analysis.explore import attention_reach

    cfg, ds, res, seconds = lesson_run("image attention", role, seed, epochs)
    x = test_inputs(ds.x_test, cfg, "cpu")
    m = evaluate_full(res.model, x, iwae_k=100, seed=seed)
    reach = attention_reach(res.model, x[:IMAGES]) if cfg.encoder.attention or cfg.decoder.attention else {}
    out = elbo_numbers(m, seconds)
    for w in ("encoder", "decoder"):
        r = reach.get(w, {"beyond": 0.0, "cells": 0.0, "of": 0})
        out |= {f"{w}_beyond": r["beyond"], f"{w}_cells": r["cells"], f"{w}_of": r["of"]}
    return out


def main(argv=None) -> dict:
    from vae.analysis.explore import uniform_beyond
    from vae.config.shipped import LESSONS

    args = lesson_arguments(__doc__, argv)
    roles = LESSONS["image attention"]
    print(f"mnist5k, the CNN, z = 16, seeds {args.seeds}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    rows = {}
    for role, r in roles.items():
        rows[role] = row = seed_means(run, role, args)
        blocks = "".join(
            f"  {w}: beyond {row[f'{w}_beyond']:.2f}, cells {row[f'{w}_cells']:4.1f}/{row[f'{w}_of']:.0f}"
            for w in ("encoder", "decoder")
            if row[f"{w}_of"]
        )
        print(
            f"  {r.model:<26} -ELBO {row['elbo']:7.2f}  IWAE -log p(x) {row['nll']:7.2f}  rate {row['rate']:5.2f}  "
            f"distortion {row['distortion']:6.2f}  active {row['au']:4.1f}/16  train {row['seconds']:4.0f} s{blocks}",
            flush=True,
        )
    cnn, att = rows["cnn"], rows["attention"]
    grid = int(round(att["encoder_of"] ** 0.5))
    print(
        f"attention vs the plain CNN: -log p(x) {att['nll'] - cnn['nll']:+.2f} nats, "
        f"-ELBO {att['elbo'] - cnn['elbo']:+.2f}, "
        f"rate {att['rate']:.2f} vs {cnn['rate']:.2f}, training {att['seconds'] / max(cnn['seconds'], 1e-9):.2f}x; "
        f"uniform weights: beyond {uniform_beyond((grid, grid)):.2f}, cells {grid * grid}"
    )
    return rows


if __name__ == "__main__":
    main()
