"""Disentanglement against beta on sprites: vae and beta-tcvae, several seeds.

Every run: the generated sprites (32x32, 10,000 images, factors shape, scale,
rotation, x, y), an MLP (512-256), z = ``--latent-dim``, dynamic binarization, the
same epochs (the preset "beta-TCVAE on sprites"); only the objective, beta and the seed change. Printed per setting
(mean over seeds, and the range): MIG, the per-factor MIG of x and y, DCI
disentanglement, the FactorVAE score, the test reconstruction (distortion, nats)
and the training time. Locatello et al. (2019): the seed matters as much as the
objective, so read the ranges.

    .venv/bin/python -m bench.disentanglement_sweep --betas 1 8 --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics
import time


def run(objective: str, beta: float, seed: int, epochs: int, latent: int) -> dict:
    from vae.analysis.reports import model_disentanglement
    from vae.config import VAEConfig
    from vae.config.values import apply
    from vae.data import load_dataset
    from vae.training.trainer import train

    cfg = apply(
        VAEConfig(),
        {
            "dataset": "sprites",
            "arch": "mlp",
            "hidden": [512, 256],
            "latent_dim": latent,
            "binarize": "dynamic",
            "epochs": epochs,
            "objective": objective,
            "beta": beta,
            "seed": seed,
        },
    ).validate()
    ds = load_dataset(cfg.data)
    t = time.perf_counter()
    res = train(cfg, ds)
    seconds = time.perf_counter() - t
    d = model_disentanglement(res.model, ds)  # as the reports: fitted on the training split, scored on the test
    return {
        "mig": d["mig"],
        "mig_x": d["factors"]["x"]["mig"],
        "mig_y": d["factors"]["y"]["mig"],
        "dci": d["dci"]["disentanglement"],
        "fvae": d["factorvae_score"],
        "distortion": res.metrics["reconstruction"],
        "seconds": seconds,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objectives", nargs="+", default=["vae", "beta-tcvae"])
    ap.add_argument("--betas", type=float, nargs="+", default=[1.0, 4.0, 8.0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--latent-dim", type=int, default=6)
    args = ap.parse_args()
    print(
        f"sprites 32x32, MLP 512-256, z={args.latent_dim}, dynamic binarization, {args.epochs} epochs, "
        f"seeds {args.seeds}; mean [min..max] over seeds"
    )
    print(
        f"{'objective':<11} {'beta':>5} | {'MIG':^17} | {'MIG x':^17} | {'MIG y':^17} | {'DCI D':>5} | "
        f"{'FVAE':>5} | {'distortion':>10} | train"
    )
    for objective in args.objectives:
        for beta in args.betas:
            rs = [run(objective, beta, s, args.epochs, args.latent_dim) for s in args.seeds]

            def col(k, rs=rs):
                v = [r[k] for r in rs]
                return f"{statistics.mean(v):.3f} [{min(v):.2f}..{max(v):.2f}]"

            mean = lambda k, rs=rs: statistics.mean(r[k] for r in rs)
            print(
                f"{objective:<11} {beta:5g} | {col('mig')} | {col('mig_x')} | {col('mig_y')} | {mean('dci'):5.3f} | "
                f"{mean('fvae'):5.3f} | {mean('distortion'):10.2f} | {mean('seconds'):4.0f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
