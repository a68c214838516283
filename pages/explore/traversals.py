"""Latent traversals: what each dimension does; interpolation; the 2-D manifold."""

from functools import partial

import streamlit as st

from ui import compute, defaults
from ui.i18n import language, tr, translate
from ui.models import current, split_or_stop
from vae.analysis.explore import INTERPOLATION_PATHS, manifold
from vae.figures.examples import examples_figure, has_pictures, manifold_drawing
from vae.figures.export import interpolation_bytes, traversal_bytes
from vae.figures.plots import MAX_IMAGES, manifold_figure
from vae.i18n import N_

ck = current()
st.title(tr("Latent traversals"))
ds, x, labels, _ = split_or_stop(ck, "test")
D = ck.config.latent_dim
compute.autoregressive_note(ck)
most = defaults.AR_MAX_IMAGES if ck.model.pixel_by_pixel else MAX_IMAGES

st.markdown(
    tr(
        "Each panel decodes z with **one** dimension moved from -span to +span prior standard deviations, "
        "the others held fixed. Dimensions are ordered by their KL (the information they carry): the first "
        "ones change the image, collapsed ones do nothing. Drag the slider under the figure."
    )
    if not ck.modality.textual
    else tr(
        "Each column decodes z with **one** dimension moved from -span to +span prior standard deviations (one "
        "row per offset), the others held fixed; each cell is the most likely sequence for that z, token by "
        "token. Dimensions are ordered by their KL: the first ones change the text, collapsed ones do nothing."
    )
)
c1, c2, c3, c4 = st.columns(4)
if D > 1:
    n_dims = c1.slider(tr("dimensions (most KL first)"), 1, D, defaults.traversal_dims(ck), key="trav_dims")
else:  # a 1-D latent: nothing to choose (Streamlit refuses a slider from 1 to 1)
    n_dims = 1
    c1.caption(tr("one latent dimension"))
span = c2.slider(tr("span (prior sd)"), 0.5, 5.0, defaults.TRAVERSAL["span"], 0.5, key="trav_span")
steps = c3.slider(tr("steps"), 3, 31, defaults.TRAVERSAL["steps"], 2, key="trav_steps")
start = c4.selectbox(
    tr("start from"), [N_("the prior's mean"), N_("a test example")], format_func=translate(), key="trav_start"
)
example = None
if start == "a test example":
    example = st.number_input(tr("test example (0..{last})", last=len(x) - 1), 0, len(x) - 1, 0, key="trav_example")
if n_dims * steps > most:
    st.warning(
        tr(
            "{dims} dimensions x {steps} steps is more than {most} images; showing fewer dimensions.",
            dims=n_dims,
            steps=steps,
            most=most,
        )
    )
    n_dims = max(1, most // steps)
trav, fig, grid = compute.traversal_view(
    ck, n_dims, float(span), steps, None if example is None else int(example), language()
)
if grid is None:
    st.plotly_chart(fig, key="traversal")
else:  # the slider's large panels, and the classic grid of every dimension at every offset
    one, every = st.tabs([tr("One offset at a time (slider)"), tr("All dimensions side by side (grid)")])
    one.plotly_chart(fig, key="traversal")
    every.plotly_chart(grid, key="traversal_grid")
if has_pictures(ck.modality):  # PNG and GIF of pictures
    c1, c2, _ = st.columns([1, 1, 3])  # the files are drawn when clicked (deferred downloads), not on every change
    c1.download_button(
        tr("Download PNG"),
        partial(traversal_bytes, trav, "png", tr=translate()),
        f"{ck.name}-traversal.png",
        "image/png",
        key="dl_trav_png",
        on_click="ignore",
        help=tr("Rows = dimensions, columns = steps: for slides."),
    )
    c2.download_button(
        tr("Download GIF"),
        partial(traversal_bytes, trav, "gif", tr=translate()),
        f"{ck.name}-traversal.gif",
        "image/gif",
        key="dl_trav_gif",
        on_click="ignore",
        help=tr("One frame per step, dimensions side by side."),
    )

st.subheader(tr("Interpolation between two examples"))
c1, c2, c3, c4 = st.columns(4)
d = defaults.INTERPOLATION
a = c1.number_input(tr("from example"), 0, len(x) - 1, d["a"], key="interp_a")
b = c2.number_input(tr("to example"), 0, len(x) - 1, min(d["b"], len(x) - 1), key="interp_b")
n_steps = c3.slider(tr("steps"), 3, 41, d["steps"], 2, key="interp_steps")
path_name = translate()
method = c4.radio(
    tr("path"),
    list(INTERPOLATION_PATHS),
    index=list(INTERPOLATION_PATHS).index(d["method"]),
    format_func=lambda m: path_name(INTERPOLATION_PATHS[m]),
    horizontal=True,
    key="interp_method",
    help=tr("slerp follows a great circle, staying where the prior has mass in high dimensions."),
)
lab = partial(compute.example_label, ds.classes, labels)
interp, fig = compute.interpolation_view(ck, "test", int(a), int(b), n_steps, method, lab(a), lab(b), language())
st.plotly_chart(fig, key="interpolation")
if has_pictures(ck.modality):
    st.download_button(
        tr("Download interpolation GIF"),
        partial(interpolation_bytes, interp, "gif", tr=translate()),
        f"{ck.name}-interp.gif",
        "image/gif",
        key="dl_interp_gif",
        on_click="ignore",
    )

manifold_how = manifold_drawing(ck.modality)
if D == 2 and manifold_how:
    st.subheader(tr("The whole 2-D latent space"))
    n = st.slider(tr("grid size"), 5, 30, 15, key="manifold_n")
    mu, _ = compute.posterior_means(ck, "test")
    grid, images = manifold(ck.model, n)
    if manifold_how == "picture":
        show_points = st.toggle(tr("draw the test examples' posterior means over it"), False, key="manifold_points")
        fig = manifold_figure(grid, images, mu if show_points else None, labels if show_points else None, tr=tr)
    else:  # a table: row i has z2 = grid[n-1-i], column j has z1 = grid[j]
        fig = examples_figure(
            ck.modality,
            images.reshape(n * n, *images.shape[2:]),
            ncols=n,
            title=tr("Decoded manifold over the prior's quantiles: z1 grows to the right, z2 upwards"),
        )
    st.plotly_chart(fig, key="manifold")
elif D != 2:
    st.caption(
        tr(
            "The decoded manifold grid needs a 2-D latent; this model has {d}. "
            "Train the preset '2-D latent for the manifold' to see it.",
            d=D,
        )
    )
