"""What the lesson pages share: their shipped models, the seed grid's settings and the buttons that open Train
with a remedy."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ui import defaults
from ui.i18n import tr
from ui.models import checkpoint_paths, load, set_current
from ui.widgets import open_train_with


def lesson_models(roles) -> dict[str, Any]:
    """role -> Checkpoint for each of the lesson's shipped models on this server (``vae.config.shipped``)."""
    paths = {p.stem: p for p in checkpoint_paths()}
    return {role: load(paths[r.model]) for role, r in roles.items() if r.model in paths}


def spread_caption(within: float, between: float, unit: str) -> str:
    """Under a "does the decoder use z?" grid: its two spreads (vae.analysis.explore.seed_grid_spread), of each
    ``unit`` ("pixel" or "step")."""
    if unit == "pixel":
        return tr(
            "pixel spread within a row (seeds) {within:.3f}, between rows (z) {between:.3f}",
            within=within,
            between=between,
        )
    return tr(
        "spread within a row (seeds) {within:.3f}, between rows (z) {between:.3f}", within=within, between=between
    )


def seed_grid_settings(prefix: str) -> tuple[int, int, int]:
    """Rows (different z), columns (seeds per z) and the seed of a "does the decoder use z?" grid."""
    c1, c2, c3 = st.columns(3)
    d = defaults.SEED_GRID
    n_z = c1.slider(tr("rows: different z"), 2, 6, d["n_z"], key=f"{prefix}_rows")
    n_seeds = c2.slider(tr("columns: seeds per z"), 2, 8, d["n_seeds"], key=f"{prefix}_cols")
    seed = c3.number_input(tr("seed"), 0, 10_000, d["seed"], key=f"{prefix}_seed")
    return n_z, n_seeds, int(seed)


def remedy_buttons(base, remedies: dict[str, dict[str, Any]], prefix: str, help_text: str) -> None:
    """One button per remedy (English label -> knob changes), side by side: each opens Train with ``base``'s
    settings and the change, the new model named after both ("...-free-bits-0-5")."""
    for col, (label, change) in zip(st.columns(len(remedies)), remedies.items()):
        if col.button(tr(label), key=f"{prefix}_{re.sub('[^a-z0-9]+', '_', label.lower())}", help=help_text):
            open_train_with(base.config, change, base.name, label.lower().removeprefix("train with "))


def train_like_buttons(models: dict[str, Any], labels: dict[str, str], prefix: str) -> None:
    """One button per model (role -> Checkpoint), labelled ``labels[role]``, in rows of four: each opens Train with
    that model's settings."""
    items = list(models.items())
    for start in range(0, len(items), 4):
        for col, (role, ck) in zip(st.columns(4), items[start : start + 4]):
            if col.button(
                labels[role], key=f"{prefix}_{role}", help=tr("Opens Train with {name}'s settings.", name=ck.name)
            ):
                open_train_with(ck.config, {}, ck.name, "mine")


def lesson_model_buttons(roles, models: dict[str, Any], current_name: str, prefix: str) -> None:
    """Under a lesson's table: a button per shipped model (``models``, role -> Checkpoint) that makes it current
    (``{prefix}_open_{role}``; none for the current one), then one per model that opens Train with its settings
    (``{prefix}_train_{role}``), and the commands that make them."""
    for role, r in roles.items():
        if role in models and r.model != current_name:
            if st.button(tr(r.label), key=f"{prefix}_open_{role}", help=tr("opens on {model}", model=r.model)):
                set_current(r.model)
                st.rerun()
    if models:
        st.markdown(tr("Train one yourself:"))
        train_like_buttons(models, {role: tr(r.label) for role, r in roles.items()}, f"{prefix}_train")
        lesson_command_lines(roles)


def lesson_command_lines(roles) -> None:
    """The commands that make a lesson's shipped models (vae.config.shipped)."""
    with st.expander(tr("The same from the command line")):
        st.code("\n".join(r.shipped.command("runs") for r in roles.values()), language="bash")


def report_cells(rep: dict, mutual_info: bool = False) -> dict[str, Any]:
    """A lesson table's columns from a model's collapse report: rate, distortion, IWAE -log p(x), active units
    (and I(x;z)), and the verdict; :func:`report_formats` formats them."""
    cells = {
        tr("rate (KL)"): rep["rate"],
        tr("distortion"): rep["distortion"],
        tr("-log p(x) (IWAE)"): rep["iwae_nll"],
        tr("active units"): f"{rep['active_units']}/{rep['latent_dim']}",
    }
    if mutual_info:
        cells["I(x;z)"] = rep["mutual_info"]
    return {**cells, tr("verdict"): tr(rep["verdict"])}


def report_formats() -> dict[str, Any]:
    """Two decimals for the nats of :func:`report_cells`."""
    return {
        k: st.column_config.NumberColumn(format="%.2f")
        for k in (tr("rate (KL)"), tr("distortion"), tr("-log p(x) (IWAE)"), "I(x;z)")
    }
