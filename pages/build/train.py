"""Train: every knob of the backend, presets, and a live view of the training job."""

from pathlib import Path

import streamlit as st

from ui import compute
from ui.i18n import error_text, language, message_text, tr, translate
from ui.knob_widgets import (
    NOT_IN_FORM,
    disabled_knobs,
    form_config,
    form_defaults,
    form_presets,
    from_widget,
    set_values,
    url_problems,
    widget,
)
from ui.owner import owner_token
from ui.sidebar import adopt_finished_training
from ui.training_queue import train_budget, training_queue
from vae.analysis.diagnostics import kl_history
from vae.config import default_hidden
from vae.config.datasets import DATASETS
from vae.config.knobs import GROUPS, KNOBS
from vae.config.presets import PRESETS
from vae.data.catalog import is_available_offline
from vae.data.dataset import default_data_root
from vae.errors import ConfigError, VAEError
from vae.figures.plots import image_grid, kl_heatmap, training_curves
from vae.figures.text import text_grid
from vae.i18n import N_, translator
from vae.models.pixelcnn import receptive_field
from vae.service.cost import fmt_seconds, over_budget_message
from vae.service.jobs import checkpoint_name_error
from vae.service.storage import uploads_dir

st.title(tr("Train a VAE"))
queue = training_queue()
if queue.cluster_problem is not None:
    st.warning(error_text(queue.cluster_problem), icon=":material/lan:")
for problem in url_problems(st.query_params.to_dict()):  # before any widget takes (or drops) a value
    st.warning(problem, icon=":material/link_off:")

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


# ------------------------------------------------------------------ the form
def receptive_field_note(raw: dict) -> str:
    """What each pixel of the pixelcnn decoder sees: the lever that weakens it (Chen et al. 2017)."""
    try:
        hidden = from_widget("decoder_hidden", raw.get("decoder_hidden")) or default_hidden("pixelcnn")
        kernel = int(raw.get("decoder_kernel") or 3)
    except ConfigError:
        return tr("Receptive field: set the decoder's channels first.")
    if kernel % 2 == 0 or not 1 <= kernel <= 9 or not 1 <= len(hidden) <= 16:
        return tr("Receptive field: a masked convolution needs an odd kernel (3, 5, 7 or 9) and 1 to 16 layers.")
    rf = receptive_field(len(hidden), kernel)
    return tr(
        "**Receptive field:** each pixel sees {pixels} earlier pixels, {rows} rows up and "
        "{cols} columns either side ({layers} masked {k}x{k} layers). "
        "The wider it is, the more the decoder models on its own and the less it needs z; "
        "fewer layers or a smaller kernel make it use z.",
        pixels=rf["pixels"],
        rows=rf["rows_up"],
        cols=rf["cols_each_side"],
        layers=len(hidden),
        k=kernel,
    )


raw: dict = {}
defaults_raw = form_defaults()
titles = {
    "data": N_("Data"),
    "latent": N_("Latent space"),
    "encoder": N_("Encoder (the decoder mirrors it)"),
    "decoder": N_("Decoder"),
    "likelihood": N_("Likelihood p(x|z)"),
    "objective": N_("Objective: beta, KL warm-up, free bits, capacity"),
    "optimization": N_("Optimization"),
}
left, right = st.columns(2)
for i, group in enumerate(GROUPS):
    with (left if i % 2 == 0 else right).container(border=True):
        st.markdown(f"**{tr(titles[group])}**")
        if group == "decoder":
            st.caption(tr("Leave a field at 'same as encoder' (or empty) for the mirror image of the encoder."))
        for name, knob in KNOBS.items():
            if knob.group != group or name in NOT_IN_FORM:
                continue
            off = name in disabled_knobs({**defaults_raw, **st.session_state.to_dict()})
            raw[name] = widget(name, disabled=off)
            if name == "decoder_gated" and raw.get("decoder_arch") == "pixelcnn":
                st.caption(receptive_field_note(raw))
            if name == "dataset":
                data_note = st.empty()  # filled below: the upload, or whether the data is on this server

