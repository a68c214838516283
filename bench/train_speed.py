"""Training throughput: our trainer against the pytorch/examples VAE loop, same run.

Model and settings of pytorch/examples ``vae/main.py`` (MLP 784-400-20, ReLU,
Bernoulli on grey levels, Adam 1e-3, batch 128) on mnist5k's 4,000 training images,
10 epochs. Three contestants, in alternating order, ``--repeats`` times each:

  ours         vae.training.trainer.train (in-memory tensors, index batches, fused AdamW,
               BCE with logits; includes its per-epoch test evaluation)
  examples     pytorch/examples as written: DataLoader over torchvision.datasets.MNIST
               with ToTensor() (PIL image -> tensor per item), reading our split from
               IDX files, a test pass after every epoch (as ours does)
  tensorloader the same model and loss over a DataLoader on a TensorDataset, with no
               per-epoch test pass (a leaner baseline than the example itself)

Prints the median seconds, examples/s, the throughput ratios and each test -ELBO, and
what each epoch's history record costs (its test pass) as a share of an epoch, the held-out pass that early
stopping adds, and the gradient-flow recording (vae/training/gradient_flow.py): the extra time of a recorded step
against a plain one, times the records an epoch, as a share of an epoch, on this MLP and on the 8-layer one of the
gradient-flow lesson.
Run: ``.venv/bin/python -m bench.train_speed [--repeats 3] [--epochs 10]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from bench.reference_vae import torchvision_mnist, train_reference, train_reference_loader
from vae.config import VAEConfig
from vae.data.embedded import load_mnist5k
from vae.training.trainer import train


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args(argv)
    ds = load_mnist5k()
    cfg = VAEConfig()  # the pytorch/examples architecture and settings are our defaults
    cfg.train.epochs, cfg.train.device = args.epochs, "cpu"
    tmp = tempfile.TemporaryDirectory()
    tv_train, tv_test = torchvision_mnist(tmp.name, ds.x_train, ds.y_train, ds.x_test, ds.y_test)

    runs = {
        "ours": lambda s: train(_seeded(cfg, s), ds).metrics["elbo"],
        "examples": lambda s: train_reference_loader(tv_train, tv_test, epochs=args.epochs, seed=s)[1],
        "tensorloader": lambda s: train_reference(ds.x_train, ds.x_test, epochs=args.epochs, seed=s)[1],
    }
    times = {k: [] for k in runs}
    elbos = {k: [] for k in runs}
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.epochs} epochs x "
        f"{len(ds.x_train)} images, {args.repeats} alternating repeats"
    )
    for r in range(args.repeats):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for name in order:
            t = time.perf_counter()
            elbos[name].append(runs[name](r + 1))
            times[name].append(time.perf_counter() - t)
    n = args.epochs * len(ds.x_train)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k in runs:
        print(
            f"  {k:<13} {med[k]:7.2f} s  {n / med[k]:9.0f} examples/s  "
            f"test -ELBO {statistics.mean(elbos[k]):.2f} nats (seeds 1..{args.repeats})"
        )
    ratios = {k: med[k] / med["ours"] for k in runs if k != "ours"}
    for k, v in ratios.items():
        print(f"  throughput ours / {k}: {v:.2f}x")
    record = record_cost(cfg, ds)
    print(
        f"  history record: its test pass ({record['examples']} test images) takes {record['test_ms']:.1f} ms of a "
        f"{record['epoch_ms']:.0f} ms epoch ({100 * record['share']:.1f} %)"
    )
    print(
        f"  early stopping: its held-out pass ({record['held_out_examples']} training images) takes "
        f"{record['held_out_ms']:.1f} ms ({100 * record['held_out_share']:.1f} % of an epoch)"
    )
    flow = {}
    for label, net in (("MLP 400", None), ("MLP 8 x 128", [128] * 8)):
        flow[label] = flow_cost(cfg, ds, net)
        print(
            f"  gradient flow ({label}): a recorded step takes {flow[label]['extra_ms']:.2f} ms more than a plain "
            f"{flow[label]['step_ms']:.2f} ms one; {flow[label]['records']} an epoch of {flow[label]['steps']} steps: "
            f"{100 * flow[label]['share']:.2f} % of an epoch"
        )
    return {
        "median_s": med,
        "ratios": ratios,
        "elbo": {k: statistics.mean(v) for k, v in elbos.items()},
        "record": record,
        "flow": flow,
    }


def flow_cost(cfg: VAEConfig, ds, hidden: list[int] | None = None, repeats: int = 200) -> dict:
    """The gradient-flow recording's share of an epoch: training steps on batches of 128 with and without
    recording, alternated, (recorded - plain) median time x the records an epoch / (steps x plain)."""
    import copy
    import math

    from vae.training.gradient_flow import FlowRecorder, record_every
    from vae.training.trainer import make_model

    c = copy.deepcopy(cfg)
    if hidden is not None:
        c.encoder.hidden = c.decoder.hidden = hidden
    model = make_model(c, ds.modality)
    opt = torch.optim.AdamW(model.parameters(), lr=c.train.lr, fused=True)
    recorder = FlowRecorder(model, 1)
    g = torch.Generator().manual_seed(0)
    times = {True: [], False: []}
    for i in range(2 * repeats + 20):
        recording = i % 2 == 0
        xb = ds.x_train[torch.randint(len(ds.x_train), (c.train.batch_size,), generator=g)]
        t = time.perf_counter()
        if recording:
            recorder.watch()
        loss = model(xb, g).rec.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if recording:
            recorder.record(i)
        opt.step()
        if i >= 20:
            times[recording].append(time.perf_counter() - t)
    recorder.take()
    plain, recorded = statistics.median(times[False]), statistics.median(times[True])
    steps = math.ceil(len(ds.x_train) / c.train.batch_size)
    records = math.ceil(steps / record_every(steps, c.train.epochs))
    return {
        "step_ms": 1e3 * plain,
        "extra_ms": 1e3 * (recorded - plain),
        "steps": steps,
        "records": records,
        "share": records * (recorded - plain) / (steps * plain),
    }


def record_cost(cfg: VAEConfig, ds, repeats: int = 20) -> dict:
    """What each epoch's history record costs beyond the training steps: its test pass, timed on a trained model,
    against the median epoch of the same run (the train-split numbers come from the steps' own passes); and the
    held-out pass early stopping adds (``--early-stopping``, a tenth of the training split)."""
    import torch

    from vae.analysis.evaluation import EVAL_SEED_OFFSET, evaluate, test_inputs
    from vae.training.trainer import held_out_split, history_test_examples

    res = train(_seeded(cfg, 1), ds)
    seconds = [0.0] + [h["seconds"] for h in res.history]
    epoch = statistics.median(b - a for a, b in zip(seconds, seconds[1:]))
    x = test_inputs(ds.x_test, cfg, "cpu")[: history_test_examples(len(ds.x_train), len(ds.x_test))]
    g = torch.Generator().manual_seed(1 + EVAL_SEED_OFFSET)
    evaluate(res.model, x, generator=g)
    t = time.perf_counter()
    for _ in range(repeats):
        evaluate(res.model, x, generator=g)
    test = (time.perf_counter() - t) / repeats
    held = test_inputs(held_out_split(ds.x_train, 1)[1], cfg, "cpu")  # early stopping's pass, when it is on
    t = time.perf_counter()
    for _ in range(repeats):
        evaluate(res.model, held, generator=g)
    held_out = (time.perf_counter() - t) / repeats
    return {
        "examples": len(x),
        "test_ms": 1e3 * test,
        "epoch_ms": 1e3 * epoch,
        "share": test / epoch,
        "held_out_examples": len(held),
        "held_out_ms": 1e3 * held_out,
        "held_out_share": held_out / epoch,
    }


def _seeded(cfg: VAEConfig, seed: int) -> VAEConfig:
    import copy

    c = copy.deepcopy(cfg)
    c.train.seed = seed
    return c


if __name__ == "__main__":
    main()
