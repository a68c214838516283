"""Command line: ``python -m vae {train,eval,info,datasets,diagnose,traverse,interpolate,project}``.

Every error a user can cause ends as one line on stderr and a non-zero exit status:
2 for bad input (flags, files, settings, data), 3 for a diverged run, 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from vae import wording
from vae.config.knobs import KNOBS
from vae.errors import ConfigError, TrainingDiverged, VAEError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``error: ...``."""

    def error(self, message: str):  # type: ignore[override]
        raise ConfigError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m vae", description="Train, evaluate and inspect variational autoencoders.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a VAE and save it as a .safetensors checkpoint")
    t.add_argument("--config", help="JSON file with the configuration; flags override it")
    t.add_argument("--preset", help="start from a named experiment (see `python -m vae presets`); flags override it")
    for dest, knob in KNOBS.items():
        flag = "--" + dest.replace("_", "-")
        text = f"{knob.help} [{knob.range_text}]" if knob.range_text else knob.help
        if knob.is_list:
            t.add_argument(flag, dest=dest, type=knob.type, nargs="+", help=text)
        elif knob.type is bool:
            t.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            t.add_argument(flag, dest=dest, type=knob.type, help=text)
    t.add_argument("--out", help="checkpoint to write (default checkpoints/<dataset>-<arch>-z<dim>.safetensors)")
    t.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    t.add_argument("--print-config", action="store_true", help="print the resolved configuration as JSON and exit")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument(
        "--no-reports",
        dest="reports",
        action="store_false",
        help="save without the heavy reports (IWAE, I(x;z), disentanglement); viewers compute them later",
    )

    e = sub.add_parser("eval", help="evaluate a checkpoint on its test split")
    e.add_argument("checkpoint")
    e.add_argument("--iwae-k", type=int, default=100, help="importance samples for the IWAE estimate of -log p(x)")
    e.add_argument("--iwae-examples", type=int, help="score the IWAE bound on the first N test examples (default all)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--device", default="auto")
    e.add_argument("--data-root", help="folder holding torchvision datasets")

    i = sub.add_parser("info", help="show a checkpoint's configuration and training history")
    i.add_argument("checkpoint")
    i.add_argument("--json", action="store_true")

    g = sub.add_parser("diagnose", help="posterior-collapse diagnostics (and disentanglement scores)")
    g.add_argument("checkpoint")
    g.add_argument("--split", choices=["train", "test"], default="test")
    g.add_argument("--iwae-k", type=int, default=100)
    g.add_argument("--iwae-examples", type=int, help="score the IWAE bound on the first N examples (default all)")
    g.add_argument(
        "--gaps-examples",
        type=int,
        default=100,
        help="measure the approximation and amortization gaps on the first N examples (0: skip; ~0.2 s each)",
    )
    g.add_argument("--json", action="store_true", help="print one JSON object")
    g.add_argument("--device", default="auto")
    g.add_argument("--data-root")

    tv = sub.add_parser("traverse", help="latent traversal as a PNG grid or an animated GIF")
    tv.add_argument("checkpoint")
    tv.add_argument(
        "--out",
        help="FILE.png (rows = dimensions, columns = steps) or FILE.gif; for a token model the table is printed, "
        "and written to an optional FILE.txt",
    )
    tv.add_argument("--dims", type=int, default=10, help="how many dimensions, most KL first")
    tv.add_argument("--span", type=float, default=3.0, help="range: -span..+span prior standard deviations")
    tv.add_argument("--steps", type=int, default=11)
    tv.add_argument(
        "--from-example", type=int, help="start at this test example's posterior mean (default: the prior's mean)"
    )
    tv.add_argument("--data-root")

    ip = sub.add_parser("interpolate", help="interpolate between two test examples' posterior means")
    ip.add_argument("checkpoint")
    ip.add_argument("--from", dest="src", type=int, required=True, help="test example index")
    ip.add_argument("--to", dest="dst", type=int, required=True, help="test example index")
    ip.add_argument(
        "--out",
        help="FILE.png (a strip) or FILE.gif; for a token model the sequences are printed, and written to an "
        "optional FILE.txt",
    )
    ip.add_argument("--steps", type=int, default=11)
    ip.add_argument("--method", choices=["linear", "slerp"], default="linear")
    ip.add_argument("--data-root")

    sm = sub.add_parser(
        "sample",
        help="draw x ~ p(x|z) (images into a PNG/GIF; token sequences printed), z from the prior or from one "
        "example's posterior",
    )
    sm.add_argument("checkpoint")
    sm.add_argument("--n", type=int, default=16, help="how many images (1..256)")
    sm.add_argument("--from-example", type=int, help="draw z ~ q(z|x) for this test example (default z ~ p(z))")
    sm.add_argument("--seed", type=int, default=0)
    sm.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="scales the likelihood's randomness (0: the most likely value of each pixel or token)",
    )
    sm.add_argument("--top-k", type=int, default=0, help="token sequences: draw each token among the k most likely")
    sm.add_argument(
        "--out",
        help="FILE.png (a grid) or FILE.gif (for a pixelcnn decoder: the images filling in row by row); "
        "for a token model, optionally FILE.txt (one sequence per line)",
    )
    sm.add_argument("--data-root")

    pj = sub.add_parser("project", help="2-D map of the posterior means (PCA, t-SNE, UMAP)")
    pj.add_argument("checkpoint")
    pj.add_argument("--method", choices=["pca", "tsne", "umap"], default="pca")
    pj.add_argument("--out", required=True, help="FILE.csv (index,label,x,y) or FILE.html (interactive)")
    pj.add_argument("--split", choices=["train", "test"], default="test")
    pj.add_argument("--limit", type=int, help="project a random subsample of this many examples")
    pj.add_argument("--seed", type=int, default=0)
    pj.add_argument("--data-root")

    sub.add_parser("presets", help="list the named experiments that train --preset accepts")

    d = sub.add_parser("datasets", help="list the datasets and whether they are available offline")
    d.add_argument("--data-root", help="folder holding torchvision datasets")
    d.add_argument("--json", action="store_true")
    return p


