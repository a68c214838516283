"""Text VAEs ignore z (Bowman et al. 2016), measured on the ``names`` dataset.

The same GRU encoder (256 units), z = 16, 20 epochs at learning rate 3e-3, the same seeds; only the
decoder and the remedy change (the presets of the same names):

  names: weak MLP decoder                 every letter at once from z: p(x|z) = prod_t p(x_t|z) (256 units)
  names: GRU decoder ignores z            autoregressive, beta 1, no remedy
  names: GRU + word dropout + free bits   half the decoder's inputs become <unk>, KL weight 0 -> 1 over
                                          10 epochs, a floor of 0.25 nats per dimension

Printed per run (averaged over the seeds): test -ELBO, IWAE -log p(x) (k = 100, the first
``--iwae-examples`` test names), rate (KL), distortion, active units and seconds to train; then the
issue's three aims, each with whether it was reached:

  1. the GRU decoder's -log p(x) at least 2 nats below the MLP decoder's
  2. its rate below a third of the MLP decoder's
  3. word dropout with annealing brings the rate to at least 3 nats, keeping most (over half) of the
     GRU's likelihood gain over the MLP decoder

    .venv/bin/python -m bench.text_collapse --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics

from bench.runs import elbo_numbers, train_timed

RUNS = ("names: weak MLP decoder", "names: GRU decoder ignores z", "names: GRU + word dropout + free bits")


def run(preset: str, seed: int, iwae_examples: int, epochs: int | None = None, hidden: int | None = None) -> dict:
    from vae.analysis.evaluation import evaluate_full
    from vae.config.presets import PRESETS

    values = {**PRESETS[preset], "seed": seed, **({"epochs": epochs} if epochs else {})}
    if hidden:  # a quick look: narrower networks (the decoder mirrors the encoder's width)
        values["hidden"] = [hidden]
    _, ds, res, seconds = train_timed(values)
    m = evaluate_full(res.model, ds.x_test, iwae_k=100, seed=seed, iwae_num=iwae_examples)
    return elbo_numbers(m, seconds)


def main(argv=None) -> dict[str, dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--iwae-examples", type=int, default=376, help="test names the IWAE bound averages over")
    ap.add_argument("--epochs", type=int, help="override the presets' 20 epochs (a quick look)")
    ap.add_argument("--hidden", type=int, help="override the networks' 256 units (a quick look)")
    args = ap.parse_args(argv)
    mean = {}
    print(f"{'run':40s} {'-ELBO':>7s} {'-log p':>7s} {'rate':>6s} {'distort':>7s} {'AU':>5s} {'s':>6s}")
    for name in RUNS:
        results = [run(name, s, args.iwae_examples, args.epochs, args.hidden) for s in args.seeds]
        mean[name] = {k: statistics.mean(r[k] for r in results) for k in results[0]}
        r = mean[name]
        print(
            f"{name:40s} {r['elbo']:7.2f} {r['nll']:7.2f} {r['rate']:6.2f} {r['distortion']:7.2f} "
            f"{r['au']:5.1f} {r['seconds']:6.1f}"
        )
    mlp, gru, fixed = (mean[n] for n in RUNS)
    gain = mlp["nll"] - gru["nll"]
    kept = (mlp["nll"] - fixed["nll"]) / gain if gain > 0 else float("nan")
    aims = [
        (f"GRU -log p(x) {gain:.2f} nats below the MLP decoder's (aim: at least 2)", gain >= 2),
        (
            f"GRU rate {gru['rate']:.2f} against the MLP's {mlp['rate']:.2f} (aim: below a third)",
            gru["rate"] < mlp["rate"] / 3,
        ),
        (
            f"word dropout + free bits: rate {fixed['rate']:.2f} nats (aim: at least 3), "
            f"keeping {kept:.0%} of the GRU's likelihood gain (aim: most)",
            fixed["rate"] >= 3 and kept > 0.5,
        ),
    ]
    for text, ok in aims:
        print(f"  {'reached' if ok else 'NOT reached'}: {text}")
    return mean


if __name__ == "__main__":
    main()
