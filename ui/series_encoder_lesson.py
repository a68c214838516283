"""The series section of How good is the encoder?: the chapter's sequence encoders on the waves (vae.config.shipped
LESSONS["series encoders"]). The same 1-D CNN decoder and training, three encoders: a 1-D CNN, a GRU, a Transformer;
then a GRU as the decoder too. The numbers from each model's stored report, the gap between its ELBO and its IWAE
bound, and every model's reconstruction of the same test series drawn over it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.lesson import lesson_model_buttons, lesson_models, report_cells, report_formats
from vae.figures.curves import reconstruction_overlay
from vae.models.checkpoints import Checkpoint

SHOWN = (0, 1, 2)  # the test series every model reconstructs, side by side


def inference_gap(rep: dict) -> float:
    """-ELBO - (-log p(x)) with log p(x) by the IWAE bound: log p(x) - ELBO, the nats the encoder's q(z|x) loses
    against the true posterior (approximation and amortization gaps together; the bound is under log p(x), so
    the true gap is a little larger)."""
    return rep["elbo"] - rep["iwae_nll"]


def rows(models: dict[str, Checkpoint], roles) -> list[dict[str, Any]]:
    out = []
    for role, ck in models.items():
        rep = compute.collapse_report(ck, defaults.IWAE_K)
        out.append(
            {
                tr("model"): tr(roles[role].label),
                tr("encoder"): ck.config.encoder.arch,
                tr("decoder"): ck.config.decoder.arch,
                tr("parameters"): sum(p.numel() for p in ck.model.encoder.parameters()),
                "-ELBO": rep["elbo"],
                **report_cells(rep),
                tr("log p(x) - ELBO"): inference_gap(rep),
                tr("name"): ck.name,
            }
        )
    return out


def series_encoder_section(current_name: str) -> None:
    """The section: the table, each model's reconstructions and a button per model (make it current, train it)."""
    from vae.config.shipped import LESSONS

    roles = LESSONS["series encoders"]
    models = lesson_models(roles)
    if not models:
        return
    st.subheader(tr("Encoders of series: convolution, recurrence, attention"))
    st.markdown(
        tr(
            "The waves (64 steps), the same 1-D CNN decoder and training (a learned sigma, 150 epochs, beta = 1); "
            "only the encoder differs. The **1-D CNN** reads windows of 4 steps, halving the series at each stage; "
            "the **GRU** reads it step by step, carrying a state; the **Transformer** lets every step attend to "
            "every other. On these short, smooth waves the CNN encoder wins: a tighter ELBO by 25 to 40 nats and "
            "the smallest gap to log p(x) (seeds 1 and 2). A sequence encoder is not better by itself. The last "
            "model uses a GRU as the decoder too: autoregressive, like WaveNet, it ignores z (rate 0)."
        )
    )
    st.dataframe(
        rows(models, roles),
        hide_index=True,
        key="series_encoders_table",
        column_config=report_formats()
        | {k: st.column_config.NumberColumn(format="%.2f") for k in ("-ELBO", tr("log p(x) - ELBO"))},
    )
    st.caption(
        tr(
            "Nats per test series: a density of real values, comparable within this table only. parameters: the "
            "encoder's. log p(x) - ELBO: the ELBO's gap to the IWAE bound (k = {k}), what the encoder's q(z|x) "
            "loses against the true posterior.",
            k=defaults.IWAE_K,
        )
    )
    recs = {role: compute.reconstructions(ck, "test", SHOWN, 0) for role, ck in models.items()}
    first = next(iter(recs.values()))
    fig = reconstruction_overlay(
        first.original,
        {tr(roles[role].label): r.mean for role, r in recs.items()},
        [tr("test series #{i}", i=i) for i in SHOWN],
        tr=tr,
    )
    st.plotly_chart(fig, key="series_encoder_reconstructions")
    st.caption(
        tr(
            "Grey: the test series. Coloured: each model's reconstruction from the mean of its q(z|x) (a GRU "
            "decoder's is a draw with a fixed seed: it has no closed-form mean)."
        )
    )
    lesson_model_buttons(roles, models, current_name, "series_enc")


def warm(languages) -> None:
    from vae.config.shipped import LESSONS

    for ck in lesson_models(LESSONS["series encoders"]).values():
        compute.collapse_report(ck, defaults.IWAE_K)
        compute.reconstructions(ck, "test", SHOWN, 0)