# ----------------------------------------------------------------- config
def resolve_config(args: argparse.Namespace):
    """Defaults < ``--preset`` or ``--config`` file < flags; the decoder mirrors the encoder unless set."""
    from vae.config import VAEConfig
    from vae.config.presets import preset_config
    from vae.config.values import apply

    if args.config and args.preset:
        raise ConfigError("give either --config or --preset, not both")
    if args.preset:
        cfg = preset_config(args.preset)
    else:
        cfg = VAEConfig.from_json_file(args.config) if args.config else VAEConfig()
    return apply(cfg, {k: getattr(args, k, None) for k in KNOBS}).validate()


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

    from vae.data import load_dataset
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    ds = load_dataset(cfg.data)
    if not args.quiet:
        print(f"estimate: {training_estimate(cfg, ds)}", file=sys.stderr)
    from tqdm import tqdm

    n = len(ds.x_train)
    steps = cfg.train.epochs * math.ceil(n / min(cfg.train.batch_size, n))
    bar = None if args.quiet else tqdm(total=steps, unit="step", file=sys.stderr, dynamic_ncols=True)

    def on_step(info):
        if bar is not None:
            bar.update(info["step"] - bar.n)
            bar.set_postfix(epoch=info["epoch"], loss=f"{info['loss']:.2f}", refresh=False)

    def on_epoch(_model, rec):
        if bar is not None:
            bar.update(rec["step"] - bar.n)
            bar.set_postfix(
                epoch=rec["epoch"],
                train=f"{rec['train_elbo']:.2f}",
                test=f"{rec['test_elbo']:.2f}",
                kl=f"{rec['test_kl']:.2f}",
                au=rec["active_units"],
            )

    try:
        result = train(cfg, ds, on_epoch=on_epoch, on_step=on_step, step_every=5)
    finally:
        if bar is not None:
            bar.close()
    extra, reports_note = {}, "reports skipped (--no-reports)"
    if args.reports:
        import time

        from vae.analysis.reports import compute_reports

        t0 = time.perf_counter()
        extra["reports"] = compute_reports(result.model, ds, seed=cfg.train.seed)  # once, so no viewer recomputes them
        reports_note = f"reports {time.perf_counter() - t0:.1f} s"
    save_checkpoint(out, result.model, result.history, result.metrics, dataset=ds.name, extra=extra)
    m = result.metrics
    print(
        f"saved {out}  test -ELBO {m['elbo']:.2f} nats (rec {m['reconstruction']:.2f}, KL {m['kl']:.2f}), "
        f"active units {m['active_units']}/{cfg.latent_dim}, training {result.history[-1]['seconds']:.1f} s, "
        f"{reports_note}"
    )
    return 0


