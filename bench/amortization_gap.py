"""The amortization gap shrinks as the encoder grows (Cremer, Li & Duvenaud 2018), measured on mnist5k.

Same data (mnist5k, dynamic binarization), z = 16, the same decoder (MLP 400), 10 epochs,
the same seeds; only the encoder changes, from one narrow layer to two wide ones. For
each run, on the first ``--examples`` test images (vae.analysis.inference.inference_gaps):

    log p(x)       IWAE bound, k = 1000, with q* as the proposal
    ELBO(q*)       a Gaussian optimised per example (300 Adam steps from each of 4 starts)
    ELBO(q)        the encoder's
    approximation  log p(x) - ELBO(q*)      (the Gaussian family's share)
    amortization   ELBO(q*) - ELBO(q)       (the encoder's share)

Seeds are averaged. The reference is the pytorch/examples encoder (one layer of 400).

    .venv/bin/python -m bench.amortization_gap --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics
import time

ENCODERS = {"16": [16], "64": [64], "400 (reference)": [400], "1024": [1024], "400-400": [400, 400]}
BASE = {"dataset": "mnist5k", "arch": "mlp", "decoder_hidden": [400], "latent_dim": 16, "binarize": "dynamic"}


def run(hidden: list[int], seed: int, epochs: int, examples: int) -> dict:
    from vae.analysis.evaluation import test_inputs
    from vae.analysis.inference import inference_gaps
    from vae.config import VAEConfig
    from vae.config.values import apply
    from vae.data import load_dataset
    from vae.training.trainer import train

    cfg = apply(VAEConfig(), {**BASE, "hidden": hidden, "epochs": epochs, "seed": seed}).validate()
    ds = load_dataset(cfg.data)
    t = time.perf_counter()
    res = train(cfg, ds)
    seconds = time.perf_counter() - t
    x = test_inputs(ds.x_test, cfg, "cpu")
    return {**inference_gaps(res.model, x, n=examples, seed=seed), "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--examples", type=int, default=100)
    args = ap.parse_args()
    import torch

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; mnist5k, z 16, decoder MLP 400, "
        f"{args.epochs} epochs, seeds {args.seeds}, gaps on {args.examples} test images (nats)"
    )
    print(
        f"{'encoder':<16} {'log p(x)':>9} {'ELBO(q*)':>9} {'ELBO(q)':>9} {'approx.':>8} {'amort.':>8} "
        f"{'amort. / ref':>12} {'train s':>8}"
    )
    rows = {name: [run(h, s, args.epochs, args.examples) for s in args.seeds] for name, h in ENCODERS.items()}
    mean = {
        name: {k: statistics.mean(r[k] for r in rs) for k in rs[0] if k not in ("estimated_by", "num")}
        for name, rs in rows.items()
    }
    ref = mean["400 (reference)"]["amortization_gap"]
    for name, m in mean.items():
        print(
            f"{name:<16} {m['log_px']:9.2f} {m['elbo_optimized']:9.2f} {m['elbo_amortized']:9.2f} "
            f"{m['approximation_gap']:8.2f} {m['amortization_gap']:8.2f} {m['amortization_gap'] / ref:12.2f} "
            f"{m['seconds']:8.1f}"
        )


if __name__ == "__main__":
    main()
