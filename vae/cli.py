"""Command line: ``python -m vae {train,eval,info,datasets} ...``.

Every error a user can cause ends as one line on stderr and a non-zero exit status:
2 for bad input (flags, files, settings, data), 3 for a diverged run, 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Sequence

from .errors import ConfigError, TrainingDiverged, VAEError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``error: ...``."""

    def error(self, message: str):  # type: ignore[override]
        raise ConfigError(f"{message} (see `{self.prog} --help`)")


# flag -> (section, field); "encoder+decoder" sets both networks
TRAIN_FLAGS: dict[str, tuple[str, str, Any, str]] = {
    # flag: (section, field, type, help)
    "dataset": ("data", "name", str, "dataset name (see `python -m vae datasets`)"),
    "data_path": ("data", "path", str, "your .npz or .zip file (with --dataset npz|zip)"),
    "data_root": ("data", "data_root", str, "folder holding torchvision datasets (default ~/.cache/vae-explorer/data or $VAE_DATA_ROOT)"),
    "binarize": ("data", "binarize", str, "none: grey levels as Bernoulli probabilities; dynamic: resample x~Bernoulli(x) every epoch"),
    "sprites_size": ("data", "size", int, "sprites: image side in pixels"),
    "sprites_num": ("data", "num", int, "sprites: number of images"),
    "latent_dim": ("", "latent_dim", int, "size of z (1..256)"),
    "arch": ("encoder+decoder", "arch", str, "network family: mlp, cnn or resnet"),
    "hidden": ("encoder+decoder", "hidden", int, "encoder layer widths (mlp) or channels per stride-2 stage (cnn/resnet); the decoder mirrors them"),
    "decoder_arch": ("decoder", "arch", str, "decoder family, when it differs from the encoder's"),
    "decoder_hidden": ("decoder", "hidden", int, "decoder widths/channels in data-flow order (e.g. a stronger decoder)"),
    "activation": ("encoder+decoder", "activation", str, "relu, leaky_relu, elu, gelu, silu or tanh"),
    "norm": ("encoder+decoder", "norm", str, "none, batch or layer normalization"),
    "dropout": ("encoder+decoder", "dropout", float, "dropout rate after each hidden layer"),
    "init": ("encoder+decoder", "init", str, "weight initialization: default, xavier or he"),
    "blocks": ("encoder+decoder", "blocks", int, "resnet: residual blocks per stage"),
    "likelihood": ("likelihood", "name", str, "p(x|z): bernoulli, gaussian or categorical"),
    "variance": ("likelihood", "variance", str, "gaussian variance: fixed, learned or per-pixel"),
    "sigma": ("likelihood", "sigma", float, "gaussian: the fixed standard deviation (initial value when learned)"),
    "bins": ("likelihood", "bins", int, "categorical: grey levels per pixel (2..256)"),
    "beta": ("objective", "beta", float, "weight of the KL term (beta-VAE)"),
    "kl_warmup": ("objective", "kl_warmup", float, "epochs over which the KL weight rises linearly from 0 to beta"),
    "free_bits": ("objective", "free_bits", float, "per-dimension KL floor lambda in nats (0 = off)"),
    "capacity": ("objective", "capacity", float, "capacity annealing: C_max in nats (loss = rec + gamma |KL - C|)"),
    "capacity_gamma": ("objective", "capacity_gamma", float, "capacity annealing: gamma"),
    "capacity_epochs": ("objective", "capacity_epochs", float, "capacity annealing: epochs for C to reach C_max (default: all)"),
    "epochs": ("train", "epochs", int, "training epochs"),
    "batch_size": ("train", "batch_size", int, "mini-batch size"),
    "lr": ("train", "lr", float, "Adam learning rate"),
    "weight_decay": ("train", "weight_decay", float, "decoupled weight decay (AdamW)"),
    "seed": ("train", "seed", int, "random seed (runs are reproducible on the CPU)"),
    "device": ("train", "device", str, "auto (CUDA when present), cpu, cuda, cuda:N"),
}
LIST_FLAGS = {"hidden", "decoder_hidden"}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m vae", description="Train, evaluate and inspect variational autoencoders.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a VAE and save it as a .safetensors checkpoint")
    t.add_argument("--config", help="JSON file with the configuration; flags override it")
    for dest, (_, _, typ, help_) in TRAIN_FLAGS.items():
        flag = "--" + dest.replace("_", "-")
        if dest in LIST_FLAGS:
            t.add_argument(flag, dest=dest, type=typ, nargs="+", help=help_)
        else:
            t.add_argument(flag, dest=dest, type=typ, help=help_)
    t.add_argument("--out", help="checkpoint to write (default checkpoints/<dataset>-<arch>-z<dim>.safetensors)")
    t.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    t.add_argument("--print-config", action="store_true", help="print the resolved configuration as JSON and exit")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    e = sub.add_parser("eval", help="evaluate a checkpoint on its test split")
    e.add_argument("checkpoint")
    e.add_argument("--iwae-k", type=int, default=100, help="importance samples for the IWAE estimate of -log p(x)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--device", default="auto")
    e.add_argument("--data-root", help="folder holding torchvision datasets")

    i = sub.add_parser("info", help="show a checkpoint's configuration and training history")
    i.add_argument("checkpoint")
    i.add_argument("--json", action="store_true")

    d = sub.add_parser("datasets", help="list the datasets and whether they are available offline")
    d.add_argument("--data-root", help="folder holding torchvision datasets")
    d.add_argument("--json", action="store_true")
    return p