def training_estimate(cfg, ds) -> str:
    """The cost estimate of :mod:`vae.service.cost` as one line (timed on the CPU; FLOPs only for a GPU run)."""
    from vae.service.cost import count_flops, estimate
    from vae.training.trainer import resolve_device

    if resolve_device(cfg.train.device).type != "cpu":
        flops, params = count_flops(cfg, ds.modality, min(cfg.train.batch_size, len(ds.x_train)))
        return f"{flops / 1e9:.3g} GFLOP a step, {params / 1e6:.3g}M parameters (timings are taken on the CPU only)"
    return estimate(cfg, ds.modality, len(ds.x_train), len(ds.x_test)).describe()


def _check_iwae_k(k: int) -> None:
    if not 1 <= k <= 100_000:
        raise ConfigError(f"--iwae-k must be from 1 to 100000, got {k}")


def _iwae_examples(args, n: int) -> int:
    """--iwae-examples, checked; all n examples when absent (the command line has no time limit)."""
    if args.iwae_examples is None:
        return n
    if not 1 <= args.iwae_examples:
        raise ConfigError(f"--iwae-examples must be at least 1, got {args.iwae_examples}")
    return min(n, args.iwae_examples)


def cmd_eval(args) -> int:
    from vae.analysis.evaluation import checkpoint_split, evaluate_full
    from vae.models.checkpoints import load_checkpoint
    from vae.training.trainer import resolve_device

    _check_iwae_k(args.iwae_k)
    ck = load_checkpoint(args.checkpoint, resolve_device(args.device))
    ds, x, _, _ = checkpoint_split(ck, "test", args.data_root)
    m = evaluate_full(ck.model, x, iwae_k=args.iwae_k, seed=ck.config.train.seed, iwae_num=_iwae_examples(args, len(x)))
    keys = [
        "elbo",
        "reconstruction",
        "kl",
        "kl_per_dim",
        "active_units",
        "au_variance",
        "iwae_nll",
        "iwae_k",
        "iwae_num",
        "num_test",
    ]
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
    print(f"  IWAE -log p(x)  {m['iwae_nll']:10.3f}   (k={args.iwae_k}, {m['iwae_num']} examples)")
    print(f"  active units    {m['active_units']:4d} / {len(m['au_variance'])}")
    if m["kl_per_dim"] is not None:  # a flow posterior's KL does not split over dimensions
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
        f"training     {tr.epochs} epochs, batch {tr.batch_size}, lr {tr.lr:g}, "
        f"weight decay {tr.weight_decay:g}, seed {tr.seed}",
    ]


