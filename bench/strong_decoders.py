"""Strong decoders ignore z: the known results of PixelVAE / VLAE / free bits, measured on mnist5k.

Same data (mnist5k, dynamic binarization), z = 16, an MLP encoder (400), 10 epochs,
the same seeds; only the decoder and the remedy change:

  mlp decoder              the pytorch/examples decoder (reference)
  pixelcnn                 a 7x7 masked input layer and 4 masked 3x3 layers of 32 channels (7 rows up)
  pixelcnn + free bits     lambda = 0.5 nats per dimension (Kingma et al. 2016)
  pixelcnn + KL warm-up    KL weight 0 -> 1 over 5 or 10 epochs (Bowman et al. 2016)
  pixelcnn, smaller field  2 masked layers (4 rows up) or 1 (3 rows up) (Chen et al. 2017)

Printed: test -ELBO, IWAE -log p(x) (k = 100, the first ``--iwae-examples`` test
images, the same for every run), rate (KL), distortion, active units, seconds to
train, and the differences the issue asks for. Seeds are averaged.

    .venv/bin/python -m bench.strong_decoders --seeds 1
"""

from __future__ import annotations

import argparse
import statistics

import torch

from bench.runs import elbo_numbers, train_timed

RUNS = {
    "mlp decoder": {},
    "pixelcnn": {"decoder_arch": "pixelcnn"},
    "pixelcnn + free bits 0.5": {"decoder_arch": "pixelcnn", "free_bits": 0.5},
    "pixelcnn + KL warm-up 5": {"decoder_arch": "pixelcnn", "kl_warmup": 5.0},
    "pixelcnn + KL warm-up 10": {"decoder_arch": "pixelcnn", "kl_warmup": 10.0},
    "pixelcnn, 2 layers (smaller field)": {"decoder_arch": "pixelcnn", "decoder_hidden": [32, 32]},
    "pixelcnn, 1 layer (small field)": {"decoder_arch": "pixelcnn", "decoder_hidden": [32]},
}
BASE = {"dataset": "mnist5k", "arch": "mlp", "hidden": [400], "latent_dim": 16, "binarize": "dynamic", "epochs": 10}


def run(name: str, seed: int, iwae_examples: int) -> dict:
    from vae.analysis.evaluation import evaluate_full, test_inputs

    cfg, ds, res, seconds = train_timed({**BASE, **RUNS[name], "seed": seed})
    x = test_inputs(ds.x_test, cfg, "cpu")
    m = evaluate_full(res.model, x, iwae_k=100, seed=seed, iwae_num=iwae_examples)
    return elbo_numbers(m, seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--iwae-examples", type=int, default=500)
    ap.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    args = ap.parse_args()
    print(
        f"mnist5k, dynamic binarization, z=16, MLP encoder 400, 10 epochs, seeds {args.seeds}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; IWAE k=100 on the first "
        f"{args.iwae_examples} test images"
    )
    rows = {}
    for name in args.runs:
        rs = [run(name, s, args.iwae_examples) for s in args.seeds]
        rows[name] = {k: statistics.mean(r[k] for r in rs) for k in rs[0]}
        r = rows[name]
        print(
            f"  {name:<32} -ELBO {r['elbo']:7.2f}  IWAE -log p(x) {r['nll']:7.2f}  rate {r['rate']:6.2f}  "
            f"distortion {r['distortion']:7.2f}  active {r['au']:4.1f}/16  train {r['seconds']:5.0f} s",
            flush=True,
        )
    if "mlp decoder" in rows and "pixelcnn" in rows:
        mlp, pc = rows["mlp decoder"], rows["pixelcnn"]
        print(
            f"pixelcnn vs mlp decoder: -log p(x) {pc['nll'] - mlp['nll']:+.2f} nats, "
            f"rate {pc['rate']:.2f} vs {mlp['rate']:.2f} ({pc['rate'] / mlp['rate']:.2f}x)"
        )
        for name in [r for r in args.runs if r.startswith("pixelcnn") and r != "pixelcnn"]:
            r = rows[name]
            print(
                f"  {name}: rate {r['rate']:.2f} nats (+{r['rate'] - pc['rate']:.2f} over pixelcnn), "
                f"-log p(x) {r['nll']:.2f} (keeps {(mlp['nll'] - r['nll']) / max(1e-9, mlp['nll'] - pc['nll']):.0%}"
                " of the pixelcnn's gain over the mlp decoder)"
            )


if __name__ == "__main__":
    main()
