"""Train: every knob of the backend, presets, and a live view of the training job."""

import streamlit as st

from ui import compute
from ui.i18n import error_text, message_text, tr, translate
from ui.knob_widgets import (
    form_config,
    form_presets,
    link_family_defaults,
    refused_link_values,
    set_values,
    url_problems,
)
from ui.models import quota_problem
from ui.owner import owner_id
from ui.train_form import changed_folded, data_source, knob_form
from ui.train_view import live_view, queue_table
from ui.training_queue import train_budget, training_queue
from vae.config.presets import PRESETS
from vae.errors import ConfigError, VAEError
from vae.service.cost import fmt_seconds, over_budget_message
from vae.service.jobs import checkpoint_name_error

st.title(tr("Train a VAE"))
queue = training_queue()
if queue.cluster_problem is not None:
    st.warning(error_text(queue.cluster_problem), icon=":material/lan:")
for problem in refused_link_values(url_problems(st.query_params.to_dict())):  # before any widget reads the link
    st.warning(problem, icon=":material/link_off:")
link_family_defaults(st.query_params.to_dict())

# ------------------------------------------------------------------ presets
c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
preset = c1.selectbox(
    tr("Start from a preset"),
    form_presets(),
    format_func=translate(),
    key="preset",
    help=tr("Fills in the form below; change anything before you start."),
)
c2.button(tr("Apply preset"), on_click=lambda: set_values(PRESETS[st.session_state["preset"]]), key="apply_preset")

# ------------------------------------------------------------------ the lesson knobs, Start, the rest folded
first, launch, live = st.container(border=True), st.container(), st.container()
raw, data_note = knob_form(first)
problem = data_source(raw, data_note)  # why Start cannot work, shown beside Start

config, estimate = None, None
try:
    config = form_config(raw)
except ConfigError as e:
    problem = problem or error_text(e)

with launch:
    budget = train_budget()
    if config is not None and problem is None:
        try:
            estimate = compute.cost_estimate(config.to_json())
        except VAEError as e:
            problem = error_text(e)  # what would not fit in this server, and what to reduce
    if estimate is not None:
        if budget is not None and estimate.total_seconds > budget:
            problem = message_text(over_budget_message(estimate, budget))
        else:
            st.caption(
                tr("Training takes {estimate}.", estimate=message_text(estimate.plain()))
                + (" " + tr("Limit per training: {limit}.", limit=fmt_seconds(budget)) if budget else ""),
                help=message_text(estimate.describe()),
            )
    if changed := changed_folded(raw):
        st.caption(tr("Also set under More settings: {changes}", changes=", ".join(changed)))
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    suggested = f"{raw['dataset']}-{raw['arch']}-z{raw['latent_dim']}-beta{raw['beta']:g}"
    name = (
        c1.text_input(
            tr("Model name"),
            key="name",
            placeholder=suggested,
            help=tr("Saved among the class's models; a taken name gets -2, -3... Empty = {name}", name=suggested),
        ).strip()
        or suggested
    )
    if problem is None and (bad_name := checkpoint_name_error(name)) is not None:
        problem = message_text(bad_name)
    problem = problem or quota_problem(1, 0, tidy_first=False)  # the models and room left; Start tidies and asks again
    start = c2.button(tr("Start training"), type="primary", key="start", disabled=problem is not None)
    if problem:
        st.error(tr("Cannot start: {why}", why=problem))
    elif start:
        try:
            job = queue.submit(config, name, owner=owner_id(), estimate=estimate)
            st.session_state["train_job"] = job.id
        except ConfigError as e:
            st.error(tr("Cannot start: {why}", why=error_text(e)))

# ------------------------------------------------------------------ live view
with live:
    if st.session_state.get("train_job") is not None:
        job = queue.get(st.session_state["train_job"])
        active = job is not None and job.active
        st.fragment(live_view, run_every=1.0 if active else None)(queue)
    queue_table(queue)
