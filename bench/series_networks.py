"""Sequence networks on series: the 1-D CNN, GRU and Transformer encoders before the same decoder, and a GRU decoder.

The series-encoder lesson of How good is the encoder? (vae.config.shipped LESSONS["series encoders"]), each run
trained from its shipped command with each seed: the waves (64 steps), z = 6, a learned sigma, 150 epochs, beta = 1:

  1-D CNN encoder           two stride-2 convolutions (32, 64 channels) -> the 1-D CNN decoder (reference)
  GRU encoder               one GRU layer of 64, its last state -> the same decoder
  Transformer encoder       two pre-norm blocks of width 32, 2 heads, the mean over the steps -> the same decoder
  GRU encoder and decoder   the GRU decoder too: autoregressive, each step from the steps before it and z

Printed per model (mean over the seeds): test -ELBO, IWAE -log p(x) (k = 100), log p(x) - ELBO (their
difference: what the encoder's q(z|x) loses against the true posterior), rate, distortion, active units, the
encoder's parameters, seconds to train and the server's estimate of them (vae.service.cost.server_estimate) with
their ratio; then seconds to draw 16 series from the prior (the GRU decoder step by step, the CNN's one pass).

    .venv/bin/python -m bench.series_networks --seeds 1 2
"""

from __future__ import annotations

import time

import torch

from bench.runs import elbo_numbers, lesson_arguments, lesson_run, seed_means

SAMPLED = 16


def run(role: str, seed: int, epochs: int | None) -> dict:
    from vae.analysis.evaluation import evaluate_full, test_inputs
    from vae.service.cost import server_estimate

    cfg, ds, res, seconds = lesson_run("series encoders", role, seed, epochs)
    est = server_estimate(cfg, ds.modality, len(ds.x_train), len(ds.x_test))
    x = test_inputs(ds.x_test, cfg, "cpu")
    row = elbo_numbers(evaluate_full(res.model, x, iwae_k=100, seed=seed), seconds)
    res.model.sample_prior(2)  # the first call pays one-off costs
    t = time.perf_counter()
    res.model.sample_prior(SAMPLED, generator=torch.Generator().manual_seed(seed))
    return {
        **row,
        "gap": row["elbo"] - row["nll"],
        "params": sum(p.numel() for p in res.model.encoder.parameters()),
        "estimate": est.total_seconds,
        "sample": time.perf_counter() - t,
    }


def main(argv=None) -> dict:
    from vae.config.shipped import LESSONS

    args = lesson_arguments(__doc__, argv)
    roles = LESSONS["series encoders"]
    print(
        f"waves, z = 6, a learned sigma, seeds {args.seeds}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    rows = {}
    for role, r in roles.items():
        rows[role] = row = seed_means(run, role, args)
        print(
            f"  {r.model:<22} -ELBO {row['elbo']:8.2f}  IWAE -log p(x) {row['nll']:8.2f}  gap {row['gap']:5.2f}  "
            f"rate {row['rate']:6.2f}  distortion {row['distortion']:8.2f}  active {row['au']:3.1f}/6  "
            f"encoder {row['params'] / 1e3:5.1f}k  train {row['seconds']:5.0f} s (estimate {row['estimate']:5.0f} s, "
            f"{row['estimate'] / max(row['seconds'], 1e-9):.2f}x)  sample {SAMPLED}: {row['sample'] * 1000:6.1f} ms",
            flush=True,
        )
    cnn = rows["cnn"]
    for role in ("gru", "transformer"):
        print(
            f"{roles[role].label} vs the CNN encoder: -ELBO {rows[role]['elbo'] - cnn['elbo']:+.2f}, "
            f"gap {rows[role]['gap'] - cnn['gap']:+.2f}, rate {rows[role]['rate'] - cnn['rate']:+.2f} nats"
        )
    dec = rows["gru-decoder"]
    print(
        f"GRU decoder: rate {dec['rate']:.2f} against {rows['gru']['rate']:.2f} with the CNN decoder "
        f"({dec['rate'] / max(rows['gru']['rate'], 1e-9):.2f}x); -log p(x) {dec['nll'] - rows['gru']['nll']:+.2f}; "
        f"sampling {dec['sample'] / max(rows['gru']['sample'], 1e-9):.0f}x the CNN decoder's"
    )
    return rows


if __name__ == "__main__":
    main()
