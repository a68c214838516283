"""The lessons on how the networks train, measured: each trained from its declared command (vae.config.shipped) or
from the same run with one knob changed, each seed, then averaged.

  batch norm     the CNN on MNIST with no normalization, batch norm and layer norm: test picture 0's -ELBO spread
                 over its batches in training and in evaluation mode (vae.analysis.batch_coupling), the test
                 split's training-mode minus evaluation-mode -ELBO; aims: at least 1 nat with batch norm in
                 training mode, under 1e-4 in evaluation mode and with layer norm
  learning rate  the same CNN at learning rates 1e-3 .. 3e-2 for none / batch / layer norm (LR_EPOCHS epochs): the
                 final test -ELBO, or "diverged at step N"
  gradient flow  the 8-layer MLPs (tanh with Xavier and with PyTorch's default initialisation; ReLU, LeakyReLU,
                 ELU with He's) and a ResNet with and without its skips: the first / last layer gradient ratio at
                 the first step and over the run, the largest dead share, the -ELBO; aim: the poor pairing 10x
                 smaller at the first layer (or clearly worse), the good not
  regularisation the overfitting lesson's MLP of 512 units on 200 pictures (REG_EPOCHS epochs) plain, with weight
                 decay, dropout, batch norm, and batch norm with dropout: the test -ELBO and its rise, and the noise
                 dropout adds (the spread of one batch's training -ELBO over dropout masks) beside the VAE's own
                 (over posterior draws)
  symmetry       the pytorch/examples MLP encoder (400) with a decoder of 100, 400 and 1600 units, and the CNN
                 (32, 64) with decoders (16, 32), (32, 64), (64, 128): -ELBO, distortion, rate, and the sharpness of
                 prior samples, their pixel variance over the data's

    .venv/bin/python -m bench.training_lessons --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics

from bench.runs import mean_rows, shipped_values, train_timed

EPOCHS: dict[str, int] = {}  # --epochs: every run's epochs instead of its declared ones (a quick look)
LEARNING_RATES = (1e-3, 3e-3, 1e-2, 3e-2)
LR_EPOCHS = 5
REG_EPOCHS = 300


def _train(values: dict, seed: int):
    return train_timed({**values, "seed": seed, **EPOCHS})


# ----------------------------------------------------------------------------------------------- batch norm
def batch_norm(seeds: list[int]) -> dict[str, dict]:
    from vae.analysis.batch_coupling import batch_coupling, train_mode_gap
    from vae.analysis.evaluation import test_inputs
    from vae.config.shipped import LESSONS

    print(f"{'batch norm':28s} {'-ELBO':>8s} {'spread train':>12s} {'spread eval':>11s} {'train-eval':>10s}")
    out = {}
    for role, r in LESSONS["batch norm"].items():
        rows = []
        for s in seeds:
            cfg, ds, res, _ = _train(shipped_values(r.shipped), s)
            x = test_inputs(ds.x_test, cfg, "cpu")
            c = batch_coupling(res.model, x, ds.y_test)
            gap = train_mode_gap(res.model, x, cfg.train.batch_size)
            rows.append(
                {"elbo": res.metrics["elbo"], "train": c["spread_train"], "eval": c["spread_eval"], "gap": gap["gap"]}
            )
        out[role] = row = mean_rows(rows)
        print(f"{r.model:28s} {row['elbo']:8.2f} {row['train']:12.4f} {row['eval']:11.2g} {row['gap']:+10.3f}")
    bn, ln = out["batch"], out["layer"]
    ok = bn["train"] >= 1 and bn["eval"] < 1e-4 and ln["train"] < 1e-4
    print(
        f"  {'reached' if ok else 'NOT reached'}: batch norm moves the picture {bn['train']:.1f} nats in training "
        f"mode (aim 1), {bn['eval']:.1g} in evaluation mode; layer norm {ln['train']:.1g} (aim under 1e-4)"
    )
    return out


def learning_rates(seeds: list[int]) -> dict[tuple[str, float], str]:
    from vae.config.shipped import LESSONS
    from vae.errors import TrainingDiverged

    print(f"\n{'learning rate':14s}" + "".join(f"{lr:>16g}" for lr in LEARNING_RATES) + f"   ({LR_EPOCHS} epochs)")
    out = {}
    for role, r in LESSONS["batch norm"].items():
        cells = []
        for lr in LEARNING_RATES:
            elbos, diverged = [], []
            for s in seeds:
                try:
                    values = {**shipped_values(r.shipped), "lr": lr, "epochs": LR_EPOCHS}
                    elbos.append(_train(values, s)[2].metrics["elbo"])
                except TrainingDiverged as e:
                    diverged.append(e.values["step"])
            text = f"{statistics.mean(elbos):.2f}" if elbos else ""
            if diverged:
                text += f" div@{min(diverged)}" + (f" ({len(diverged)}/{len(seeds)})" if elbos else "")
            out[role, lr] = text
            cells.append(f"{text:>16s}")
        print(f"{role:14s}" + "".join(cells))
    return out


# -------------------------------------------------------------------------------------------- gradient flow
def gradient_flow(seeds: list[int]) -> dict[str, dict]:
    from vae.analysis.gradient_flow import VANISHING, flow_series, flow_summary
    from vae.config.shipped import LESSONS

    print(f"\n{'gradient flow':28s} {'ratio@1':>8s} {'ratio':>8s} {'dead':>6s} {'-ELBO':>8s} {'active':>7s}")
    out = {}
    for role, r in LESSONS["gradient flow"].items():
        rows = []
        for s in seeds:
            _, _, res, _ = _train(shipped_values(r.shipped), s)
            f = flow_summary(flow_series(res.history))
            keep = {"start": f["start_ratio"], "ratio": f["ratio"], "dead": f["most_dead"]}
            rows.append({**keep, "elbo": res.metrics["elbo"], "active_units": res.metrics["active_units"]})
        out[role] = row = mean_rows(rows)
        print(
            f"{r.model:28s} {row['start']:8.3g} {row['ratio']:8.3g} {100 * row['dead']:5.0f}% {row['elbo']:8.2f} "
            f"{row['active_units']:7.1f}"
        )
    good, poor = out["tanh-xavier"], out["tanh-default"]
    for when, key in (("at the first step", "start"), ("over the run", "ratio")):
        ok = poor[key] < VANISHING and good[key] >= VANISHING
        print(
            f"  {'reached' if ok else 'NOT reached'} {when}: tanh with the default init {poor[key]:.2g}, with "
            f"Xavier {good[key]:.2g} (aim: the poor one under {VANISHING:g}, the good one not)"
        )
    print(f"  dead units: ReLU {100 * out['relu']['dead']:.0f} %, LeakyReLU {100 * out['leaky-relu']['dead']:.0f} %")
    res, plain = out["residual"], out["plain"]
    ok = (plain["ratio"] < VANISHING <= res["ratio"]) or plain["elbo"] > res["elbo"] + 5
    print(
        f"  {'reached' if ok else 'NOT reached'}: the ResNet's skips: first / last {res['ratio']:.2g} with them, "
        f"{plain['ratio']:.2g} without; -ELBO {res['elbo']:.2f} against {plain['elbo']:.2f} (aim: the plain one "
        f"under {VANISHING:g} or 5 nats worse)"
    )
    return out


# ------------------------------------------------------------------------------------------ regularisation
def regularisation(seeds: list[int]) -> dict[str, dict]:
    from vae.analysis.overfitting import noise_spread, overfitting
    from vae.config.shipped import LESSONS

    base = {**shipped_values(LESSONS["overfitting"]["wide"].shipped), "epochs": REG_EPOCHS}
    runs = {
        "plain": {},
        "weight decay 0.01": {"weight_decay": 0.01},
        "dropout 0.3": {"dropout": 0.3},
        "batch norm": {"norm": "batch"},
        "batch norm + dropout 0.3": {"norm": "batch", "dropout": 0.3},
    }
    print(f"\n{'regularisation':26s} {'test':>8s} {'best':>8s} {'rise':>6s} {'dropout sd':>10s} {'z sd':>6s}")
    out = {}
    for name, change in runs.items():
        rows = []
        for s in seeds:
            cfg, ds, res, _ = _train({**base, **change}, s)
            of = overfitting(res.history, res.metrics)
            noise = noise_spread(res.model, ds.x_train)
            rows.append({"test": of["last_test"], "best": of["best_test"], "rise": of["rise"], **noise})
        out[name] = row = mean_rows(rows)
        print(
            f"{name:26s} {row['test']:8.2f} {row['best']:8.2f} {row['rise']:6.2f} {row['dropout']:10.3f} "
            f"{row['posterior']:6.3f}"
        )
    return out


# ------------------------------------------------------------------------------------------------ symmetry
def symmetry(seeds: list[int]) -> dict[str, dict]:
    import torch

    from vae.config.shipped import SHIPPED_BY_NAME

    mlp = shipped_values(SHIPPED_BY_NAME["mnist5k-mlp-z16"])
    cnn = shipped_values(SHIPPED_BY_NAME["mnist5k-cnn-z16"])
    runs = {
        "MLP 400, decoder 100": {**mlp, "decoder_hidden": [100]},
        "MLP 400, decoder 400": mlp,
        "MLP 400, decoder 1600": {**mlp, "decoder_hidden": [1600]},
        "CNN 32,64, decoder 32,16": {**cnn, "decoder_hidden": [32, 16]},  # the decoder's in data-flow order
        "CNN 32,64, decoder 64,32": cnn,
        "CNN 32,64, decoder 128,64": {**cnn, "decoder_hidden": [128, 64]},
    }
    print(f"\n{'symmetry':26s} {'-ELBO':>8s} {'distortion':>10s} {'rate':>6s} {'sharpness':>9s}")
    out = {}
    for name, values in runs.items():
        rows = []
        for s in seeds:
            _, ds, res, _ = _train(values, s)
            samples = res.model.sample_prior(500, generator=torch.Generator().manual_seed(s))
            sharp = float(samples.var(0).mean() / ds.x_test.var(0).mean())
            m = res.metrics
            rows.append({"elbo": m["elbo"], "distortion": m["reconstruction"], "rate": m["kl"], "sharpness": sharp})
        out[name] = row = mean_rows(rows)
        print(f"{name:26s} {row['elbo']:8.2f} {row['distortion']:10.2f} {row['rate']:6.2f} {row['sharpness']:9.3f}")
    return out


LESSONS_MEASURED = {
    "batch norm": batch_norm,
    "learning rate": learning_rates,
    "gradient flow": gradient_flow,
    "regularisation": regularisation,
    "symmetry": symmetry,
}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--only", choices=list(LESSONS_MEASURED), nargs="+", help="some of the lessons")
    ap.add_argument("--epochs", type=int, help="override every run's epochs (a quick look)")
    args = ap.parse_args(argv)
    EPOCHS.clear()
    EPOCHS.update({"epochs": args.epochs} if args.epochs else {})
    return {k: f(args.seeds) for k, f in LESSONS_MEASURED.items() if not args.only or k in args.only}


if __name__ == "__main__":
    main()