def cmd_info(args) -> int:
    from vae.config import VAEConfig
    from vae.models.checkpoints import read_metadata

    meta = read_metadata(args.checkpoint)
    if args.json:
        print(json.dumps(meta))
        return 0
    cfg = VAEConfig.from_dict(meta["config"])
    kind = (meta.get("modality") or {}).get("kind", "image")  # image, tokens or series
    print(f"{args.checkpoint}: {kind} shape {tuple(meta['image_shape'])}")
    for line in describe(cfg):
        print("  " + line)
    h, m = meta["history"], meta["metrics"]
    if h:
        print(f"  history      {len(h)} epochs, {h[-1]['seconds']:.1f} s")
        print("    epoch   train -ELBO   test -ELBO   test KL   active")
        for r in h if len(h) <= 12 else h[:3] + h[-8:]:
            print(
                f"    {r['epoch']:>5g}   {r['train_elbo']:11.2f}   {r['test_elbo']:10.2f}   "
                f"{r['test_kl']:7.2f}   {r['active_units']:6d}"
            )
    if m:
        print(
            f"  test         -ELBO {m['elbo']:.2f} (rec {m['reconstruction']:.2f}, KL {m['kl']:.2f}), "
            f"active units {m['active_units']}/{len(m['au_variance'])}"
        )
    return 0


def cmd_datasets(args) -> int:
    from vae.data.catalog import BUILTIN, is_available_offline
    from vae.data.dataset import default_data_root
    from vae.data.torchvision_sets import TORCHVISION

    root = Path(args.data_root) if args.data_root else default_data_root()
    rows = []
    for name, info in BUILTIN.items():
        avail = is_available_offline(name, root)
        rows.append(
            {
                "name": name,
                "description": info.description,
                "size": info.sizes,
                "offline": avail,
                "needs_download": name in TORCHVISION and not avail,
            }
        )
    if args.json:
        print(json.dumps({"data_root": str(root), "datasets": rows}))
        return 0
    print(f"data root for torchvision datasets: {root}")
    for r in rows:
        status = "offline" if r["offline"] else "needs download (or files in the data root)"
        print(f"  {r['name']:<14} {r['size']:<30} {status:<12}  {r['description']}")
    return 0


