"""The numbers of the gradient-flow lesson (pages/diagnose/gradient_flow.py): each model's recorded gradient flow
summed up (vae.analysis.gradient_flow), with the row names of its heat maps."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.i18n import tr
from vae.analysis.gradient_flow import flow_series, flow_summary
from vae.training.gradient_flow import activations, labels, layers


def flow_of(ck) -> tuple[dict[str, Any], list[str], list[str]] | None:
    """(series, layer names, activation names) of a model's stored gradient flow, or None when it has none. Names
    fall back to "layer 1", ... where the records do not match the model's layers."""
    series = flow_series(ck.history)
    if series is None:
        return None
    names = labels([n for n, _ in layers(ck.model)], tr)
    acts = labels([n for n, _ in activations(ck.model)], tr)
    width, act_width = len(series["grad_norm"][0]), len(series["dead"][0])
    if len(names) != width:
        names = [tr("layer {i}", i=i + 1) for i in range(width)]
    if len(acts) != act_width:
        acts = [tr("activation {i}", i=i + 1) for i in range(act_width)]
    return series, names, acts


def lesson_rows(models: dict[str, Any], roles) -> list[dict[str, Any]]:
    """One row per shipped model of the lesson: the first/last gradient ratio at the start and over the run, the
    largest dead share, the test -ELBO and the active units."""
    rows = []
    for role, ck in models.items():
        flow = flow_of(ck)
        if flow is None:
            continue
        s = flow_summary(flow[0])
        rows.append(
            {
                tr("model"): tr(roles[role].label),
                tr("first / last, first step"): s["start_ratio"],
                tr("first / last, median"): s["ratio"],
                tr("most dead units"): 100 * s["most_dead"],
                tr("test -ELBO"): ck.metrics["elbo"],
                tr("active units"): f"{ck.metrics['active_units']}/{ck.config.latent_dim}",
                tr("name"): ck.name,
            }
        )
    return rows


def formats() -> dict[str, Any]:
    """Ratios in three significant digits, the dead share as a percentage, nats to two decimals."""
    number = st.column_config.NumberColumn
    return {
        tr("first / last, first step"): number(format="%.3g"),
        tr("first / last, median"): number(format="%.3g"),
        tr("most dead units"): number(format="%.0f %%"),
        tr("test -ELBO"): number(format="%.2f"),
    }
