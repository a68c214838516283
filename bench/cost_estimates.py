"""The server's cost estimate against a real training of the same configuration, same run.

For each configuration: :func:`vae.service.cost.server_estimate` (FLOPs and values written, counted
on the meta device; the server's reference models timed once) beside the measured seconds of one
epoch of :func:`vae.training.trainer.train` on mnist5k's 4,000 training images (test pass
included), at the threads a web training gets. Prints both, their ratio (aim: 0.67 to 1.5) and the
estimated memory at the peak of a step. beta-TCVAE's (B, B, D) pairwise block is the case the FLOP
count alone missed (50x under for batch 1000, z 64).
Run: ``.venv/bin/python -m bench.cost_estimates``
"""

from __future__ import annotations

import argparse
import time

from vae.config import VAEConfig
from vae.config.values import apply
from vae.data.embedded import load_mnist5k
from vae.service.cost import fmt_bytes, server_estimate, torch_threads
from vae.service.worker import train_threads
from vae.training.trainer import train

CONFIGS = {
    "mlp (defaults)": {},
    "cnn": {"arch": "cnn"},
    "beta-tcvae z10 batch 128": {"objective": "beta-tcvae", "latent_dim": 10},
    "beta-tcvae z64 batch 1000": {"objective": "beta-tcvae", "latent_dim": 64, "batch_size": 1000},
    "factorvae z10": {"objective": "factorvae", "latent_dim": 10},
}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args(argv)
    ds = load_mnist5k()
    out = {}
    with torch_threads(train_threads()):
        print(f"{'configuration':28} {'estimate':>9} {'measured':>9} {'ratio':>6}  peak memory")
        for name, knobs in CONFIGS.items():
            cfg = apply(VAEConfig(), {"epochs": args.epochs, **knobs}).validate()
            est = server_estimate(cfg, ds.modality, len(ds.x_train), len(ds.x_test))
            t = time.perf_counter()
            train(cfg, ds)
            measured = time.perf_counter() - t
            ratio = est.total_seconds / measured
            out[name] = ratio
            print(f"{name:28} {est.total_seconds:8.2f}s {measured:8.2f}s {ratio:6.2f}  {fmt_bytes(est.peak_bytes)}")
    return out


if __name__ == "__main__":
    main()
