"""Disentanglement: which latent holds which factor, the metrics across models, and a beta-TCVAE to train."""

import math

import numpy as np
import streamlit as st

from ui import compute
from ui.disentanglement_view import every_model_with_factors, scores_panel
from ui.i18n import error_text, language, message_text, tr
from ui.models import checkpoint_paths, current_path, load, model_summaries
from ui.owner import owner_id
from ui.training_queue import training_queue
from vae.analysis.disentanglement.mig import BINS as MIG_BINS
from vae.config.datasets import DATASETS, has_factors
from vae.config.presets import PRESETS, preset_config
from vae.config.shipped import LESSONS
from vae.figures.plots import mi_heatmap

TCVAE = LESSONS["disentanglement"]["tcvae"]  # the shipped beta-TCVAE, made from its preset
TCVAE_PRESET = TCVAE.shipped.preset
FACTOR_DATASETS = [d.name for d in DATASETS.values() if d.has_factors]
MI_SCALE = math.log(MIG_BINS)  # the most a 20-bin code can share with a factor: one colour scale for every model

st.title(tr("Disentanglement"))
st.markdown(
    tr(
        "A code is *disentangled* when each generative factor of the data (shape, scale, rotation, x, y) lives in a "
        "latent of its own. Larger beta gives a simpler code, but the plain beta-VAE pays for it in reconstruction; "
        "**beta-TCVAE** (Chen et al. 2018) and **FactorVAE** (Kim & Mnih 2018) penalise only the *total correlation* "
        "between the latents. Scores need data with known factors ({names}).",
        names=", ".join(f"`{d}`" for d in FACTOR_DATASETS),
    )
)
st.caption(
    tr(
        "About `sprites`: 32x32 shapes drawn with numpy, every factor independent and uniform. On purpose, y moves "
        "over only 0.45 of x's range. With equal ranges, turning the (x, y) plane costs the ELBO nothing, so a "
        "diagonal posterior has no reason to line its axes up with x and y. Unequal ranges give it one: with the "
        "same beta-TCVAE, y's MIG went from 0.35 to 0.84."
    )
)

paths = {p.stem: p for p in checkpoint_paths()}
rows = model_summaries()
with_factors = [r["name"] for r in rows if has_factors(r["dataset"])]
if not with_factors:
    st.info(
        tr(
            "No model here was trained on data with known factors ({names}). Train the preset '{preset}' below.",
            names=", ".join(FACTOR_DATASETS),
            preset=tr(TCVAE_PRESET),
        )
    )
else:
    # ------------------------------------------------------------------ one model: which latent holds which factor
    here = current_path()
    current_name = here.stem if here is not None else None
    default = current_name if current_name in with_factors else TCVAE.model
    default = default if default in with_factors else with_factors[0]
    if current_name in with_factors and st.session_state.get("_dis_current") != current_name:
        st.session_state["dis_model"] = current_name  # a model picked in the sidebar is the one shown
    st.session_state["_dis_current"] = current_name
    name = st.selectbox(
        tr("model"),
        with_factors,
        index=with_factors.index(default),
        key="dis_model",
        help=tr("Models trained on data with known generative factors."),
    )
    ck = load(paths[name])
    scores = compute.disentanglement(ck)
    if scores is None:
        st.warning(tr("This model's data has no factors on this server."))
        st.stop()
    factor_names = [tr(f) for f in scores["factors"]]
    c1, c2 = st.columns(2)  # the scores' labels need half the page at 1024 pixels
    c1.plotly_chart(
        mi_heatmap(scores["mi_matrix"], factor_names, tr("I(z_j; factor) of {name}", name=name), tr=tr, zmax=MI_SCALE),
        key="dis_mi",
    )
    with c2:
        scores_panel(scores)
    # traversal rows labelled with the factor each latent captures (its best factor by MI)
    mi = np.asarray(scores["mi_matrix"])  # (latents, factors)
    order = np.argsort(-mi.max(1), kind="stable")[: min(8, mi.shape[0])].tolist()
    labels = tuple(f"z{j}: {factor_names[int(mi[j].argmax())]} ({mi[j].max():.2f} {tr('nats')})" for j in order)
    st.plotly_chart(compute.dims_traversal_view(ck, tuple(order), labels, language()), key="dis_traversal")
    st.caption(
        tr(
            "Each row moves one latent (most informative about some factor first), labelled with the factor it "
            "shares the most information with. Disentangled: each row changes one thing."
        )
    )

    # ------------------------------------------------------------------ all models
    every_model_with_factors(rows, with_factors, paths)

# ------------------------------------------------------------------ train the preset
st.subheader(tr("Train a beta-TCVAE"))
values = PRESETS[TCVAE_PRESET]
st.markdown(
    tr(
        "The preset **{preset}**: {values}. It trains in the background on this server and appears above when it is "
        "done.",
        preset=tr(TCVAE_PRESET),
        values=", ".join(f"{k} = {v}" for k, v in values.items()),
    )
)
if st.button(tr("Train the beta-TCVAE preset"), type="primary", key="dis_train"):
    from vae.errors import ConfigError

    try:
        job = training_queue().submit(preset_config(TCVAE_PRESET), "sprites-beta-tcvae", owner=owner_id())
        st.session_state["dis_job"] = job.id
    except ConfigError as e:
        st.error(tr("Cannot start: {why}", why=error_text(e)))


def job_progress() -> None:
    job = training_queue().get(st.session_state.get("dis_job"))
    if job is None:
        return
    s = job.snapshot()
    st.progress(min(1.0, s["progress"]), text=f"{s['name']}: {tr(s['state'])} {message_text(s['message'])}")
    if not job.active and st.session_state.get("_dis_job_seen") != job.id:
        st.session_state["_dis_job_seen"] = job.id
        st.rerun()


active = (j := training_queue().get(st.session_state.get("dis_job"))) is not None and j.active
st.fragment(job_progress, run_every=1.0 if active else None)()
