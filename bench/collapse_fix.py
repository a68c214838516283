"""Posterior collapse at beta = 50 and its fix, measured on mnist5k (the collapse lesson's models).

The shipped presets with the shipped flags (MLP 256, z = 16, 30 epochs), seeds ``--seeds``:

  make it collapse (beta 50)             beta = 50
  fix, free bits 0.5 (the old fix)       beta = 50, free bits 0.5 nats a unit, KL warm-up 3 epochs
  fix collapse with free bits            beta = 50, free bits 2 nats a unit, KL warm-up 3 epochs
  beta 1 (the reference)                 the same network and epochs at beta = 1

Printed per run (averaged over the seeds): test -ELBO, rate, distortion, active and used units
(vae.analysis.diagnostics.used_units) and the verdict; then whether the fix reconstructs as the
lesson says: its distortion within 15 % of beta 1's, where the old fix's was nearly twice it.

    .venv/bin/python -m bench.collapse_fix --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics

from bench.runs import train_timed

RUNS = {
    "make it collapse (beta 50)": {},
    "fix, free bits 0.5 (the old fix)": {"free_bits": 0.5},
    "fix collapse with free bits": {},
    "beta 1 (the reference)": {"beta": 1.0, "kl_warmup": 0.0, "free_bits": 0.0},
}
PRESET = {
    "fix, free bits 0.5 (the old fix)": "fix collapse with free bits",
    "beta 1 (the reference)": "fix collapse with free bits",
}


def run(name: str, seed: int) -> dict:
    from vae.analysis.diagnostics import used_units, verdict
    from vae.analysis.evaluation import evaluate
    from vae.config.presets import PRESETS

    values = {**PRESETS[PRESET.get(name, name)], "hidden": [256], **RUNS[name], "seed": seed}
    cfg, ds, res, seconds = train_timed(values)
    m = evaluate(res.model, ds.x_test)
    used = used_units(m["au_variance"], m["kl_per_dim"])
    return {
        "elbo": m["elbo"],
        "rate": m["kl"],
        "distortion": m["reconstruction"],
        "au": m["active_units"],
        "used": used,
        "verdict": verdict(m["kl"], used, cfg.latent_dim, cfg.objective.beta),
        "seconds": seconds,
    }


def main(argv=None) -> dict[str, dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    out = {}
    print(f"{'run':34} {'-ELBO':>7} {'rate':>6} {'distortion':>10} {'active':>6} {'used':>5}  verdict  seconds")
    for name in RUNS:
        rows = [run(name, s) for s in args.seeds]
        mean = {k: statistics.mean(r[k] for r in rows) for k in ("elbo", "rate", "distortion", "au", "used", "seconds")}
        verdicts = "/".join(r["verdict"] for r in rows)
        out[name] = {**mean, "verdicts": verdicts}
        print(
            f"{name:34} {mean['elbo']:7.2f} {mean['rate']:6.2f} {mean['distortion']:10.2f} {mean['au']:6.1f} "
            f"{mean['used']:5.1f}  {verdicts}  {mean['seconds']:.1f}"
        )
    ref = out["beta 1 (the reference)"]["distortion"]
    fix, old = out["fix collapse with free bits"]["distortion"], out["fix, free bits 0.5 (the old fix)"]["distortion"]
    print(f"fix's distortion / beta 1's: {fix / ref:.2f} (aim <= 1.15; the old fix's: {old / ref:.2f})")
    return out


if __name__ == "__main__":
    main()
