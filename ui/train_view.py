"""The Train page's live view of a training job, and the server's queue."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from ui.defaults import SWEEPS
from ui.i18n import language, message_text, tr
from ui.owner import owner_id
from ui.sidebar import adopt_finished_training
from ui.training_queue import training_queue
from vae.analysis.diagnostics import kl_history
from vae.config.values import values_of
from vae.figures.plots import image_grid, kl_heatmap, sweep_figure, training_curves
from vae.figures.text import text_grid
from vae.i18n import Translate, english, translator, worded
from vae.service.cost import fmt_seconds


def progress_line(s: dict[str, Any], now: float | None = None, tr: Translate = english) -> str:
    """The progress bar's text for a running job's snapshot ``s``, in the language of ``tr``. It changes every
    second, also while the training process starts (``message``) and before the first step is timed."""
    if s["progress"] <= 0 and s["message"] and s["started"] is not None:
        return f"{worded(s['message'], tr)} · {(now or time.time()) - s['started']:.0f} s"
    eta = tr("{seconds:.0f} s left").format(seconds=s["eta"]) if s["eta"] is not None else tr("estimating time left")
    if s["progress"] >= 1:
        eta = worded(s["message"], tr) if s["message"] else tr("saving")
    return tr("epoch {epoch:.1f} of {epochs} · {seconds:.0f} s · {eta}").format(
        epoch=s["epoch"], epochs=s["epochs"], seconds=s["seconds"], eta=eta
    )


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


def live_view(queue) -> None:
    """The job of this session: its place in the line, its progress and its curves (a fragment, every second)."""
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
        st.progress(s["progress"], text=progress_line(s, tr=translator(language())))
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


def queue_table(queue) -> None:
    """Every run queued or running on this server, in the order they run and will start; yours marked."""
    others = queue.running() + queue.waiting()  # in the order they run and will start
    if others:
        st.subheader(tr("Server queue"))
        me = owner_id()
        st.dataframe(
            [
                {
                    tr("model"): o["name"] + (tr(" (yours)") if o["owner"] == me else ""),
                    tr("state"): tr(o["state"]),
                    tr("position"): str(p) if (p := queue.position(j)) else "-",  # running: no place in the line
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


def sweep_point(snapshot: dict[str, Any], knob: str) -> dict[str, Any]:
    """A sweep run for :func:`vae.figures.plots.sweep_figure`: its value of ``knob``, its last test -ELBO once it
    is done, the step where it diverged if it did."""
    message = snapshot["message"]
    step = getattr(message, "values", {}).get("step") if snapshot["state"] == "failed" else None
    history = snapshot["history"]
    done = snapshot["state"] == "done" and history
    return {
        "value": values_of(snapshot["config"])[knob],
        "elbo": history[-1]["test_elbo"] if done else None,
        "diverged_step": step,
    }


def sweep_progress(knob: str = "beta") -> None:
    """The runs of this session's sweeps (Compare runs): each with the value of the knob it swept, its progress
    and result (a run that diverged says at which step), and the runs of ``knob``'s sweeps on a chart against the
    value; a rerun when one ends, so that the plane shows the new model."""
    queue = training_queue()
    jobs = [j for j in (queue.get(i) for i in st.session_state.get("sweep_jobs", [])) if j is not None]
    if not jobs:
        return
    swept = st.session_state.get("sweep_of", {})  # job id -> (knob, the model swept)
    snapshots = [(swept.get(j.id, ("beta", ""))[0], j.snapshot()) for j in jobs]
    st.dataframe(
        [
            {
                tr("model"): s["name"],
                tr("sweep"): tr(SWEEPS[k][0]),
                tr("value"): values_of(s["config"])[k],
                tr("state"): tr(s["state"]),
                tr("progress"): round(100 * s["progress"]),
                tr("result"): message_text(s["message"]),
            }
            for k, s in snapshots
        ],
        hide_index=True,
        key="sweep_table",
        column_config={tr("progress"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d%%")},
    )
    points = [{**sweep_point(s, k), "base": swept.get(s["id"], ("", ""))[1]} for k, s in snapshots if k == knob]
    if any(p["elbo"] is not None or p["diverged_step"] is not None for p in points):
        st.plotly_chart(
            sweep_figure(points, tr(SWEEPS[knob][0]), log_x=knob in ("lr", "beta"), tr=tr), key="sweep_chart"
        )
    finished = {j.id for j in jobs if not j.active}
    if finished - set(st.session_state.get("_sweep_seen", [])):
        st.session_state["_sweep_seen"] = sorted(finished)
        st.rerun()  # redraw the plane with the new models
