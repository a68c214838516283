"""The flow section of the Strong decoders page: a flow in the decoder (vae.config.shipped LESSONS["flow decoder"]).
The waves' 1-D CNN decoder, a Gaussian per step, against the same decoder carried through affine couplings
conditioned on z (vae/models/flow_decoder.py): the numbers from each model's stored report, what its draws add to
its mean (vae.analysis.explore.draw_noise), and a draw of each over the same test series."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.lesson import lesson_model_buttons, lesson_models, report_cells, report_formats
from vae.figures.curves import reconstruction_overlay
from vae.models.checkpoints import Checkpoint

SHOWN = (0, 1, 2)  # the test series each model draws, side by side


def rows(models: dict[str, Checkpoint], roles) -> list[dict[str, Any]]:
    out = []
    for role, ck in models.items():
        rep = compute.collapse_report(ck, defaults.IWAE_K)
        noise = compute.draw_noise(ck)
        dec = ck.config.decoder
        out.append(
            {
                tr("model"): tr(roles[role].label),
                tr("couplings"): dec.couplings if dec.arch == "flow" else 0,
                "-ELBO": rep["elbo"],
                **report_cells(rep),
                tr("noise sd"): noise["sd"],
                tr("noise correlation a step apart"): noise["lag1"],
                tr("name"): ck.name,
            }
        )
    return out


def flow_decoder_section(current_name: str) -> None:
    """The section: the table, a draw of each model over the same series, a button per model."""
    from vae.config.shipped import LESSONS

    roles = LESSONS["flow decoder"]
    models = lesson_models(roles)
    if not models:
        return
    st.subheader(tr("A flow in the decoder"))
    st.markdown(
        tr(
            "The same waves, encoder and training. The 1-D CNN decoder draws each step on its own given $z$: a "
            "Gaussian per step, its noise independent from one step to the next. The **flow decoder** carries "
            "that Gaussian through 4 affine couplings conditioned on $z$ (RealNVP on the time axis), so that "
            "$p(x\\mid z)$ can tie neighbouring steps together; its density stays exact by the change of "
            "variables, and a draw is still one pass. Look at the two noise columns and at the draws: the flow's "
            "noise moves neighbouring steps together, the Gaussian's does not. Its -log p(x) is lower while the "
            "rate stays about the same: the couplings model the noise, and z still carries the wave."
        )
    )
    st.dataframe(
        rows(models, roles),
        hide_index=True,
        key="flow_decoder_table",
        column_config=report_formats()
        | {
            k: st.column_config.NumberColumn(format="%.2f")
            for k in ("-ELBO", tr("noise sd"), tr("noise correlation a step apart"))
        },
    )
    st.caption(
        tr(
            "Nats per test series: a density of real values, comparable within this table only. Noise: draws "
            "x ~ p(x|z) at z = E[q(z|x)] minus the decoder's mean, over {n} test series (a flow decoder's mean "
            "is f(mu(z)), the base's mean through the flow); its correlation a step apart is about 0 for "
            "independent steps.",
            n=compute.NOISE_SERIES,
        )
    )
    recs = {role: compute.reconstructions(ck, "test", SHOWN, 0) for role, ck in models.items()}
    first = next(iter(recs.values()))
    fig = reconstruction_overlay(
        first.original,
        {tr(roles[role].label): r.sample for role, r in recs.items()},
        [tr("test series #{i}", i=i) for i in SHOWN],
        tr=tr,
    )
    st.plotly_chart(fig, key="flow_decoder_draws")
    st.caption(tr("Grey: the test series. Coloured: one draw x ~ p(x|z), z ~ q(z|x), of each model."))
    lesson_model_buttons(roles, models, current_name, "flow_dec")


def warm(languages) -> None:
    from vae.config.shipped import LESSONS

    for ck in lesson_models(LESSONS["flow decoder"]).values():
        compute.collapse_report(ck, defaults.IWAE_K)
        compute.draw_noise(ck)
        compute.reconstructions(ck, "test", SHOWN, 0)