# ----------------------------------------------------------------- config
def resolve_config(args: argparse.Namespace):
    """Defaults < ``--config`` file < flags; the decoder mirrors the encoder unless set."""
    from .config import VAEConfig, mirror

    cfg = VAEConfig.from_json_file(args.config) if args.config else VAEConfig()
    given = {k: getattr(args, k) for k in TRAIN_FLAGS if getattr(args, k, None) is not None}
    for dest, value in given.items():
        section, field_, _, _ = TRAIN_FLAGS[dest]
        if section == "":
            setattr(cfg, field_, value)
        elif section == "encoder+decoder":
            setattr(cfg.encoder, field_, value)
            setattr(cfg.decoder, field_, value)
        else:
            setattr(getattr(cfg, section), field_, value)
    if "hidden" in given and "decoder_hidden" not in given:
        cfg.decoder.hidden = mirror(cfg.encoder).hidden
    return cfg.validate()


def default_out(cfg) -> Path:
    return Path("checkpoints") / f"{cfg.data.name}-{cfg.encoder.arch}-z{cfg.latent_dim}.safetensors"


# --------------------------------------------------------------- commands
def cmd_train(args) -> int:
    cfg = resolve_config(args)
    if args.print_config:
        print(json.dumps(cfg.to_dict(), indent=2))
        return 0
    out = Path(args.out) if args.out else default_out(cfg)
    if out.suffix != ".safetensors":
        raise ConfigError(f"--out must end in .safetensors, got {out}")
    if out.exists() and not args.force:
        raise ConfigError(f"{out} exists; pass --force to overwrite it or choose another --out")

    from .checkpoints import save_checkpoint
    from .data import load_dataset
    from .training import train

    ds = load_dataset(cfg.data)
    from tqdm import tqdm

    n = len(ds.x_train)
    steps = cfg.train.epochs * math.ceil(n / min(cfg.train.batch_size, n))
    bar = None if args.quiet else tqdm(total=steps, unit="step", file=sys.stderr, dynamic_ncols=True)

    def on_step(info):
        if bar is not None:
            bar.update(info["step"] - bar.n)
            bar.set_postfix(epoch=info["epoch"], loss=f"{info['loss']:.2f}", refresh=False)

    def on_epoch(rec):
        if bar is not None:
            bar.update(rec["step"] - bar.n)
            bar.set_postfix(epoch=rec["epoch"], train=f"{rec['train_elbo']:.2f}", test=f"{rec['test_elbo']:.2f}",
                            kl=f"{rec['test_kl']:.2f}", au=rec["active_units"])

    try:
        result = train(cfg, ds, on_epoch=on_epoch, on_step=on_step, step_every=5)
    finally:
        if bar is not None:
            bar.close()
    save_checkpoint(out, result.model, result.history, result.metrics, dataset=ds.name)
    m = result.metrics
    print(f"saved {out}  test -ELBO {m['elbo']:.2f} nats (rec {m['reconstruction']:.2f}, KL {m['kl']:.2f}), "
          f"active units {m['active_units']}/{cfg.latent_dim}, {result.history[-1]['seconds']:.1f} s")
    return 0


def cmd_eval(args) -> int:
    from .checkpoints import load_checkpoint
    from .data import load_dataset
    from .evaluation import evaluate_full, test_inputs
    from .training import resolve_device

    if args.iwae_k < 1 or args.iwae_k > 100_000:
        raise ConfigError(f"--iwae-k must be from 1 to 100000, got {args.iwae_k}")
    device = resolve_device(args.device)
    ck = load_checkpoint(args.checkpoint, device)
    if args.data_root:
        ck.config.data.data_root = args.data_root
    ds = load_dataset(ck.config.data)
    if tuple(ds.image_shape) != tuple(ck.image_shape):
        raise ConfigError(f"dataset {ds.name} has images {ds.image_shape}, the model expects {ck.image_shape}")
    x = test_inputs(ds.x_test, ck.config, device)
    m = evaluate_full(ck.model, x, iwae_k=args.iwae_k, seed=ck.config.train.seed)
    keys = ["elbo", "reconstruction", "kl", "kl_per_dim", "active_units", "au_variance", "iwae_nll", "iwae_k", "num_test"]
    res = {k: m[k] for k in keys}
    res["checkpoint"] = str(args.checkpoint)
    res["dataset"] = ds.name
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"{args.checkpoint}  ({ds.name} test split, {m['num_test']} examples, nats per example)")
    print(f"  negative ELBO   {m['elbo']:10.3f}")
    print(f"  reconstruction  {m['reconstruction']:10.3f}")
    print(f"  KL              {m['kl']:10.3f}")
    print(f"  IWAE -log p(x)  {m['iwae_nll']:10.3f}   (k={args.iwae_k})")
    print(f"  active units    {m['active_units']:4d} / {len(m['kl_per_dim'])}")
    print("  KL per dimension: " + " ".join(f"{v:.2f}" for v in m["kl_per_dim"]))
    return 0