# ------------------------------------------------------------------ data that is not built in
problem = None  # why Start cannot work, shown before Start
with data_note.container():
    spec = DATASETS[raw["dataset"]]
    if spec.is_upload:
        from vae.errors import DataError
        from vae.service.uploads import SUFFIX, is_inside, store_dataset_upload

        suffix = SUFFIX[raw["dataset"]]
        up = st.file_uploader(
            {
                "npz": tr("your images: a .npz (images under 'x', optional labels 'y')"),
                "zip": tr("your images: a .zip of PNG/JPEG files (one sub-folder per class)"),
                "text": tr("your text: a UTF-8 .txt file, one sequence per line (a TAB, then a label, optional)"),
                "series": tr("your series: a .csv file, one series per line (a label first, optional)"),
            }[raw["dataset"]],
            type=[suffix],
            key="data_upload",
        )
        if up is not None and st.session_state.get("_data_upload_id") != up.file_id:
            st.session_state["_data_upload_id"] = up.file_id
            try:
                _, path = store_dataset_upload(up.name, up.getvalue(), uploads_dir())
                st.session_state["data_path"], st.session_state["_data_upload_error"] = str(path), None
            except DataError as e:
                st.session_state["data_path"], st.session_state["_data_upload_error"] = None, error_text(e)
        path = st.session_state.get("data_path")
        if st.session_state.get("_data_upload_error") and up is not None:
            st.error(st.session_state["_data_upload_error"])
        if path and is_inside(path, uploads_dir()) and path.endswith("." + suffix):
            raw["data_path"] = path  # a file this server stored: never a path typed into the form
            st.caption(tr("Using your upload ({mb:.1f} MB).", mb=Path(path).stat().st_size / 1e6))
        else:
            problem = tr("upload your {kind} file first", kind=raw["dataset"])
    elif not spec.offline:
        from vae.data.sprites import DSPRITES_FILE

        if is_available_offline(raw["dataset"], default_data_root()):
            st.caption(tr("{name} is on this server.", name=raw["dataset"]))
        else:
            what = DSPRITES_FILE if raw["dataset"] == "dsprites" else tr("it")
            problem = tr(
                "{name} is not on this server; the teacher can put {what} into the data folder "
                "($VAE_DATA_ROOT) and restart. Built in: mnist5k, digits, sprites",
                name=raw["dataset"],
                what=what,
            )
            st.warning(problem)

config, estimate = None, None
try:
    config = form_config(raw)
except ConfigError as e:
    problem = problem or error_text(e)

st.subheader(tr("Save as"))
budget = train_budget()
if config is not None and problem is None:
    try:
        estimate = compute.cost_estimate(config.to_json())
    except VAEError as e:
        problem = error_text(e)
        st.warning(tr("Cannot estimate this run: {why}", why=problem))
if estimate is not None:
    over = budget is not None and estimate.total_seconds > budget
    (st.warning if over else st.caption)(
        (tr("**Over this server's limit.**") + " " + message_text(over_budget_message(estimate, budget)))
        if over
        else tr("Estimated on this server: {estimate}", estimate=message_text(estimate.describe()))
        + (tr(". Limit per training: {limit}.", limit=fmt_seconds(budget)) if budget else ".")
    )
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
start = c2.button(tr("Start training"), type="primary", key="start")

if start:
    try:
        if problem:
            raise ConfigError(problem)
        err = checkpoint_name_error(name)
        if err:
            raise ConfigError(err)
        job = queue.submit(config, name, owner=owner_token(), estimate=estimate)
        st.session_state["train_job"] = job.id
    except ConfigError as e:
        st.error(tr("Cannot start: {why}", why=error_text(e)))


# ------------------------------------------------------------------ live view
CHART_SECONDS = 2.0  # the progress bar moves every second; the charts are rebuilt at most this often


