"""``train`` and ``presets``: a configuration from defaults, a preset or a file, and flags; a saved model."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from vae.config.knobs import KNOBS
from vae.errors import ConfigError
from vae.i18n import N_


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


def shipped_config(model):
    """The configuration the declared command of a shipped model (vae.config.shipped.ShippedModel) gives."""
    from vae.cli.parser import build_parser

    return resolve_config(build_parser().parse_args(["train", *model.train_args()]))


def refuse_flags_of_other_kinds(args: argparse.Namespace, kind: str, dataset: str) -> None:
    """A flag given for a knob that no network of this kind of data reads (``--norm`` for series) would be
    ignored in silence: refuse it, naming what it applies to."""
    for name, knob in KNOBS.items():
        if getattr(args, name, None) is not None and kind not in knob.kinds:
            raise ConfigError(
                N_("{flag} does not apply to {kind} data ({dataset}), only to {kinds}: leave it out"),
                flag=knob.flag,
                kind=kind,
                dataset=dataset,
                kinds=", ".join(sorted(knob.kinds)),
            )


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
    refuse_flags_of_other_kinds(args, ds.modality.kind, ds.name)
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
    from vae.service.cost import count_work, estimate, fmt_bytes
    from vae.training.trainer import resolve_device

    if resolve_device(cfg.train.device).type != "cpu":
        work = count_work(cfg, ds.modality, min(cfg.train.batch_size, len(ds.x_train)), len(ds.x_train))
        return (
            f"{work.flops / 1e9:.3g} GFLOP a step, {work.parameters / 1e6:.3g}M parameters, "
            f"{fmt_bytes(work.peak_bytes)} at the peak of a step (timings are taken on the CPU only)"
        )
    return estimate(cfg, ds.modality, len(ds.x_train), len(ds.x_test)).describe()


def cmd_ship(args) -> int:
    """Train every shipped model (vae.config.shipped.SHIPPED) with the command that makes it, or (``--reports``)
    compute again the reports stored in them, after a change of vae.analysis.reports.REPORTS_VERSION."""
    import time

    from vae.config.shipped import SHIPPED, SHIPPED_BY_NAME

    unknown = sorted(set(args.only or ()) - set(SHIPPED_BY_NAME))
    if unknown:
        raise ConfigError(f"not a shipped model: {', '.join(unknown)}; `python -m vae ship --list` names them")
    models = [m for m in SHIPPED if not args.only or m.name in args.only]
    if args.list:
        for m in models:
            print(m.command(args.dir))
        return 0
    start = time.monotonic()
    if args.reports:
        from vae.analysis.reports import refresh_reports

        for m in models:
            path = Path(args.dir) / f"{m.name}.safetensors"
            if not path.exists():
                raise ConfigError(f"{path} does not exist: `python -m vae ship --only {m.name}` trains it")
            print(f"{path}: computing its reports", file=sys.stderr)
            refresh_reports(path)
        print(f"vae ship --reports: {len(models)} models in {time.monotonic() - start:.0f} s", file=sys.stderr)
        return 0
    from vae.cli import main

    for m in models:
        print(m.command(args.dir), file=sys.stderr)
        status = main(["train", "--quiet", "--force", *m.train_args(args.dir)])
        if status:
            return status
    print(f"vae ship: {len(models)} models in {time.monotonic() - start:.0f} s", file=sys.stderr)
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
