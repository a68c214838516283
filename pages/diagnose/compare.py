"""Compare runs: every model on the rate-distortion plane, a sweep of beta or d_z, traversals side by side,
disentanglement scores."""

import streamlit as st

from ui import compute, defaults
from ui.i18n import error_text, language, message_text, tr
from ui.models import checkpoint_paths, current, load, model_summaries, same_scale
from ui.navigation import PAGE
from ui.owner import owner_id
from ui.train_view import sweep_progress
from ui.training_queue import training_queue
from ui.widgets import make_clicked_model_current
from vae.config.values import apply
from vae.figures.plots import rate_distortion

ck = current()
st.title(tr("Compare runs"))
paths = {p.stem: p for p in checkpoint_paths()}
rows = model_summaries()
this = next(r for r in rows if r["name"] == ck.name)
comparable = [r for r in rows if same_scale(r, this)]  # nats of other data, or of another likelihood, differ
me = owner_id()
points = [
    {"name": r["name"], "rate": r["rate"], "distortion": r["distortion"], "beta": r["beta"], "mine": r["owner"] == me}
    for r in comparable
    if r["rate"] is not None
]

st.markdown(
    tr(
        "Alemi et al. (2018): runs with the same ELBO (dotted lines) can split it very differently between "
        "**rate** (nats in the code) and **distortion** (nats lost in reconstruction). Large beta moves a "
        "run up and left; collapsed runs sit on the distortion axis. Click a point to make it current."
    )
)
event = st.plotly_chart(rate_distortion(points, tr=tr), key="rd", on_select="rerun", selection_mode="points")
st.caption(
    tr(
        "The models of {dataset} whose nats are {scale}, as the current model's: a density and a probability of "
        "the same images are hundreds of nats apart, and other data are on other scales. {others} model(s) of other "
        "data or another likelihood are left out; make one of them current to see its plane. ★: yours.",
        dataset=this["dataset"],
        scale=message_text(this["scale"]),
        others=len(rows) - len(comparable),
    )
)
make_clicked_model_current(event, "_rd_clicked", ck.name)

# ------------------------------------------------------------------ sweeps
st.subheader(tr("Sweep beta, the latent size or the learning rate"))
knob = st.radio(
    tr("sweep"),
    list(defaults.SWEEPS),
    format_func=lambda k: tr(defaults.SWEEPS[k][0]),
    horizontal=True,
    key="sweep_knob",
)
label, offered, picked, key = defaults.SWEEPS[knob]
st.markdown(
    tr(
        "Train **{name}**'s configuration again at several values of {knob}, in the background; each run "
        "is saved as a model and appears on the plane above.",
        name=ck.name,
        knob=tr(label),
    )
)
c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
most = training_queue().max_per_owner  # one session's runs queued or running at a time
values = c1.multiselect(
    tr("values"),
    offered,
    picked,
    max_selections=most,
    key=key,
    help=tr("At most {most} runs of yours can wait or run at a time on this server.", most=most) if most else None,
)
epochs = c2.number_input(tr("epochs"), 1, 1000, ck.config.train.epochs, key="sweep_epochs")
if c3.button(tr("Start sweep"), type="primary", key="sweep_start", disabled=not values):
    base = apply(ck.config, {"epochs": int(epochs)})
    changes = [{knob: type(offered[0])(v)} for v in values]
    jobs, refused = training_queue().submit_sweep(base, ck.name, changes, owner_id())
    st.session_state["sweep_jobs"] = st.session_state.get("sweep_jobs", []) + [j.id for j in jobs]
    st.session_state["sweep_of"] = {**st.session_state.get("sweep_of", {}), **{j.id: (knob, ck.name) for j in jobs}}
    for e in refused:
        st.warning(error_text(e))


sweep_active = any(
    j is not None and j.active for j in map(training_queue().get, st.session_state.get("sweep_jobs", []))
)
st.fragment(sweep_progress, run_every=1.0 if sweep_active else None)(knob)

# ------------------------------------------------------------------ side by side
st.subheader(tr("Two models side by side"))
names = list(paths)
c1, c2 = st.columns(2)
a = c1.selectbox(tr("left"), names, index=names.index(ck.name) if ck.name in names else 0, key="cmp_a")
b = c2.selectbox(
    tr("right"), names, index=(names.index(ck.name) + 1) % len(names) if ck.name in names else 0, key="cmp_b"
)
n_dims = st.slider(tr("dimensions (most KL first)"), 1, 10, defaults.COMPARE["n_dims"], key="cmp_dims")
for col, name in ((c1, a), (c2, b)):
    m = load(paths[name])
    dims = defaults.compare_dims(m, n_dims)
    if m.model.pixel_by_pixel:
        col.caption(
            tr(
                "{name}: a pixelcnn decoder; these pictures are samples drawn pixel by pixel "
                "(at most {dims} dimensions).",
                name=name,
                dims=dims,
            )
        )
    c = defaults.COMPARE
    fig = compute.slider_traversal_view(m, dims, c["span"], c["steps"], min(n_dims, 5), language())
    col.plotly_chart(fig, key=f"cmp_trav_{name}_{col is c1}")

# ------------------------------------------------------------------ disentanglement
with_factors = [r for r in rows if r["dataset"] == "sprites"]
st.subheader(tr("Disentanglement (datasets with known factors)"))
if not with_factors:
    st.caption(
        tr(
            "No model here was trained on a dataset with ground-truth factors. Train the preset "
            "'beta-VAE on sprites' to score MIG and SAP."
        )
    )
else:
    table = []
    for r in with_factors:
        m = load(paths[r["name"]])
        s = compute.disentanglement(m)
        if s is None:
            continue
        row = {tr("model"): r["name"], "beta": r["beta"], "MIG": s["mig"], "SAP": s["sap"]}
        row.update({f"MIG {tr(f)}": v["mig"] for f, v in s["factors"].items()})
        table.append(row)
    st.dataframe(table, hide_index=True, key="disentanglement")
    st.caption(
        tr(
            "MIG (Chen et al. 2018): gap in mutual information between the two latents most informative "
            "about a factor, over the factor's entropy; SAP: the same gap in linear predictability. "
            "Both are 0..1, higher = more disentangled."
        )
    )
st.page_link(PAGE["train"], label=tr("Train another model"), icon=":material/model_training:")
