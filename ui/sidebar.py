"""The sidebar: the model picker, the checkpoint upload and the owner cookie, drawn once by app.py."""

from __future__ import annotations

import streamlit as st

from ui.i18n import language_switch, tr
from ui.models import (
    MODEL_KEY,
    PENDING_KEY,
    checkpoint_paths,
    current_path,
    delete_model,
    digest,
    owned,
    save_upload,
    set_current,
    summary,
)
from ui.owner import owner_id, remember_owner
from ui.training_queue import training_queue
from vae.service.storage import is_shared


def adopt_finished_training() -> bool:
    """When this session's training has ended, make its model current (once); True if it did."""
    job_id = st.session_state.get("train_job")
    if job_id is None or st.session_state.get("train_job_adopted") == job_id:
        return False
    job = training_queue().get(job_id)
    if job is None or job.active:
        return False
    st.session_state["train_job_adopted"] = job_id
    if job.checkpoint is not None:
        st.session_state[PENDING_KEY] = job.checkpoint.stem
        from ui.warmup import warm_in_background

        warm_in_background(job.checkpoint, training_queue().reports)  # its pages open as fast as the shipped ones
    return True


def sidebar() -> None:
    """The model picker and checkpoint upload, drawn by app.py before every page."""
    adopt_finished_training()
    names = [p.stem for p in checkpoint_paths()]
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending in names:
        st.session_state[MODEL_KEY] = pending
    with st.sidebar:
        language_switch()
        if not names:
            st.warning(tr("No models yet: train one on the Train page or upload a checkpoint."))
        else:
            linked = st.query_params.get("model")
            if MODEL_KEY not in st.session_state and linked is not None:
                if linked in names:
                    st.session_state[MODEL_KEY] = linked  # a shared link names the model
                else:  # said, not replaced silently; st.text: the name comes from the link
                    st.warning(tr("The link's model is not on this server (or was deleted); showing another one:"))
                    st.text(linked[:80])
            if st.session_state.get(MODEL_KEY) not in names:
                st.session_state.pop(MODEL_KEY, None)
            name = st.selectbox(
                tr("Current model"),
                names,
                key=MODEL_KEY,
                help=tr("The shared models (read-only) and those trained in class; every page shows this model."),
            )
            # Not bind="query-params": a bound parameter would stop st.switch_page from changing the URL.
            st.query_params["model"] = name
            ck_path = current_path()
            if ck_path is not None:
                s = summary(str(ck_path), digest(ck_path))
                st.caption(
                    # the dataset name in a code span: a name such as www.example.com is never made a link
                    f"`{s['dataset']}` · {s['architecture']} · z={s['latent']} · beta={s['beta']:g} · "
                    f"{s['likelihood']}"
                    + (tr(" · test -ELBO {elbo:.1f}", elbo=s["test_elbo"]) if s["test_elbo"] else "")
                    + (
                        tr(" · shared (read-only)")
                        if is_shared(ck_path)
                        else tr(" · yours")
                        if owned(ck_path)
                        else tr(" · a classmate's")
                    )
                )
                if owned(ck_path) and st.button(
                    tr("Delete this model"),
                    key="delete_model",
                    icon=":material/delete:",
                    help=tr("Only models you trained or uploaded can be deleted."),
                ):
                    err = delete_model(ck_path)
                    if err:
                        st.error(err)
                    else:
                        st.session_state.pop(MODEL_KEY, None)
                        st.rerun()
        with st.expander(tr("Upload a checkpoint")):
            up = st.file_uploader(tr("A .safetensors checkpoint made by this tool"), type=["safetensors"], key="upload")
            if up is not None and st.session_state.get("_uploaded") != up.file_id:
                st.session_state["_uploaded"] = up.file_id
                ok, msg = save_upload(up.name, up.getvalue(), owner_id())
                if ok:
                    set_current(msg)
                    st.rerun()
                st.session_state["_upload_error"] = msg
            if st.session_state.get("_upload_error") and up is not None:
                st.error(st.session_state["_upload_error"])
        remember_owner()
