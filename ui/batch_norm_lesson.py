"""The numbers and pictures of the batch-norm lesson (pages/diagnose/batch_norm.py): one test example scored in
several batches, in training and in evaluation mode (vae.analysis.batch_coupling), for the current model and the
lesson's shipped models."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from ui import compute
from ui.i18n import tr
from ui.models import data_split
from vae.analysis.batch_coupling import EVAL, batch_coupling, train_mode_gap
from vae.figures.examples import examples_figure
from vae.figures.plots import PAGE_PX
from vae.i18n import N_, translator
from vae.models.checkpoints import Checkpoint

CONTEXT_LABELS = {  # vae.analysis.batch_coupling.CONTEXTS, as the page names them
    "same class": N_("with 127 of its class"),
    "random": N_("with 127 random"),
    "blank": N_("with 127 blank"),
    "pair": N_("with 1 random"),
}


@compute.cache_data(show_spinner=False, max_entries=32)
def coupling(ck: Checkpoint, index: int) -> dict[str, Any]:
    """:func:`vae.analysis.batch_coupling.batch_coupling` of test example ``index``, its pictures as arrays."""
    _, x, y, _ = data_split(ck, "test")
    c = batch_coupling(ck.model, x, y, index)
    rows = [{**r, "picture": r["picture"].cpu().numpy()} for r in c["rows"]]
    return {**c, "rows": rows, "x": x[index].cpu().numpy()}


@compute.cache_data(show_spinner=False, max_entries=32)
def test_gap(ck: Checkpoint) -> dict[str, float]:
    """:func:`vae.analysis.batch_coupling.train_mode_gap` of the test split, in batches of the training size."""
    return train_mode_gap(ck.model, data_split(ck, "test")[1], ck.config.train.batch_size)


def label(row: dict[str, Any], t=tr) -> str:
    """A row's batch, as the page names it: "with 127 of its class" in training mode, "evaluation mode"."""
    return t(EVAL) if row["mode"] == EVAL else t(CONTEXT_LABELS[row["context"]])


@compute.cache_data(show_spinner=False, max_entries=32)
def pictures_view(ck: Checkpoint, index: int, lang: str) -> dict:
    """The example, then its reconstruction E[x|z=mu] in each batch in training mode and once in evaluation mode
    (the same in every batch), each under its -ELBO: a figure spec in language ``lang``."""
    t = translator(lang)
    c = coupling(ck, index)
    shown = [r for r in c["rows"] if r["mode"] != EVAL] + [next(r for r in c["rows"] if r["mode"] == EVAL)]
    titles = ["x", *(f"{label(r, t)}<br>-ELBO {r['elbo']:.1f}" for r in shown)]
    fig = examples_figure(
        ck.modality,
        np.stack([c["x"], *(r["picture"] for r in shown)]),
        ncols=len(titles),
        titles=titles,
        title=t(N_("Reconstructed inside each batch (training mode), then in evaluation mode")),
        width_px=PAGE_PX,
    )
    return compute.spec(fig)


def context_rows(c: dict[str, Any]) -> list[dict[str, Any]]:
    """One table row per batch and mode of :func:`coupling`."""
    return [
        {
            tr("batch"): label(r),
            tr("mode"): tr(r["mode"]),
            tr("batch size"): r["batch_size"],
            "-ELBO": r["elbo"],
            tr("reconstruction"): r["reconstruction"],
            "KL": r["kl"],
        }
        for r in c["rows"]
    ]


def lesson_rows(models: dict[str, Checkpoint], roles) -> list[dict[str, Any]]:
    """One row per shipped model of the lesson: test example 0's spread over the batches in each mode, and the
    test split's -ELBO in evaluation mode and its training-mode gap."""
    rows = []
    for role, ck in models.items():
        c, gap = coupling(ck, 0), test_gap(ck)
        rows.append(
            {
                tr("model"): tr(roles[role].label),
                tr("spread, training mode"): c["spread_train"],
                tr("spread, evaluation mode"): c["spread_eval"],
                tr("test -ELBO"): gap["eval"],
                tr("training-mode gap"): gap["gap"],
                tr("name"): ck.name,
            }
        )
    return rows


def formats() -> dict[str, Any]:
    """Two decimals for the nats (four for the spreads, whose point is how close to 0 they are)."""
    number = st.column_config.NumberColumn
    two = ("-ELBO", tr("reconstruction"), "KL", tr("test -ELBO"), tr("training-mode gap"))
    return {
        **{k: number(format="%.2f") for k in two},
        **{k: number(format="%.4f") for k in (tr("spread, training mode"), tr("spread, evaluation mode"))},
    }


def warm(languages) -> None:
    """Compute what the page draws on a first visit (ui/warmup.py calls it once per server)."""
    from ui.lesson import lesson_models
    from vae.config.shipped import LESSONS

    for ck in lesson_models(LESSONS["batch norm"]).values():
        test_gap(ck)
        for lang in languages:
            pictures_view(ck, 0, lang)