def _suffix(out: str, allowed: tuple[str, ...]) -> Path:
    p = Path(out)
    if p.suffix.lower() not in allowed:
        raise ConfigError(f"--out must end in {' or '.join(allowed)}, got {p.name}")
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def cmd_diagnose(args) -> int:
    from vae.analysis.diagnostics import collapse_report
    from vae.analysis.disentanglement import disentanglement_scores
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import posterior
    from vae.analysis.inference import inference_gaps
    from vae.models.checkpoints import load_checkpoint
    from vae.training.trainer import resolve_device

    _check_iwae_k(args.iwae_k)
    ck = load_checkpoint(args.checkpoint, resolve_device(args.device))
    ds, x, _, factors = checkpoint_split(ck, args.split, args.data_root)
    rep = collapse_report(
        ck.model, x, iwae_k=args.iwae_k, seed=ck.config.train.seed, iwae_num=_iwae_examples(args, len(x))
    )
    if factors is not None:
        mu, _ = posterior(ck.model, x)
        dis = disentanglement_scores(mu, factors, ds.factor_names)
        rep.update(
            mig=dis["mig"],
            sap=dis["sap"],
            dci=dis["dci"],
            factorvae_score=dis["factorvae_score"],
            factors=dis["factors"],
        )
    if args.gaps_examples < 0:
        raise ConfigError(f"--gaps-examples must be 0 or more, got {args.gaps_examples}")
    if args.gaps_examples:
        rep["inference_gaps"] = inference_gaps(ck.model, x, n=args.gaps_examples, seed=ck.config.train.seed)
    rep.update(checkpoint=str(args.checkpoint), dataset=ds.name, split=args.split)
    if args.json:
        print(json.dumps(rep))
        return 0
    print(f"{args.checkpoint}  ({ds.name} {args.split} split, {rep['num']} examples, nats per example)")
    print(f"  verdict         {rep['verdict'].upper()}")
    print(f"  rate (KL)       {rep['rate']:10.3f}")
    print(f"  distortion      {rep['distortion']:10.3f}")
    print(f"  IWAE -log p(x)  {rep['iwae_nll']:10.3f}   (k={args.iwae_k}, {rep['iwae_num']} examples)")
    if rep["mutual_info"] is not None:
        mi, most = rep["mutual_info"], rep["mutual_info_max"]
        print(f"  I(x;z)          {mi:10.3f}   (at most log {rep['mi_batch']} = {most:.2f})")
    else:
        print("  I(x;z)          not estimated: it needs q(z|x') at every other example's code (a flow has no such)")
    print(f"  active units    {rep['active_units']:4d} / {rep['latent_dim']}")
    kd = rep["kl_decomposition"]
    if kd is not None:
        print(
            f"  KL = MI + TC + dimension-wise KL: {kd['index_code_mi']:.3f} + {kd['total_correlation']:.3f} + "
            f"{kd['dimwise_kl']:.3f}"
        )
    if rep["kl_order"] is not None:
        print("  KL per dim      " + " ".join(f"z{j}:{rep['kl_per_dim'][j]:.2f}" for j in rep["kl_order"]))
    if "mig" in rep:
        d = rep["dci"]
        print(
            f"  MIG {rep['mig']:.3f}   SAP {rep['sap']:.3f}   FactorVAE score {rep['factorvae_score']:.3f}   "
            f"DCI {d['disentanglement']:.3f} / {d['completeness']:.3f} / {d['informativeness']:.3f}"
        )
        for name, f in rep["factors"].items():
            print(f"    {name:<9} -> z{f['latent']:<3} MIG {f['mig']:.3f}  SAP {f['sap']:.3f}")
    if "inference_gaps" in rep:
        gp = rep["inference_gaps"]
        print(
            f"  inference gaps  log p(x) {gp['log_px']:.2f} = ELBO(q) {gp['elbo_amortized']:.2f} "
            f"+ amortization {gp['amortization_gap']:.2f} + approximation {gp['approximation_gap']:.2f}"
        )
        print(f"                  ({gp['num']} examples; log p(x): {gp['estimated_by']['log_px']})")
    print()
    print("  " + wording.explanation(rep))
    for r in rep["remedies"]:
        changes = ", ".join(f"{k}={v}" for k, v in r["changes"].items())
        print(f"  * {wording.remedy_title(r)}: {wording.remedy_reason(r)}  ({changes})")
    print(f"  ({wording.verdict_rules(rep)})")
    return 0


def cmd_traverse(args) -> int:
    from vae.analysis.explore import posterior, traversal
    from vae.figures.export import traversal_bytes
    from vae.models.checkpoints import load_checkpoint

    if not 2 <= args.steps <= 101 or args.span <= 0 or args.dims < 1:
        raise ConfigError("--steps must be 2..101, --span positive and --dims at least 1")
    ck = load_checkpoint(args.checkpoint)
    out = _picture_or_text(ck, args.out)
    kl = ck.metrics.get("kl_per_dim")
    z0 = None
    if args.from_example is not None:
        _, x, _, _ = _example_split(ck, args, [args.from_example])
        z0 = posterior(ck.model, x[[args.from_example]])[0][0]
    tr = traversal(ck.model, kl_per_dim=kl, span=args.span, steps=args.steps, z0=z0, max_dims=args.dims)
    if ck.modality.kind == "tokens":  # a column of decoded sequences per dimension, one row per offset
        header = ["offset", *(f"z{j}" for j in tr.dims)]
        rows = [
            [f"{v:+.2f}", *(ck.modality.show(tr.images[d, i]) for d in range(len(tr.dims)))]
            for i, v in enumerate(tr.values)
        ]
        return _print_table(header, rows, out)
    out.write_bytes(traversal_bytes(tr, out.suffix))
    print(
        f"wrote {out}: dimensions {', '.join(f'z{j}' for j in tr.dims)} x {args.steps} steps "
        f"from {-args.span:g} to {args.span:g} prior sd"
    )
    return 0


