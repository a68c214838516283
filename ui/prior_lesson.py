"""The prior's section of the Samples page: for a 2-D latent, p(z) with the data's codes over it, and the shipped
model with each prior (vae.config.shipped LESSONS["priors"]) on one scale."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import compute, defaults
from ui.i18n import language, tr
from ui.lesson import lesson_model_buttons, lesson_models, report_formats
from vae.models.checkpoints import Checkpoint


def prior_rows(models: dict[str, Checkpoint], roles) -> list[dict[str, Any]]:
    """-ELBO, IWAE -log p(x) and rate of each model of the lesson (their stored reports)."""
    rows = []
    for role, ck in models.items():
        rep = compute.collapse_report(ck, defaults.IWAE_K)
        rows.append(
            {
                tr("prior"): tr(roles[role].label),
                "-ELBO": rep["elbo"],
                tr("-log p(x) (IWAE)"): rep["iwae_nll"],
                tr("rate (KL)"): rep["rate"],
                tr("name"): ck.name,
            }
        )
    return rows


def prior_section(ck: Checkpoint) -> None:
    """The section (the module's docstring); nothing for a latent of another size."""
    from vae.config.shipped import LESSONS

    if ck.config.latent_dim != 2:
        return
    st.subheader(tr("The prior and the codes"))
    st.plotly_chart(compute.prior_map_view(ck, language()), key="prior_map")
    st.caption(
        tr(
            "Samples come from where p(z) has mass. Under N(0, I) the mass between the classes' codes decodes to "
            "blends no digit looks like; a learned prior (the VampPrior, a flow) can follow the codes instead."
        )
    )
    roles = LESSONS["priors"]
    models = lesson_models(roles)
    if len(models) > 1:
        formats = report_formats() | {"-ELBO": st.column_config.NumberColumn(format="%.2f")}
        st.dataframe(prior_rows(models, roles), hide_index=True, key="prior_table", column_config=formats)
        st.caption(tr("The same MLP with a 2-D latent on MNIST, 30 epochs, with each prior: nats per test picture."))
        lesson_model_buttons(roles, models, ck.name, "prior")
