"""``traverse``, ``interpolate``, ``sample`` and ``project``: pictures, tables of text and maps of a checkpoint."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from vae.cli.common import out_file, say_data_file
from vae.errors import ConfigError


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
    if ck.modality.textual:  # a column of decoded sequences per dimension, one row per offset
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
    if ck.modality.textual:
        return out_file(out, (".txt",)) if out else None
    if not out:
        raise ConfigError("--out FILE.png (or FILE.gif) is needed: this model draws images")
    return out_file(out, (".png", ".gif"))


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

    say_data_file(ck)
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
    if ck.modality.textual:  # the "homotopy" of Bowman et al. (2016): one decoded sequence per step
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
    if ck.modality.textual:
        return _sample_tokens(ck, args)
    if not args.out:
        raise ConfigError("--out FILE.png (or FILE.gif) is needed: this model draws images")
    out = out_file(args.out, (".png", ".gif"))
    x_ex = None
    if args.from_example is not None:
        _, x, _, _ = _example_split(ck, args, [args.from_example])
        x_ex = x[[args.from_example]]
    bar = None
    if ck.model.autoregressive and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=ck.x_shape[1], unit="row", desc="sampling pixel by pixel", leave=False)
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
        out = out_file(args.out, (".txt",))
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

    out = out_file(args.out, (".csv", ".html"))
    ck = load_checkpoint(args.checkpoint)
    say_data_file(ck)
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