def describe(cfg) -> list[str]:
    enc, dec, lk, ob, tr = cfg.encoder, cfg.decoder, cfg.likelihood, cfg.objective, cfg.train
    like = lk.name
    if lk.name == "gaussian":
        like += f" ({lk.variance} variance" + (f", sigma {lk.sigma:g})" if lk.variance != "per-pixel" else ")")
    elif lk.name == "categorical":
        like += f" ({lk.bins} levels)"
    obj = f"beta {ob.beta:g}"
    if ob.kl_warmup:
        obj += f", KL warm-up {ob.kl_warmup:g} epochs"
    if ob.free_bits:
        obj += f", free bits {ob.free_bits:g}"
    if ob.capacity is not None:
        obj = f"capacity C_max {ob.capacity:g}, gamma {ob.capacity_gamma:g}"
    net = lambda n: f"{n.arch} {n.hidden}, {n.activation}, norm {n.norm}, dropout {n.dropout:g}, init {n.init}"  # noqa: E731
    return [
        f"dataset      {cfg.data.name}" + (f" (binarize {cfg.data.binarize})" if cfg.data.binarize != "none" else ""),
        f"encoder      {net(enc)}",
        f"decoder      {net(dec)}",
        f"latent dim   {cfg.latent_dim}",
        f"likelihood   {like}",
        f"objective    {obj}",
        f"training     {tr.epochs} epochs, batch {tr.batch_size}, lr {tr.lr:g}, weight decay {tr.weight_decay:g}, seed {tr.seed}",
    ]


def cmd_info(args) -> int:
    from .checkpoints import read_metadata
    from .config import VAEConfig

    meta = read_metadata(args.checkpoint)
    if args.json:
        print(json.dumps(meta))
        return 0
    cfg = VAEConfig.from_dict(meta["config"])
    print(f"{args.checkpoint}: image shape {tuple(meta['image_shape'])}")
    for line in describe(cfg):
        print("  " + line)
    h, m = meta["history"], meta["metrics"]
    if h:
        print(f"  history      {len(h)} epochs, {h[-1]['seconds']:.1f} s")
        print("    epoch   train -ELBO   test -ELBO   test KL   active")
        for r in h if len(h) <= 12 else h[:3] + h[-8:]:
            print(f"    {r['epoch']:>5g}   {r['train_elbo']:11.2f}   {r['test_elbo']:10.2f}   {r['test_kl']:7.2f}   {r['active_units']:6d}")
    if m:
        print(f"  test         -ELBO {m['elbo']:.2f} (rec {m['reconstruction']:.2f}, KL {m['kl']:.2f}), "
              f"active units {m['active_units']}/{len(m['kl_per_dim'])}")
    return 0


def cmd_datasets(args) -> int:
    from .data import BUILTIN, TORCHVISION, default_data_root, is_available_offline

    root = Path(args.data_root) if args.data_root else default_data_root()
    rows = []
    for name, info in BUILTIN.items():
        avail = is_available_offline(name, root)
        rows.append({"name": name, "description": info.description, "size": info.size,
                     "offline": avail, "needs_download": name in TORCHVISION and not avail})
    if args.json:
        print(json.dumps({"data_root": str(root), "datasets": rows}))
        return 0
    print(f"data root for torchvision datasets: {root}")
    for r in rows:
        status = "offline" if r["offline"] else "needs download (or files in the data root)"
        print(f"  {r['name']:<14} {r['size']:<30} {status:<12}  {r['description']}")
    return 0


COMMANDS = {"train": cmd_train, "eval": cmd_eval, "info": cmd_info, "datasets": cmd_datasets}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except TrainingDiverged as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except VAEError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory; use a smaller model, batch or dataset", file=sys.stderr)
        return 2
    except Exception as e:  # a bug: still one line, with what to report
        print(f"internal error: {type(e).__name__}: {e} (please report this)", file=sys.stderr)
        return 4