def _picture_or_text(ck, out: str | None) -> Path | None:
    """Where a picture command writes: FILE.png/.gif for an image model (required); an optional FILE.txt for
    a token model, whose result is printed."""
    if ck.modality.kind == "tokens":
        return _suffix(out, (".txt",)) if out else None
    if not out:
        raise ConfigError("--out FILE.png (or FILE.gif) is needed: this model draws images")
    return _suffix(out, (".png", ".gif"))


def _print_table(header: list[str], rows: list[list[str]], out: Path | None) -> int:
    """Print rows of text as aligned columns (and write them, tab-separated, to ``out``)."""
    width = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, width)).rstrip())
    if out is not None:
        out.write_text("".join("\t".join(map(str, r)) + "\n" for r in [header, *rows]), encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    return 0


def _example_split(ck, args, indices):
    from vae.analysis.evaluation import checkpoint_split

    ds, x, y, f = checkpoint_split(ck, "test", getattr(args, "data_root", None))
    for i in indices:
        if not 0 <= i < len(x):
            raise ConfigError(
                f"example index {i} is out of range: the test split has {len(x)} examples (0..{len(x) - 1})"
            )
    return ds, x, y, f


def cmd_interpolate(args) -> int:
    from vae.analysis.explore import interpolation, posterior
    from vae.figures.export import interpolation_bytes
    from vae.models.checkpoints import load_checkpoint

    if not 2 <= args.steps <= 101:
        raise ConfigError("--steps must be 2..101")
    ck = load_checkpoint(args.checkpoint)
    out = _picture_or_text(ck, args.out)
    _, x, y, _ = _example_split(ck, args, [args.src, args.dst])
    mu, _ = posterior(ck.model, x[[args.src, args.dst]])
    it = interpolation(ck.model, mu[0], mu[1], args.steps, args.method)
    if ck.modality.kind == "tokens":  # the "homotopy" of Bowman et al. (2016): one decoded sequence per step
        shown = ck.modality.show(x[[args.src, args.dst]])
        rows = [[f"{t:.2f}", ck.modality.show(it.images[i])] for i, t in enumerate(it.t)]
        print(f"{args.method} interpolation from {shown[0]!r} (example {args.src}) to {shown[1]!r} ({args.dst})")
        return _print_table(["t", "decoded"], rows, out)
    out.write_bytes(interpolation_bytes(it, out.suffix))
    print(
        f"wrote {out}: {args.method} interpolation, example {args.src} (label {y[args.src]}) to "
        f"{args.dst} (label {y[args.dst]}), {args.steps} steps"
    )
    return 0


MAX_SAMPLES = 256


def cmd_sample(args) -> int:
    import time

    from vae.analysis.explore import sample_images
    from vae.figures.export import frames_to_bytes
    from vae.models.checkpoints import load_checkpoint

    if not 1 <= args.n <= MAX_SAMPLES:
        raise ConfigError(f"--n must be from 1 to {MAX_SAMPLES}, got {args.n}")
    if not 0 <= args.temperature <= 10:
        raise ConfigError(f"--temperature must be from 0 to 10, got {args.temperature:g}")
    if args.top_k < 0:
        raise ConfigError(f"--top-k must be 0 (all tokens) or more, got {args.top_k}")
    ck = load_checkpoint(args.checkpoint)
    if ck.modality.kind == "tokens":
        return _sample_tokens(ck, args)
    if not args.out:
        raise ConfigError("--out FILE.png (or FILE.gif) is needed: this model draws images")
    out = _suffix(args.out, (".png", ".gif"))
    x_ex = None
    if args.from_example is not None:
        _, x, _, _ = _example_split(ck, args, [args.from_example])
        x_ex = x[[args.from_example]]
    bar = None
    if ck.model.autoregressive and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=ck.image_shape[1], unit="row", desc="sampling pixel by pixel", leave=False)
    t = time.perf_counter()
    s = sample_images(
        ck.model,
        args.n,
        args.seed,
        args.temperature,
        x_ex,
        args.from_example,
        record_rows=out.suffix.lower() == ".gif",
        on_row=(lambda r, x: bar.update(1)) if bar else None,
    )
    if bar is not None:
        bar.close()
    nrow = math.ceil(math.sqrt(args.n))
    out.write_bytes(frames_to_bytes(s.frames if out.suffix.lower() == ".gif" else [s.images], out.suffix, nrow))
    how = "pixel by pixel (autoregressive decoder)" if ck.model.autoregressive else "one pass"
    gif = f", {len(s.frames)} frames" if out.suffix.lower() == ".gif" else ""
    print(
        f"wrote {out}: {args.n} samples, z from the {s.source}, temperature {args.temperature:g}, "
        f"drawn {how} in {time.perf_counter() - t:.1f} s{gif}"
    )
    return 0


