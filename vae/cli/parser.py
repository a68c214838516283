"""The command line's flags: one sub-command each; ``train`` takes a flag per knob (:mod:`vae.config.knobs`)."""

from __future__ import annotations

import argparse
import re

from vae.analysis.explore import INTERPOLATION_PATHS
from vae.config.knobs import KNOBS
from vae.errors import ConfigError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``error: ...``; and a value that starts like a negative number
    (``--data-range -1,1``) is a value, as in Python 3.12's argparse, not an unknown flag."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str):  # type: ignore[override]
        raise ConfigError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m vae", description="Train, evaluate and inspect variational autoencoders.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a VAE and save it as a .safetensors checkpoint")
    t.add_argument("--config", help="JSON file with the configuration; flags override it")
    t.add_argument("--preset", help="start from a named experiment (see `python -m vae presets`); flags override it")
    for dest, knob in KNOBS.items():
        flag = knob.flag
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

    en = sub.add_parser("encode", help="write the posterior means and sds of a split, with its labels, to a .npz")
    en.add_argument("checkpoint")
    en.add_argument("--split", choices=["train", "test"], default="test")
    en.add_argument("--out", required=True, help="FILE.npz: mu, sd, labels (and factors, factor_names)")
    en.add_argument("--device", default="auto")
    en.add_argument("--data-root", help="folder holding torchvision datasets")

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
    ip.add_argument("--method", choices=list(INTERPOLATION_PATHS), default="linear")
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

    sh = sub.add_parser(
        "ship", help="train the shipped models (what `make checkpoints` runs); the total time is printed"
    )
    sh.add_argument("--dir", default="checkpoints", help="folder to write them into (default: checkpoints)")
    sh.add_argument("--only", nargs="+", metavar="NAME", help="train only these shipped models")
    sh.add_argument("--list", action="store_true", help="print the train command of each model; train nothing")
    sh.add_argument(
        "--reports", action="store_true", help="compute again the reports stored in the shipped models; train nothing"
    )

    d = sub.add_parser("datasets", help="list the datasets and whether they are available offline")
    d.add_argument("--data-root", help="folder holding torchvision datasets")
    d.add_argument("--json", action="store_true")
    return p
