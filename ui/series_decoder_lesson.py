"""The series section of the Strong decoders page: WaveNet on the waves (vae.config.shipped LESSONS["series
decoders"]), the strong decoder of series beside the pixelcnn of pictures: the numbers, and a grid per model whose
rows are different z and whose columns are different step-by-step draws."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.lesson import lesson_model_buttons, lesson_models, report_cells, report_formats, spread_caption
from vae.models.checkpoints import Checkpoint
from vae.models.wavenet import receptive_field

GRID = {"n_z": 3, "n_seeds": 3, "seed": 0}  # rows of z, columns of draws: curves need room


def field(ck: Checkpoint) -> str:
    dec = ck.config.decoder
    if dec.arch == "wavenet":
        return tr("{steps} steps before", steps=receptive_field(len(dec.hidden), dec.kernel))
    return tr("none (steps independent given z)")


def rows(models: dict[str, Checkpoint], roles) -> list[dict[str, Any]]:
    out = []
    for role, ck in models.items():
        rep = compute.collapse_report(ck, defaults.IWAE_K)
        out.append(
            {
                tr("model"): tr(roles[role].label),
                tr("receptive field"): field(ck),
                tr("free bits"): ck.config.objective.free_bits,
                **report_cells(rep),
                tr("name"): ck.name,
            }
        )
    return out


def series_section(current_name: str) -> None:
    """The section: the table, the grids and a button per model (make it current, train it)."""
    from vae.config.shipped import LESSONS

    roles = LESSONS["series decoders"]
    models = lesson_models(roles)
    if not models:
        return
    st.subheader(tr("The same on series: WaveNet"))
    st.markdown(
        tr(
            "The waves (64 steps), the same 1-D convolutional encoder and training (a learned sigma, 150 epochs, "
            "beta = 1); only the decoder differs. A transposed-convolution decoder draws every step at once from "
            "$z$; **WaveNet** (van den Oord et al. 2016) draws each step from the steps before it with dilated "
            "causal convolutions, $p(x\\mid z) = \\prod_t p(x_t \\mid x_{<t}, z)$. It continues a wave from its "
            "own past, so $z$ carries less: its rate is about half the CNN decoder's, at a better likelihood. Free "
            "bits (2 nats a dimension) make $z$ cheap and bring part of it back. A receptive field of 4 steps does "
            "not: that WaveNet learns the waves worse and uses $z$ less still (here $z$ reaches it only as a bias "
            "per layer, so a short decoder cannot turn it into a whole wave)."
        )
    )
    st.dataframe(
        rows(models, roles),
        hide_index=True,
        key="series_table",
        column_config=report_formats() | {tr("free bits"): st.column_config.NumberColumn(format="%g")},
    )
    st.caption(tr("Nats per test series: a density of real values, comparable within this table only."))
    for col, (role, ck) in zip(st.columns(len(models)), models.items()):
        with col:
            fig, within, between = compute.seed_grid_view(ck, width_px=defaults.SEED_GRID_PX, **GRID)
            st.markdown(f"**{tr(roles[role].label)}**  \n`{ck.name}`")
            st.plotly_chart(fig, key=f"series_grid_{role}")
            st.caption(spread_caption(within, between, "step"))
    lesson_model_buttons(roles, models, current_name, "series")


def warm(languages) -> None:
    from vae.config.shipped import LESSONS

    for ck in lesson_models(LESSONS["series decoders"]).values():
        compute.collapse_report(ck, defaults.IWAE_K)
        compute.seed_grid_view(ck, width_px=defaults.SEED_GRID_PX, **GRID)
