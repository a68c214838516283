"""The latent size and capacity-and-overfitting lessons, measured: their models trained from their declared
commands (vae.config.shipped), each seed, then averaged.

  latent size   the pytorch/examples MLP on MNIST at d_z = 1..64, 300 epochs: -ELBO, distortion, rate and active
                units of the test split, and seconds to train; the aims: the distortion levels off, and d_z = 64
                leaves at least a third of its units inactive
  overfitting   an MLP of 512 units on 200 training pictures for 1000 epochs, and the same with dropout 0.3 and
                with early stopping: the best and the kept test -ELBO of each epoch's test pass (the same first
                100 test pictures), the rise after the best epoch, and the share of the rise each remedy wins
                back; the aims: a rise of at least 5 nats, and a remedy that wins back at least half

    .venv/bin/python -m bench.capacity_lessons --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics

from bench.runs import elbo_numbers, mean_rows, shipped_values, train_timed

EPOCHS: dict[str, int] = {}  # --epochs: every run's epochs instead of its declared ones (a quick look)


def _train(model, seed: int):
    return train_timed({**shipped_values(model), "seed": seed, **EPOCHS})


def latent_size_row(model, seed: int) -> dict:
    from vae.analysis.evaluation import evaluate_full, test_inputs

    cfg, ds, res, seconds = _train(model, seed)
    m = evaluate_full(res.model, test_inputs(ds.x_test, cfg, "cpu"), iwae_k=10, seed=seed)
    return {"latent_dim": cfg.latent_dim, **elbo_numbers(m, seconds)}


def overfitting_row(model, seed: int) -> dict:
    from vae.analysis.overfitting import overfitting

    _, _, res, seconds = _train(model, seed)
    return {**overfitting(res.history, res.metrics), "seconds": seconds}


def latent_size(seeds: list[int]) -> list[dict]:
    from vae.analysis.latent_size import LEVEL, levels_off
    from vae.config.shipped import LESSONS

    print(f"{'d_z':>4s} {'-ELBO':>8s} {'distortion':>10s} {'rate':>7s} {'active':>7s} {'s':>6s}")
    rows = []
    for r in LESSONS["latent size"].values():
        row = mean_rows([latent_size_row(r.shipped, s) for s in seeds])
        rows.append(row)
        print(
            f"{row['latent_dim']:4.0f} {row['elbo']:8.2f} {row['distortion']:10.2f} {row['rate']:7.2f} "
            f"{row['au']:7.1f} {row['seconds']:6.1f}"
        )
    largest = rows[-1]
    inactive = 1 - largest["au"] / largest["latent_dim"]
    steps = [a["distortion"] - b["distortion"] for a, b in zip(rows, rows[1:])]
    print(f"  distortion falls by {', '.join(f'{s:.1f}' for s in steps)} nats from one d_z to the next")
    level = levels_off([{"latent_dim": int(r["latent_dim"]), "distortion": r["distortion"]} for r in rows])
    print(f"  levels off (within {LEVEL:g} nats of the lowest) from d_z = {level}")
    ok = inactive >= 1 / 3
    print(f"  {'reached' if ok else 'NOT reached'}: d_z = 64 leaves {100 * inactive:.0f} % inactive (aim: a third)")
    return rows


def overfitting_pair(seeds: list[int]) -> dict[str, list[dict]]:
    from vae.analysis.overfitting import recovered
    from vae.config.shipped import LESSONS, OVERFIT, OVERFITTED

    roles = {k: r for k, r in LESSONS["overfitting"].items() if r.shipped.flags[: len(OVERFIT)] == OVERFIT}
    print(f"\n{'model':34s} {'best':>8s} {'at':>5s} {'kept':>8s} {'rise':>6s} {'won back':>9s} {'s':>6s}")
    per_seed = {k: [overfitting_row(r.shipped, s) for s in seeds] for k, r in roles.items()}
    won = {  # remedy -> the share of the overfitted run's rise it wins back, per seed (None: nothing rose)
        k: [recovered(w, o) for w, o in zip(per_seed[OVERFITTED], rows)]
        for k, rows in per_seed.items()
        if k != OVERFITTED
    }
    for key, r in roles.items():
        row, shares = mean_rows(per_seed[key]), won.get(key, [])
        text = f"{100 * statistics.mean(shares):8.0f}%" if shares and None not in shares else f"{'-':>9s}"
        print(
            f"{r.model:34s} {row['best_test']:8.2f} {row['best_epoch']:5.0f} {row['kept_test']:8.2f} "
            f"{row['rise']:6.2f} {text} {row['seconds']:6.1f}"
        )
    rise = statistics.mean(o["rise"] for o in per_seed[OVERFITTED])
    print(
        f"  {'reached' if rise >= 5 else 'NOT reached'}: the overfitted run's test -ELBO rises {rise:.2f} nats (aim 5)"
    )
    for key, shares in won.items():
        known = [s for s in shares if s is not None]
        share = statistics.mean(known) if known else 0.0  # nothing rose: nothing won back
        print(f"  {'reached' if share >= 0.5 else 'NOT reached'}: {key} wins back {100 * share:.0f} % (aim: half)")
    return per_seed


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--only", choices=["latent size", "overfitting"], help="one of the two lessons")
    ap.add_argument("--epochs", type=int, help="override every run's epochs (a quick look)")
    args = ap.parse_args(argv)
    EPOCHS.clear()
    EPOCHS.update({"epochs": args.epochs} if args.epochs else {})
    if args.only != "overfitting":
        latent_size(args.seeds)
    if args.only != "latent size":
        overfitting_pair(args.seeds)


if __name__ == "__main__":
    main()