def _sample_tokens(ck, args) -> int:
    """``sample`` for a token model: the sequences printed one per line (and written to ``--out`` FILE.txt)."""
    import time

    import torch

    from vae.analysis.explore import sample_sequences

    x_ex = None
    if args.from_example is not None:
        _, x, _, _ = _example_split(ck, args, [args.from_example])
        x_ex = x[[args.from_example]]
    t = time.perf_counter()
    with torch.no_grad():
        ids, source = sample_sequences(ck.model, args.n, args.seed, args.temperature, args.top_k, x_ex)
        texts = ck.modality.show(ids)
    seconds = time.perf_counter() - t
    print("\n".join(texts))
    if args.out:
        out = _suffix(args.out, (".txt",))
        out.write_text("\n".join(texts) + "\n", encoding="utf-8")
    top = f", top-{args.top_k}" if args.top_k else ""
    print(
        f"{args.n} samples, z from the {source}, temperature {args.temperature:g}{top}, drawn token by token "
        f"in {seconds:.2f} s",
        file=sys.stderr,
    )
    return 0


def cmd_project(args) -> int:
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.projections import project_model
    from vae.models.checkpoints import load_checkpoint

    out = _suffix(args.out, (".csv", ".html"))
    ck = load_checkpoint(args.checkpoint)
    ds, x, y, _ = checkpoint_split(ck, args.split, args.data_root)
    if args.limit is not None and args.limit < 3:
        raise ConfigError("--limit must be at least 3")
    p = project_model(ck, x, y, args.split, args.method, args.limit, args.seed)
    if out.suffix.lower() == ".csv":
        import numpy as np

        rows = np.column_stack([p.index, p.labels, p.coords])
        np.savetxt(out, rows, delimiter=",", header="index,label,x,y", comments="", fmt=["%d", "%d", "%.6f", "%.6f"])
    else:
        from vae.figures.plots import projection_scatter

        projection_scatter(p.coords, p.labels, p.index, ds.classes, args.method).write_html(out, include_plotlyjs=True)
    print(f"wrote {out}: {len(p.index)} {args.split} examples, {args.method} in {p.seconds:.1f} s")
    return 0


def cmd_presets(args) -> int:
    from vae.config.presets import PRESETS

    for name, values in PRESETS.items():
        print(
            f"{name}\n    "
            + " ".join(
                f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
                for k, v in values.items()
            )
        )
    return 0


COMMANDS = {
    "presets": cmd_presets,
    "train": cmd_train,
    "eval": cmd_eval,
    "info": cmd_info,
    "datasets": cmd_datasets,
    "diagnose": cmd_diagnose,
    "traverse": cmd_traverse,
    "interpolate": cmd_interpolate,
    "sample": cmd_sample,
    "project": cmd_project,
}


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
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MemoryError:
        print("error: out of memory; use a smaller model, batch or dataset", file=sys.stderr)
        return 2
    except Exception as e:  # a bug: still one line, with what to report
        print(f"internal error: {type(e).__name__}: {e} (please report this)", file=sys.stderr)
        return 4
