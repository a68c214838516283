"""A flow in the decoder: the waves' 1-D CNN decoder (a Gaussian per step) against the same decoder carried through
affine couplings conditioned on z (vae/models/flow_decoder.py).

The flow section of the Strong decoders page (vae.config.shipped LESSONS["flow decoder"]), each run trained from
its shipped command with each seed: the waves (64 steps), the 1-D convolutional encoder, z = 6, a learned sigma,
150 epochs, beta = 1; only the decoder changes. Printed: test -ELBO, IWAE -log p(x) (k = 100), rate, distortion,
active units, seconds to train; what a draw adds to the decoder's mean (its sd, and its correlation a step apart:
vae.analysis.explore.draw_noise on 256 test series); and seconds to draw 16 series from the prior, in the same run.

    .venv/bin/python -m bench.flow_decoder --seeds 1 2
"""

from __future__ import annotations

import time

import torch

from bench.runs import elbo_numbers, lesson_arguments, lesson_run, seed_means

SAMPLED = 16  # series drawn from the prior to time sampling
NOISE_SERIES = 256


def run(role: str, seed: int, epochs: int | None) -> dict:
    """One run of the lesson's role: its numbers, its draws' noise and the seconds to sample SAMPLED series."""
    from vae.analysis.evaluation import evaluate_full, test_inputs
    from vae.analysis.explore import draw_noise

    cfg, ds, res, seconds = lesson_run("flow decoder", role, seed, epochs)
    x = test_inputs(ds.x_test, cfg, "cpu")
    m = evaluate_full(res.model, x, iwae_k=100, seed=seed)
    noise = draw_noise(res.model, x[:NOISE_SERIES], seed=seed)
    res.model.sample_prior(2)  # the first call pays one-off costs
    t = time.perf_counter()
    res.model.sample_prior(SAMPLED, generator=torch.Generator().manual_seed(seed))
    return {
        **elbo_numbers(m, seconds),
        "noise_sd": noise["sd"],
        "lag1": noise["lag1"],
        "sample": time.perf_counter() - t,
    }


def main(argv=None) -> dict:
    from vae.config.shipped import LESSONS

    args = lesson_arguments(__doc__, argv)
    roles = LESSONS["flow decoder"]
    print(
        f"waves, z = 6, a learned sigma, seeds {args.seeds}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    rows = {}
    for role, r in roles.items():
        rows[role] = row = seed_means(run, role, args)
        print(
            f"  {r.model:<22} -ELBO {row['elbo']:8.2f}  IWAE -log p(x) {row['nll']:8.2f}  rate {row['rate']:6.2f}  "
            f"distortion {row['distortion']:8.2f}  active {row['au']:3.1f}/6  noise sd {row['noise_sd']:.3f}  "
            f"lag-1 {row['lag1']:+.2f}  train {row['seconds']:4.0f} s  "
            f"sample {SAMPLED}: {row['sample'] * 1000:5.1f} ms",
            flush=True,
        )
    cnn, fl = rows["cnn"], rows["flow"]
    print(
        f"flow vs the Gaussian decoder: -log p(x) {fl['nll'] - cnn['nll']:+.2f} nats, rate {fl['rate']:.2f} vs "
        f"{cnn['rate']:.2f}, noise correlation a step apart {fl['lag1']:+.2f} vs {cnn['lag1']:+.2f}, "
        f"training {fl['seconds'] / max(cnn['seconds'], 1e-9):.1f}x, "
        f"sampling {fl['sample'] / max(cnn['sample'], 1e-9):.1f}x"
    )
    return rows


if __name__ == "__main__":
    main()
