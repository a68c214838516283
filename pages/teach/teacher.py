"""The teacher's view: the queue (cancel, jump the line) and every model of the class (publish, delete)."""

import streamlit as st

from ui.i18n import error_text, tr
from ui.models import checkpoint_paths, model_summaries, table_row
from ui.teacher import is_teacher, sign_in, student_label, teacher_token
from ui.training_queue import training_queue
from vae.errors import VAEError
from vae.service.cost import fmt_seconds
from vae.service.storage import is_shared, publish, remove

st.title(tr("Teacher's view"))
if teacher_token() is None:
    st.info(
        tr(
            "The teacher's view is off on this server. The operator turns it on by starting the server with "
            "the environment variable VAE_TEACHER_TOKEN set to a secret, which the teacher then enters here."
        )
    )
    st.stop()
if not is_teacher():
    with st.form("teacher_sign_in"):
        given = st.text_input(tr("Teacher's token"), type="password", key="teacher_token")
        if st.form_submit_button(tr("Sign in")):
            result = sign_in(given)
            if result is False:
                st.error(tr("That is not the teacher's token."))
            elif result is not True:
                st.error(tr("Too many wrong tokens: try again in {s:.0f} s.", s=max(result, 1)))
    if not is_teacher():
        st.stop()
    st.rerun()

# ------------------------------------------------------------------ the queue
queue = training_queue()
st.subheader(tr("Training queue"))
jobs = queue.running() + queue.waiting()
if not jobs:
    st.caption(tr("Nothing is training or waiting."))
for job in jobs:
    s = job.snapshot()
    c = st.columns([3, 1, 1, 2, 1, 1], vertical_alignment="center")
    c[0].markdown(f"**{s['name']}**")
    c[1].write(tr("student {who}", who=student_label(s["owner"])))
    c[2].write(tr(s["state"]))
    if s["state"] == "running":
        c[3].progress(s["progress"])
    else:
        wait = queue.seconds_to_start(job)
        c[3].write(
            tr("position {n}", n=queue.position(job))
            + (" · " + tr("starts in about {time}", time=fmt_seconds(wait)) if wait is not None else "")
        )
    if c[4].button(tr("Cancel"), key=f"cancel_{job.id}", help=tr("A running job keeps its finished epochs.")):
        queue.cancel(job.id)
        st.rerun()
    if s["state"] == "queued" and c[5].button(tr("To the front"), key=f"front_{job.id}"):
        queue.move_to_front(job.id)
        st.rerun()

# ------------------------------------------------------------------ the class's models
st.subheader(tr("The class's models"))
paths = {p.stem: p for p in checkpoint_paths() if not is_shared(p)}
rows = [r for r in model_summaries() if r["name"] in paths]
if not rows:
    st.caption(tr("No student has trained or uploaded a model yet."))
    st.stop()
st.dataframe(
    [table_row(r, **{tr("student"): student_label(r["owner"])}) for r in rows],
    hide_index=True,
    key="class_models",
)
c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
name = c1.selectbox(tr("model"), [r["name"] for r in rows], key="teacher_model")
if c2.button(
    tr("Publish"),
    key="publish",
    help=tr("Moves it into the shared models, read-only for everyone (its student included)."),
):
    try:
        st.session_state["_published"] = publish(paths[name]).stem
        st.rerun()
    except VAEError as e:
        st.error(error_text(e))
if "_published" in st.session_state:
    st.success(tr("Published as {name} among the shared models.", name=st.session_state.pop("_published")))
if c3.button(tr("Delete"), key="teacher_delete", type="primary"):
    try:
        remove(paths[name])
        st.rerun()
    except VAEError as e:
        st.error(error_text(e))
