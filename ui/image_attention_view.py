"""The Samples page's attention section for an image model whose encoder or decoder has a self-attention block
(vae/models/attention.py): a test image, the cell a reader clicks, and where that cell looks, over the image the
network reads (the encoder) or draws (the decoder); then the lesson's table (vae.config.shipped
LESSONS["image attention"]): the same CNN without and with the blocks, from each model's stored report, with how
far each block looks on average."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.lesson import lesson_model_buttons, lesson_models, report_cells, report_formats
from ui.models import split_or_stop
from ui.widgets import selected_custom
from vae.analysis.explore import cell_weights, query_cell, uniform_beyond, weight_beyond_neighbours
from vae.figures.image_attention import image_attention_figure
from vae.i18n import N_
from vae.models.attention import attention_block

STATISTICS = {  # vae.analysis.explore.attention_reach's numbers, as the lesson table heads them
    "beyond": N_("{network}: weight beyond the neighbours"),
    "cells": N_("{network}: cells a head looks at"),
}
PIXEL_KEY = "_img_att_pixel"  # the pixel (row, column) whose cell the reader last clicked


def attention_networks(ck) -> list[str]:
    """The networks of an image model that have an attention block."""
    if ck.modality.kind != "image":
        return []
    return [w for w in ("encoder", "decoder") if getattr(ck.config, w).attention]


def rows(models: dict[str, Any], roles) -> list[dict[str, Any]]:
    """A row per model of the lesson: its heads, -ELBO and report cells, and its blocks' mean reach."""
    out = []
    for role, m in models.items():
        rep = compute.collapse_report(m, defaults.IWAE_K)
        reach = compute.attention_reach(m) if attention_networks(m) else {}
        out.append(
            {
                tr("model"): tr(roles[role].label),
                tr("attention heads"): m.config.encoder.attention,
                "-ELBO": rep["elbo"],
                **report_cells(rep),
                **{
                    tr(label, network=tr(w)): reach[w][stat] if w in reach else None
                    for w in ("encoder", "decoder")
                    for stat, label in STATISTICS.items()
                },
                tr("name"): m.name,
            }
        )
    return out


def lesson_table(ck) -> None:
    """The lesson's shipped models side by side, and a button per model."""
    from vae.config.shipped import LESSONS

    roles = LESSONS["image attention"]
    models = lesson_models(roles)
    if not models:
        return
    grid = (attention_block(ck.model.encoder) or attention_block(ck.model.decoder)).grid  # the current model's
    st.dataframe(
        rows(models, roles),
        hide_index=True,
        key="img_att_table",
        column_config=report_formats()
        | {"-ELBO": st.column_config.NumberColumn(format="%.2f")}
        | {
            tr(label, network=tr(w)): st.column_config.NumberColumn(format="%.2f" if stat == "beyond" else "%.1f")
            for w in ("encoder", "decoder")
            for stat, label in STATISTICS.items()
        },
    )
    st.caption(
        tr(
            "Nats per test image, comparable within this table (the same data and Bernoulli likelihood). Over {n} "
            "test images and every cell: the weight beyond the neighbours is the share of the heads' mean a 3 x 3 "
            "convolution could not read ({far:.2f} for uniform weights), and the cells a head looks at are the "
            "perplexity of its weights ({cells} for uniform weights, 1 for a single cell).",
            n=compute.ATTENTION_IMAGES,
            far=uniform_beyond(grid),
            cells=grid[0] * grid[1],
        )
    )
    lesson_model_buttons(roles, models, ck.name, "img_att")


def image_attention_section(ck) -> None:
    """The section: a test example, a head (or their mean), the figure, and how far each block looks."""
    networks = attention_networks(ck)
    if not networks:
        return
    st.subheader(tr("Where the attention looks"))
    st.markdown(
        tr(
            "At its coarsest feature map each block lets every cell read every other, however far: a 3 x 3 "
            "convolution reads only its neighbours. **Click a cell**: the colours are its weights over the grid "
            "(they sum to 1). A block that learned something looks at the strokes that matter from that cell, "
            "near or far; a block that stays uniform or only looks at itself adds little to the convolutions. "
            "Then compare the table: the blocks gain little (a nat or two of -log p(x)), because the CNN's dense "
            "layer between the 7 x 7 map and $z$ already joins every cell; attention pays where no such layer "
            "does, in larger images and fully convolutional networks."
        )
    )
    c1, c2 = st.columns(2)
    _, x_test, _, _ = split_or_stop(ck, "test")
    which = c1.number_input(
        tr("test example (0..{last})", last=len(x_test) - 1), 0, len(x_test) - 1, 0, key="img_att_example"
    )
    heads = min(getattr(ck.config, w).attention for w in networks)
    chosen = c2.selectbox(
        tr("head"),
        range(-1, heads),  # -1: their mean
        format_func=lambda h: tr("the mean of the heads") if h < 0 else tr("head {k}", k=h + 1),
        key="img_att_head",
    )
    head = None if chosen < 0 else int(chosen)
    att = compute.image_attention(ck, "test", int(which))
    side = tuple(x_test.shape[-2:])
    pixel = st.session_state.get(PIXEL_KEY, (side[0] // 2, side[1] // 2))
    event = st.plotly_chart(
        image_attention_figure(att, pixel, head, tr=tr), key="img_att", on_select="rerun", selection_mode="points"
    )
    picked = [tuple(int(v) for v in c[:2]) for c in selected_custom(event)]
    if picked and picked[0] != pixel:
        st.session_state[PIXEL_KEY] = picked[0]
        st.rerun()
    cols = st.columns(len(networks))
    for col, w in zip(cols, networks, strict=True):
        cell = query_cell(att.grid[w], side, pixel)
        r, c = divmod(cell, att.grid[w][1])
        col.metric(
            tr("{network}: beyond the 3 x 3", network=tr(w)),
            f"{weight_beyond_neighbours(cell_weights(att.weights[w], cell, head), att.grid[w], cell):.2f}",
            help=tr(
                "The share of cell ({row}, {col})'s attention on cells a 3 x 3 convolution at this {h} x {w} grid "
                "could not read; uniform weights give {uniform:.2f} at the centre.",
                row=r,
                col=c,
                h=att.grid[w][0],
                w=att.grid[w][1],
                uniform=1 - 9 / (att.grid[w][0] * att.grid[w][1]),
            ),
        )
    lesson_table(ck)


def warm(languages) -> None:
    from vae.config.shipped import LESSONS

    for m in lesson_models(LESSONS["image attention"]).values():
        compute.collapse_report(m, defaults.IWAE_K)
        if attention_networks(m):
            compute.attention_reach(m)
            compute.image_attention(m, "test", 0)
