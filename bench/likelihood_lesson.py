"""The output layer and the likelihood, measured: the models of the lesson trained from their declared commands.

Every model is the CNN on MNIST (mnist5k, z = 16, 15 epochs; vae.config.shipped.LIKELIHOOD_RUNS); only p(x|z)
changes. Two tables, each averaged over the seeds:

  likelihoods   test -ELBO in each model's own nats, the -ELBO of the 8-bit values in bits per dimension where
                the likelihood gives one (Gaussian, categorical; vae.analysis.levels), rate, used units, the
                final sigma, and seconds to train
  hidden beta   the sweep of a fixed sigma: rate and used units against sigma (beta = 2 sigma^2 against a
                squared error)

then the issue's aims for the sweep: sigma = 1 at most 2 used units and a rate under 2 nats; sigma = 0.1 a rate
over 10 nats.

    .venv/bin/python -m bench.likelihood_lesson --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics

from bench.runs import train_timed


def run(model, seed: int, epochs: int | None = None) -> dict:
    """Train the shipped model ``model`` (vae.config.shipped.ShippedModel) with ``seed`` and measure it."""
    from vae.analysis.diagnostics import used_units
    from vae.analysis.evaluation import evaluate, test_inputs
    from vae.analysis.levels import lesson_numbers
    from vae.cli.train import shipped_config
    from vae.config.values import values_of

    values = {**values_of(shipped_config(model)), "seed": seed}
    if epochs:
        values["epochs"] = epochs
    cfg, ds, res, seconds = train_timed(values)
    x = test_inputs(ds.x_test, cfg, "cpu")
    m = evaluate(res.model, x)
    numbers = lesson_numbers(res.model, x[:1000], seed=seed)
    return {
        "elbo": m["elbo"],
        "bits": numbers["values"]["bits_per_dim"] if numbers["values"] else float("nan"),
        "rate": m["kl"],
        "used": used_units(m["au_variance"], m["kl_per_dim"]),
        "sigma": m.get("sigma", float("nan")),
        "seconds": seconds,
    }


def _mean(results: list[dict]) -> dict:
    return {k: statistics.mean(r[k] for r in results) for k in results[0]}


def main(argv=None) -> dict[str, dict]:
    from vae.config.shipped import LESSONS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, help="override the 15 epochs (a quick look)")
    ap.add_argument("--only", nargs="+", help="roles of the likelihood lesson to train (default: all)")
    args = ap.parse_args(argv)
    lesson, sweep = LESSONS["likelihood"], LESSONS["hidden beta"]
    roles = {r: lesson[r] for r in (args.only or lesson)}
    sweep_roles = {} if args.only else {k: r for k, r in sweep.items() if r.model != lesson["fixed"].model}
    mean: dict[str, dict] = {}
    print(f"{'model':34s} {'-ELBO':>8s} {'bits/dim':>8s} {'rate':>7s} {'used':>5s} {'sigma':>6s} {'s':>6s}")
    for r in [*roles.values(), *sweep_roles.values()]:
        mean[r.model] = row = _mean([run(r.shipped, s, args.epochs) for s in args.seeds])
        print(
            f"{r.model:34s} {row['elbo']:8.2f} {row['bits']:8.3f} {row['rate']:7.2f} {row['used']:5.1f} "
            f"{row['sigma']:6.3f} {row['seconds']:6.1f}"
        )
    if args.only:
        return mean
    print("\nhidden beta: sigma, beta = 2 sigma^2, rate, used units")
    for key, r in sweep.items():
        row = mean[r.model]
        print(f"  sigma {key:>5s}  beta {2 * float(key) ** 2:8.4f}  rate {row['rate']:7.2f}  used {row['used']:4.1f}")
    one, tenth = mean[sweep["1"].model], mean[sweep["0.1"].model]
    aims = [
        (
            f"sigma = 1: {one['used']:.1f} used units, rate {one['rate']:.2f} (aim: at most 2 units, under 2 nats)",
            one["used"] <= 2 and one["rate"] < 2,
        ),
        (f"sigma = 0.1: rate {tenth['rate']:.2f} nats (aim: over 10)", tenth["rate"] > 10),
    ]
    for text, ok in aims:
        print(f"  {'reached' if ok else 'NOT reached'}: {text}")
    return mean


if __name__ == "__main__":
    main()
