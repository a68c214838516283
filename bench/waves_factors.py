"""Disentanglement on series: the waves presets scored against their four known factors.

The same 1-D convolutional encoder and transposed-convolution decoder (32-64 channels), z = 6,
20 epochs, the same seeds; only beta changes (the presets of the same names):

  waves: 1-D conv VAE   beta = 1
  waves: beta-VAE       beta = 4: a stronger pull towards the factorised prior

Printed per run (averaged over the seeds): MIG, SAP, DCI disentanglement, the FactorVAE score,
rate (KL), distortion, active units and seconds to train; then the beta-VAE's MIG as a ratio of
the VAE's (the reference in the same run: these machines are noisy, ratios are what carries over).

    .venv/bin/python -m bench.waves_factors --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics

from bench.runs import train_timed

RUNS = ("waves: 1-D conv VAE", "waves: beta-VAE")


def run(preset: str, seed: int, epochs: int | None = None) -> dict:
    from vae.analysis.evaluation import evaluate_full
    from vae.analysis.reports import model_disentanglement
    from vae.config.presets import PRESETS

    _, ds, res, seconds = train_timed({**PRESETS[preset], "seed": seed, **({"epochs": epochs} if epochs else {})})
    m = evaluate_full(res.model, ds.x_test, iwae_k=1, seed=seed)
    s = model_disentanglement(res.model, ds)
    return {
        "mig": s["mig"],
        "sap": s["sap"],
        "dci": s["dci"]["disentanglement"],
        "factorvae": s["factorvae_score"],
        "rate": m["kl"],
        "distortion": m["reconstruction"],
        "au": m["active_units"],
        "seconds": seconds,
    }


def main(argv=None) -> dict[str, dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, help="override the presets' 20 epochs (a quick look)")
    args = ap.parse_args(argv)
    mean = {}
    print(
        f"{'run':22s} {'MIG':>5s} {'SAP':>5s} {'DCI':>5s} {'FVAE':>5s} {'rate':>6s} {'distort':>8s} "
        f"{'AU':>4s} {'s':>6s}"
    )
    for name in RUNS:
        results = [run(name, s, args.epochs) for s in args.seeds]
        mean[name] = {k: statistics.mean(r[k] for r in results) for k in results[0]}
        r = mean[name]
        print(
            f"{name:22s} {r['mig']:5.2f} {r['sap']:5.2f} {r['dci']:5.2f} {r['factorvae']:5.2f} {r['rate']:6.2f} "
            f"{r['distortion']:8.2f} {r['au']:4.1f} {r['seconds']:6.1f}"
        )
    vae, beta = (mean[n] for n in RUNS)
    ratio = beta["mig"] / vae["mig"] if vae["mig"] > 0 else float("nan")
    print(f"  beta-VAE MIG / VAE MIG: {ratio:.2f}x")
    return mean


if __name__ == "__main__":
    main()
