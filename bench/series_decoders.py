"""Strong decoders on series: WaveNet against the 1-D CNN decoder on the waves, with and without the remedies.

The series lesson of the Strong decoders page (vae.config.shipped LESSONS["series decoders"]), each run trained
from its shipped command with each seed: the waves (64 steps), the 1-D convolutional encoder, z = 6, a learned
sigma, 150 epochs, beta = 1; only the decoder and the remedy change:

  1-D CNN decoder           transposed convolutions, every step at once from z (reference)
  WaveNet                   5 gated causal layers of kernel 3, dilations 1..16: each step sees the 63 before
  WaveNet + free bits 2     lambda = 2 nats per dimension (Kingma et al. 2016)
  WaveNet, field of 4       2 causal layers of kernel 2 (Chen et al. 2017's lever)

Printed: test -ELBO, IWAE -log p(x) (k = 100), rate, distortion, active units, seconds to train; the aim (the
WaveNet's rate under a third of the CNN decoder's); and the cost of sampling: seconds to draw 16 series from the
prior, step by step for WaveNet, against the CNN decoder's one pass, in the same run.

    .venv/bin/python -m bench.series_decoders --seeds 1 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from bench.runs import elbo_numbers, shipped_values, train_timed

SAMPLED = 16  # series drawn from the prior to time sampling


def run(role: str, seed: int, epochs: int | None) -> tuple[dict, float]:
    """One run of the lesson's role: its numbers, and the seconds to sample SAMPLED series."""
    from vae.analysis.evaluation import evaluate_full, test_inputs
    from vae.config.shipped import LESSONS

    values = {**shipped_values(LESSONS["series decoders"][role].shipped), "seed": seed}
    cfg, ds, res, seconds = train_timed({**values, **({"epochs": epochs} if epochs else {})})
    x = test_inputs(ds.x_test, cfg, "cpu")
    m = evaluate_full(res.model, x, iwae_k=100, seed=seed)
    res.model.sample_prior(2)  # the first call pays one-off costs
    t = time.perf_counter()
    res.model.sample_prior(SAMPLED, generator=torch.Generator().manual_seed(seed))
    return elbo_numbers(m, seconds), time.perf_counter() - t


def main(argv=None) -> dict:
    from vae.config.shipped import LESSONS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, help="override every run's epochs (a quick look)")
    args = ap.parse_args(argv)
    roles = LESSONS["series decoders"]
    print(
        f"waves, z = 6, a learned sigma, seeds {args.seeds}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    rows, sampling = {}, {}
    for role, r in roles.items():
        runs = [run(role, s, args.epochs) for s in args.seeds]
        rows[role] = row = {k: statistics.mean(n[k] for n, _ in runs) for k in runs[0][0]}
        sampling[role] = statistics.mean(t for _, t in runs)
        print(
            f"  {r.model:<28} -ELBO {row['elbo']:8.2f}  IWAE -log p(x) {row['nll']:8.2f}  rate {row['rate']:6.2f}  "
            f"distortion {row['distortion']:8.2f}  active {row['au']:3.1f}/6  train {row['seconds']:4.0f} s  "
            f"sample {SAMPLED}: {sampling[role] * 1000:6.1f} ms",
            flush=True,
        )
    cnn, wn = rows["cnn"], rows["wavenet"]
    ratio = wn["rate"] / max(cnn["rate"], 1e-9)
    print(
        f"WaveNet vs the CNN decoder: -log p(x) {wn['nll'] - cnn['nll']:+.2f} nats, rate {wn['rate']:.2f} vs "
        f"{cnn['rate']:.2f} ({ratio:.2f}x; aim under 0.33: {'reached' if ratio < 1 / 3 else 'NOT reached'})"
    )
    for role in ("fix", "short"):
        print(f"  {roles[role].model}: rate {rows[role]['rate']:.2f} nats ({rows[role]['rate'] - wn['rate']:+.2f})")
    print(
        f"sampling {SAMPLED} series: WaveNet {sampling['wavenet'] * 1000:.1f} ms, step by step, against "
        f"{sampling['cnn'] * 1000:.1f} ms for the CNN decoder ({sampling['wavenet'] / max(sampling['cnn'], 1e-9):.0f}x)"
    )
    return {"rows": rows, "sampling": sampling}


if __name__ == "__main__":
    main()
