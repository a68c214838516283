"""What the page tests share: opening the app headlessly (AppTest) and reading what it shows."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


def open_app(page: str | None = None, model: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    if page:
        from ui.navigation import PAGE

        at.switch_page(PAGE[page]).run()
    if model:
        at.sidebar.selectbox(key="model").select(model).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def home_models(at):
    """Every model row of Home's tables (one table per data set and kind of likelihood), as one DataFrame."""
    import pandas as pd

    return pd.concat([t.value for t in at.table], ignore_index=True)


def charts(at) -> dict[str, dict]:
    """Plotly figures on the page by widget key (the element id ends in the key)."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[el.proto.id.rsplit("-", 1)[-1] if el.proto.id else str(len(out))] = spec
    return out


def chart(at, key: str) -> dict:
    found = [spec for k, spec in charts(at).items() if k.endswith(key)]
    assert found, f"no chart {key!r}; have {list(charts(at))}"
    return found[0]


def arr(v) -> np.ndarray:
    """A figure array as numbers: Plotly 7 writes numpy arrays as base64 ``bdata``."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        if isinstance(shape, str):  # a 2-D array's shape is written as "5, 4"
            shape = [int(t) for t in shape.split(",")]
        return a.reshape(shape) if shape is not None else a
    return np.asarray(v)


def images_in(spec: dict) -> int:
    """Pictures in a figure: the cells of an image mosaic (corners in layout.meta), else one per image trace."""
    corners = spec["layout"].get("meta", {}).get("corners") if isinstance(spec["layout"].get("meta"), dict) else None
    return len(corners) if corners is not None else sum(t.get("type") == "image" for t in spec["data"])


def wait_until(at, predicate, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        if predicate(at):
            return at
        time.sleep(0.3)
    raise AssertionError("timed out waiting for the page")


def lesson_text_models(folder: Path) -> None:
    """The three name models of the Strong decoders page's text lesson, untrained, saved into ``folder``."""
    import torch

    from tests.test_sequences import seq_config
    from vae.data.modality import Tokens
    from vae.data.names import LENGTH, VOCAB
    from vae.models.checkpoints import save_checkpoint
    from vae.models.vae import VAE

    for name, decoder in [
        ("names-mlp-decoder", "mlp"),
        ("names-gru-decoder", "gru"),
        ("names-gru-word-dropout-free-bits", "gru"),
    ]:
        torch.manual_seed(0)
        cfg = seq_config(decoder=decoder, word_dropout=0.5 if "word" in name else 0.0)
        save_checkpoint(folder / f"{name}.safetensors", VAE(cfg, Tokens((LENGTH,), VOCAB)))


def lesson_likelihood_models(folder: Path, lessons: tuple[str, ...] = ("likelihood", "hidden beta")) -> None:
    """The models of ``lessons`` (by default the output-layer and likelihood lesson and its sweep), each with its
    shipped flags (but the epochs) over a tiny digits model trained for two epochs, saved into ``folder`` under
    the shipped names."""
    from tests.conftest import tiny_config
    from vae.cli.parser import build_parser
    from vae.config.knobs import KNOBS
    from vae.config.shipped import LESSONS
    from vae.config.values import apply
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    for roles in (LESSONS[lesson] for lesson in lessons):
        for r in roles.values():
            args = build_parser().parse_args(["train", *r.shipped.flags])
            flags = {k: getattr(args, k) for k in KNOBS if getattr(args, k, None) is not None and k != "epochs"}
            result = train(apply(tiny_config(), flags).validate())
            save_checkpoint(
                folder / f"{r.model}.safetensors", result.model, result.history, result.metrics, dataset=result.dataset
            )


def tiny_shipped_models(folder: Path, names) -> None:
    """Each shipped model of ``names`` (vae.config.shipped) from its own preset and flags, but on the 8x8
    digits (16 x 16 sprites for a sprites model; the waves as they are), with networks of at most 32 units
    and one epoch, saved into ``folder`` under its name; the text lesson's name models as
    :func:`lesson_text_models` makes them."""
    from dataclasses import replace

    from vae.cli.train import shipped_config
    from vae.config.shipped import SHIPPED_BY_NAME
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    names, text_lesson = set(names), {"names-mlp-decoder", "names-gru-decoder", "names-gru-word-dropout-free-bits"}
    if names & text_lesson:
        lesson_text_models(folder)
    for name in sorted(names - text_lesson):
        cfg = shipped_config(SHIPPED_BY_NAME[name])
        small = {"sprites": {"name": "sprites", "size": 16, "num": 500}, "waves": {}, "names": {}}.get(
            cfg.data.name, {"name": "digits"}
        )
        cfg.data = replace(cfg.data, train_size=0, **small)
        cfg.train.epochs, cfg.train.early_stopping, cfg.train.device = 1, False, "cpu"
        for net in (cfg.encoder, cfg.decoder):
            net.hidden = [min(h, 32) for h in net.hidden]
        result = train(cfg.validate())
        save_checkpoint(
            folder / f"{name}.safetensors", result.model, result.history, result.metrics, dataset=result.dataset
        )
