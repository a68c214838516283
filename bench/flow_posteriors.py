"""Richer posteriors and priors against the Gaussian q(z|x) with p(z) = N(0, I), on mnist5k.

Same data (mnist5k, dynamic binarization), z = 16, MLP 400 encoder and decoder, the same
epochs and seeds; only the posterior or the prior changes: a diagonal Gaussian with the
standard prior (the reference), planar flows and IAF (Rezende & Mohamed 2015; Kingma et
al. 2016), the VampPrior with 500 pseudo-inputs (Tomczak & Welling 2018) and a flow prior of 4 RealNVP
couplings (Dinh et al. 2017; ``--runs`` picks some). Printed per
run (seeds averaged): test -ELBO, IWAE -log p(x) (k = 1000 on the first
``--iwae-examples`` test images, the same for every run), the gap between them (what a
better posterior can still win), the rate and the training seconds.

    .venv/bin/python -m bench.flow_posteriors --seeds 1 2 --epochs 20
"""

from __future__ import annotations

import argparse
import statistics
import time

RUNS = {
    "gaussian (reference)": {"posterior": "gaussian"},
    "planar, 8 steps": {"posterior": "planar", "flow_steps": 8},
    "iaf, 2 steps": {"posterior": "iaf", "flow_steps": 2},
    "iaf, 4 steps": {"posterior": "iaf", "flow_steps": 4},
    "vamp prior, K=500": {"prior": "vamp", "pseudo_inputs": 500},
    "flow prior, 4 steps": {"prior": "flow", "prior_flow_steps": 4},
}
BASE = {"dataset": "mnist5k", "arch": "mlp", "hidden": [400], "latent_dim": 16, "binarize": "dynamic"}


def run(name: str, seed: int, epochs: int, iwae_examples: int) -> dict:
    from vae.analysis.evaluation import evaluate_full, test_inputs
    from vae.config import VAEConfig
    from vae.config.values import apply
    from vae.data import load_dataset
    from vae.training.trainer import train

    cfg = apply(VAEConfig(), {**BASE, **RUNS[name], "epochs": epochs, "seed": seed}).validate()
    ds = load_dataset(cfg.data)
    t = time.perf_counter()
    res = train(cfg, ds)
    seconds = time.perf_counter() - t
    x = test_inputs(ds.x_test, cfg, "cpu")
    m = evaluate_full(res.model, x, iwae_k=1000, seed=seed, iwae_num=iwae_examples)
    return {"elbo": m["elbo"], "nll": m["iwae_nll"], "rate": m["kl"], "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--iwae-examples", type=int, default=200)
    ap.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS), help="some of the runs")
    args = ap.parse_args()
    import torch

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; mnist5k binarized, z 16, MLP 400, "
        f"{args.epochs} epochs, seeds {args.seeds}; IWAE k=1000 on {args.iwae_examples} test images (nats)"
    )
    print(f"{'q(z|x) or p(z)':<22} {'-ELBO':>8} {'-log p(x)':>10} {'gap':>6} {'rate':>6} {'vs ref':>7} {'train s':>8}")
    mean = {}
    for name in dict.fromkeys(["gaussian (reference)", *args.runs]):  # the reference always
        rs = [run(name, s, args.epochs, args.iwae_examples) for s in args.seeds]
        mean[name] = {k: statistics.mean(r[k] for r in rs) for k in rs[0]}
    ref = mean["gaussian (reference)"]["elbo"]
    for name, m in mean.items():
        print(
            f"{name:<22} {m['elbo']:8.2f} {m['nll']:10.2f} {m['elbo'] - m['nll']:6.2f} {m['rate']:6.2f} "
            f"{m['elbo'] - ref:+7.2f} {m['seconds']:8.1f}"
        )


if __name__ == "__main__":
    main()
