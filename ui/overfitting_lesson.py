"""The table of the capacity and overfitting lesson (pages/diagnose/overfitting.py): its shipped models, how far
each one's test -ELBO rose after its best epoch, and how much of the overfitted run's rise each remedy wins back."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import compute
from ui.i18n import tr
from ui.models import data_split
from vae.analysis.overfitting import noise_spread, overfitting, recovered
from vae.config.shipped import OVERFITTED
from vae.models.checkpoints import Checkpoint


@compute.cache_data(show_spinner=False, max_entries=16)
def dropout_noise(ck: Checkpoint) -> dict[str, float]:
    """:func:`vae.analysis.overfitting.noise_spread` on the model's first training pictures."""
    return noise_spread(ck.model, data_split(ck, "train")[1])


def lesson_rows(models: dict[str, Any], roles) -> list[dict[str, Any]]:
    """One row per model of the lesson: its best test -ELBO and epoch, the test -ELBO of the model it kept, the
    rise, the training -ELBO, and, for the remedies of the same run, the share of the overfitted run's rise they
    win back (:func:`vae.analysis.overfitting.recovered`)."""
    numbers = {role: overfitting(ck.history, ck.metrics) for role, ck in models.items()}
    base = numbers.get(OVERFITTED)
    rows = []
    for role, ck in models.items():
        of = numbers[role]
        if of is None:
            continue
        same_run = base is not None and role != OVERFITTED and ck.config.data == models[OVERFITTED].config.data
        share = recovered(base, of) if same_run else None
        rows.append(
            {
                tr("model"): tr(roles[role].label),
                tr("best test -ELBO"): of["best_test"],
                tr("best epoch"): of["best_epoch"],
                tr("test -ELBO of the model kept"): of["kept_test"],
                tr("rise after the best epoch"): of["rise"],
                tr("training -ELBO"): ck.history[-1]["train_elbo"],
                tr("rise won back"): None if share is None else 100 * share,
                tr("name"): ck.name,
            }
        )
    return rows


def lesson_formats() -> dict[str, Any]:
    """Two decimals for the nats, a percentage for the share won back."""
    number = st.column_config.NumberColumn
    nats = (tr("best test -ELBO"), tr("test -ELBO of the model kept"), tr("rise after the best epoch"))
    return {
        **{k: number(format="%.2f") for k in (*nats, tr("training -ELBO"))},
        tr("rise won back"): number(format="%.0f %%"),
    }