def live_figures(s: dict, final: bool):
    """Curves, KL heat map and preview of a job snapshot; rebuilt when the history grew, at most every
    CHART_SECONDS (building Plotly figures every second would take CPU from the training and the class)."""
    import time

    import numpy as np

    h = s["history"]
    cached = st.session_state.get("_live_figures")
    key = (s["id"], len(h), final, language())
    if (
        cached
        and cached[0][0] == s["id"]
        and (cached[0] == key or (not final and time.monotonic() - cached[1] < CHART_SECONDS))
    ):
        return cached[2]
    preview = None
    if s["preview"] is not None:
        p = s["preview"]
        n = len(p["original"])
        titles = [tr("test")] * n + [tr("reconstruction")] * n
        title = tr("Test reconstructions after epoch {epoch:g}", epoch=h[-1]["epoch"])
        if isinstance(p["original"], list):  # a token model: the worker sends the text
            preview = text_grid(p["original"] + p["reconstruction"], n, titles, title)
        else:
            preview = image_grid(np.concatenate([p["original"], p["reconstruction"]]), n, titles, title)
    figs = (training_curves(h, tr=tr), kl_heatmap(kl_history(h), [r["epoch"] for r in h], tr=tr), preview)
    st.session_state["_live_figures"] = (key, time.monotonic(), figs)
    return figs


def live_view() -> None:
    job = queue.get(st.session_state["train_job"])
    if job is None:
        return
    s = job.snapshot()
    st.subheader(tr("Training {name}", name=s["name"]))
    if s["state"] == "queued":
        running = ", ".join(j.name for j in queue.running()) or tr("none")
        wait = queue.seconds_to_start(job)
        st.info(
            tr(
                "Waiting in the queue: position {position} of {waiting} "
                "(at most {most} training(s) run at once; running now: {running}).",
                position=queue.position(job),
                waiting=len(queue.waiting()),
                most=queue.max_running,
                running=running,
            )
            + (" " + tr("Expected to start in about {time}.", time=fmt_seconds(wait)) if wait is not None else "")
            + " "
            + tr("The line is fair: each student's first run goes before anyone's second.")
        )
    elif s["state"] == "running":
        st.progress(s["progress"], text=job.progress_line(s, tr=translator(language())))
    elif s["state"] == "done":
        st.success(message_text(s["message"]) + tr(" It is now the current model."))
    elif s["state"] == "stopped":
        st.warning(tr("Stopped.") + " " + message_text(s["message"]))
    else:
        st.error(tr("Training failed:") + " " + message_text(s["message"]))
    if job.active:
        st.button(
            tr("Stop"),
            key="stop",
            on_click=job.request_stop,
            disabled=s["stop_requested"],
            help=tr("Ends training after the current step; the epochs finished so far are saved."),
        )
    if s["history"]:
        c1, c2 = st.columns(2)
        curves, heat, preview = live_figures(s, final=not job.active)
        c1.plotly_chart(curves, key="curves")
        c2.plotly_chart(heat, key="kl_heat")
        if preview is not None:
            st.plotly_chart(preview, key="preview")
    if adopt_finished_training():
        st.rerun()  # a full run: the sidebar shows the new model as current


if st.session_state.get("train_job") is not None:
    job = queue.get(st.session_state["train_job"])
    active = job is not None and job.active
    st.fragment(live_view, run_every=1.0 if active else None)()

others = queue.running() + queue.waiting()  # in the order they run and will start
if others:
    st.subheader(tr("Server queue"))
    me = owner_token()
    st.dataframe(
        [
            {
                tr("model"): o["name"] + (tr(" (yours)") if o["owner"] == me else ""),
                tr("state"): tr(o["state"]),
                tr("position"): queue.position(j) or None,
                tr("starts in"): ""
                if o["state"] == "running"
                else fmt_seconds(w)
                if (w := queue.seconds_to_start(j)) is not None
                else "?",
                tr("progress"): round(100 * o["progress"]),
                tr("epoch"): f"{o['epoch']:.1f}/{o['epochs']}",
            }
            for j in others
            for o in [j.snapshot()]
        ],
        hide_index=True,
        key="queue",
        column_config={tr("progress"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d%%")},
    )
