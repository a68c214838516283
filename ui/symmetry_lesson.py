"""The symmetry section of the Strong decoders page: the CNN on MNIST with a narrower, the mirrored and a wider
decoder (vae.config.shipped LESSONS["symmetry"]), their numbers (vae.analysis.symmetry) and prior samples."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import compute
from ui.i18n import language, tr
from ui.lesson import lesson_models, train_like_buttons
from ui.models import data_split
from vae.analysis.symmetry import SAMPLES, symmetry_row
from vae.models.checkpoints import Checkpoint

N_SHOWN = 16


@compute.cache_data(show_spinner=False, max_entries=16)
def numbers(ck: Checkpoint) -> dict[str, Any]:
    """:func:`vae.analysis.symmetry.symmetry_row` against the model's test pictures."""
    return symmetry_row(ck.model, ck.metrics, data_split(ck, "test")[1])


def rows(models: dict[str, Checkpoint], roles) -> list[dict[str, Any]]:
    out = []
    for role, ck in models.items():
        n = numbers(ck)
        out.append(
            {
                tr("model"): tr(roles[role].label),
                tr("encoder parameters"): n["encoder"],
                tr("decoder parameters"): n["decoder"],
                "-ELBO": n["elbo"],
                tr("distortion"): n["distortion"],
                tr("rate (KL)"): n["rate"],
                tr("sharpness of samples"): n["sharpness"],
                tr("name"): ck.name,
            }
        )
    return out


def formats() -> dict[str, Any]:
    number = st.column_config.NumberColumn
    return {
        **{k: number(format="%.2f") for k in ("-ELBO", tr("distortion"), tr("rate (KL)"))},
        tr("sharpness of samples"): number(format="%.3f"),
        **{k: number(format="localized") for k in (tr("encoder parameters"), tr("decoder parameters"))},
    }


def symmetry_section() -> None:
    """The section: a table of the three models, the chosen one's prior samples, a button per model for Train."""
    from vae.config.shipped import LESSONS

    roles = LESSONS["symmetry"]
    models = lesson_models(roles)
    if not models:
        return
    st.subheader(tr("Symmetry is common, not required"))
    st.markdown(
        tr(
            "The decoder often mirrors the encoder, but it need not: when the samples matter, make it stronger. "
            "The same CNN encoder on MNIST with a narrower, the mirrored and a wider decoder, 15 epochs each. "
            "Sharpness: the pixel variance of {n} prior samples over the data's (0: every sample the same grey "
            "blur; 1: as varied as the data). Made strong enough, and autoregressive, a decoder stops using z (above).",
            n=SAMPLES,
        )
    )
    st.dataframe(rows(models, roles), hide_index=True, key="sym_table", column_config=formats())
    role = st.radio(tr("model"), list(models), format_func=lambda r: tr(roles[r].label), horizontal=True, key="sym")
    fig, _ = compute.prior_samples_view(models[role], N_SHOWN, 1.0, 0, language())
    st.plotly_chart(fig, key="sym_samples")
    train_like_buttons(models, {r: tr(roles[r].label) for r in models}, "sym_train")


def warm(languages) -> None:
    from vae.config.shipped import LESSONS

    for ck in lesson_models(LESSONS["symmetry"]).values():
        numbers(ck)
        for lang in languages:
            compute.prior_samples_view(ck, N_SHOWN, 1.0, 0, lang)
