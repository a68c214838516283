"""Latent traversals: what each dimension does; interpolation; the 2-D manifold."""

from functools import partial

import streamlit as st

from ui import compute, defaults
from ui.models import current, split_or_stop
from vae.analysis.explore import manifold
from vae.figures.export import interpolation_bytes, traversal_bytes
from vae.figures.plots import MAX_IMAGES, manifold_figure

ck = current()
st.title("Latent traversals")
ds, x, labels, _ = split_or_stop(ck, "test")
D = ck.config.latent_dim
compute.autoregressive_note(ck)
most = defaults.AR_MAX_IMAGES if ck.model.autoregressive else MAX_IMAGES

st.markdown(
    "Each panel decodes z with **one** dimension moved from -span to +span prior standard deviations, "
    "the others held fixed. Dimensions are ordered by their KL (the information they carry): the first "
    "ones change the image, collapsed ones do nothing. Drag the slider under the figure."
)
c1, c2, c3, c4 = st.columns(4)
n_dims = c1.slider("dimensions (most KL first)", 1, D, defaults.traversal_dims(ck), key="trav_dims")
span = c2.slider("span (prior sd)", 0.5, 5.0, defaults.TRAVERSAL["span"], 0.5, key="trav_span")
steps = c3.slider("steps", 3, 31, defaults.TRAVERSAL["steps"], 2, key="trav_steps")
start = c4.selectbox("start from", ["the prior's mean", "a test example"], key="trav_start")
example = None
if start == "a test example":
    example = st.number_input(f"test example (0..{len(x) - 1})", 0, len(x) - 1, 0, key="trav_example")
if n_dims * steps > most:
    st.warning(f"{n_dims} dimensions x {steps} steps is more than {most} images; showing fewer dimensions.")
    n_dims = max(1, most // steps)
trav, fig = compute.traversal_view(ck, n_dims, float(span), steps, None if example is None else int(example))
st.plotly_chart(fig, key="traversal")
c1, c2, _ = st.columns([1, 1, 3])  # the files are drawn when clicked (deferred downloads), not on every change
c1.download_button(
    "Download PNG",
    partial(traversal_bytes, trav, "png"),
    f"{ck.name}-traversal.png",
    "image/png",
    key="dl_trav_png",
    on_click="ignore",
    help="Rows = dimensions, columns = steps: for slides.",
)
c2.download_button(
    "Download GIF",
    partial(traversal_bytes, trav, "gif"),
    f"{ck.name}-traversal.gif",
    "image/gif",
    key="dl_trav_gif",
    on_click="ignore",
    help="One frame per step, dimensions side by side.",
)

st.subheader("Interpolation between two examples")
c1, c2, c3, c4 = st.columns(4)
d = defaults.INTERPOLATION
a = c1.number_input("from example", 0, len(x) - 1, d["a"], key="interp_a")
b = c2.number_input("to example", 0, len(x) - 1, min(d["b"], len(x) - 1), key="interp_b")
n_steps = c3.slider("steps", 3, 41, d["steps"], 2, key="interp_steps")
method = c4.radio(
    "path",
    ["linear", "slerp"],
    index=["linear", "slerp"].index(d["method"]),
    horizontal=True,
    key="interp_method",
    help="slerp follows a great circle, staying where the prior has mass in high dimensions.",
)
lab = partial(compute.example_label, ds.classes, labels)
interp, fig = compute.interpolation_view(ck, "test", int(a), int(b), n_steps, method, lab(a), lab(b))
st.plotly_chart(fig, key="interpolation")
st.download_button(
    "Download interpolation GIF",
    partial(interpolation_bytes, interp, "gif"),
    f"{ck.name}-interp.gif",
    "image/gif",
    key="dl_interp_gif",
    on_click="ignore",
)

if D == 2:
    st.subheader("The whole 2-D latent space")
    n = st.slider("grid size", 5, 30, 15, key="manifold_n")
    mu, _ = compute.posterior_means(ck, "test")
    grid, images = manifold(ck.model, n)
    show_points = st.toggle("draw the test examples' posterior means over it", True, key="manifold_points")
    fig = manifold_figure(grid, images, mu if show_points else None, labels if show_points else None)
    st.plotly_chart(fig, key="manifold")
else:
    st.caption(
        f"The decoded manifold grid needs a 2-D latent; this model has {D}. "
        "Train the preset '2-D latent for the manifold' to see it."
    )
