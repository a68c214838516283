"""The Train page's form: every knob as vae.config.knobs declares it, and the data it reads."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.i18n import error_text, tr
from ui.knob_widgets import NOT_IN_FORM, SAME, disabled_knobs, form_defaults, from_widget, widget
from ui.models import quota_problem
from ui.owner import session_gone
from vae.config import default_hidden
from vae.config.datasets import DATASETS
from vae.config.knobs import GROUPS, KNOBS
from vae.data.catalog import is_available_offline
from vae.data.dataset import default_data_root
from vae.errors import ConfigError
from vae.i18n import N_
from vae.models.pixelcnn import receptive_field
from vae.service.storage import uploads_dir

GROUP_TITLES = {
    "data": N_("Data"),
    "latent": N_("Latent space"),
    "encoder": N_("Encoder (the decoder mirrors it)"),
    "decoder": N_("Decoder"),
    "likelihood": N_("Likelihood p(x|z)"),
    "objective": N_("Objective: beta, KL warm-up, free bits, capacity"),
    "optimization": N_("Optimization"),
}


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


LESSON_KNOBS = (  # the first screen: what a lesson changes first, in the order a student decides it
    ("dataset", "arch", "decoder_arch", "likelihood"),
    ("latent_dim", "beta", "epochs"),
)
FIRST_SCREEN = {name for row in LESSON_KNOBS for name in row}


def knob_form(first) -> tuple[dict, st.delta_generator.DeltaGenerator]:
    """The lesson knobs (:data:`LESSON_KNOBS`) in ``first``, then every other knob folded by its group as
    vae.config.knobs declares them; the raw widget values by knob, and the empty place under the lesson knobs
    for :func:`data_source`."""
    raw: dict = {}
    values = {**form_defaults(), **st.session_state.to_dict()}
    off = disabled_knobs(values)  # this run's widget values are in the session state before the script runs
    with first:
        for row in LESSON_KNOBS:
            for col, name in zip(st.columns(len(LESSON_KNOBS[0])), row):
                with col:
                    raw[name] = widget(name, disabled=name in off)
        data_note = st.empty()  # filled by data_source: the upload, or whether the data is here
    st.subheader(tr("More settings"))
    left, right = st.columns(2)
    for i, group in enumerate(GROUPS):
        names = [n for n, k in KNOBS.items() if k.group == group and n not in NOT_IN_FORM | FIRST_SCREEN]
        if not names:
            continue
        with (left if i % 2 == 0 else right).expander(tr(GROUP_TITLES[group]), key=f"fold_{group}"):
            if group == "decoder":
                st.caption(tr("Leave a field at 'same as encoder' (or empty) for the mirror image of the encoder."))
            for name in names:
                raw[name] = widget(name, disabled=name in off)
                if name == "decoder_gated" and raw.get("decoder_arch") == "pixelcnn":
                    st.caption(receptive_field_note(raw))
    return raw, data_note


def changed_folded(raw: dict) -> list[str]:
    """The folded knobs whose value is not the fresh form's (a preset, a remedy or a link set them), as
    "label = value" in the session's language: the first screen says so, so that nothing set is hidden."""
    base = form_defaults()
    out = []
    for name, value in raw.items():
        if name in FIRST_SCREEN or name not in base or value == base[name]:
            continue
        shown = tr(SAME) if value == SAME else (value if value != "" else tr("empty"))
        out.append(f"{tr(KNOBS[name].label)} = {shown}")
    return out


def data_source(raw: dict, data_note) -> str | None:
    """Data that is not built in: the upload of a user's file (stored by this server, never a path typed into the
    form), or whether a downloaded dataset is on this server. Sets ``raw["data_path"]``; returns why Start
    cannot work (None: it can)."""
    problem = None
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
                key="data_upload",  # any file: a wrong one is refused below in the page's words, not by the browser
            )
            if up is not None and st.session_state.get("_data_upload_id") != up.file_id:
                st.session_state["_data_upload_id"] = up.file_id
                st.session_state["data_path"], st.session_state["_data_upload_error"] = None, quota_problem(0, up.size)
                if not up.name.lower().endswith("." + suffix):
                    st.session_state["_data_upload_error"] = tr(
                        "{filename} is not a .{suffix} file: choose a .{suffix} file, or another kind of data above",
                        filename=up.name,
                        suffix=suffix,
                    )
                try:
                    if st.session_state["_data_upload_error"] is None:
                        _, path = store_dataset_upload(up.name, up.getvalue(), uploads_dir(), session_gone())
                        st.session_state["data_path"] = str(path)
                except DataError as e:
                    st.session_state["_data_upload_error"] = error_text(e)
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
    return problem
