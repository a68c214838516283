"""Latent map: a 2-D projection of the posterior means; pick points to inspect them."""

import numpy as np
import streamlit as st

from ui import compute, defaults
from ui.drawing import own_input_on_map
from ui.i18n import tr, translate
from ui.models import current, split_or_stop
from ui.widgets import selected_custom
from vae.analysis.explore import interpolation
from vae.analysis.projections import umap_available
from vae.figures.examples import examples_figure, interpolation_figure
from vae.figures.plots import posterior_figure, projection_scatter
from vae.i18n import N_

ck = current()
st.title(tr("Latent map"))
compute.autoregressive_note(ck)
st.markdown(
    tr(
        "Every point is one example's posterior mean E[z|x], projected to 2-D. Click a point (or box/lasso "
        "several) to see the example, its reconstruction and its posterior; pick two to interpolate."
    )
)

methods = ["pca", "tsne"] + (["umap"] if umap_available() else [])
c1, c2, c3, c4 = st.columns(4)
method = c1.selectbox(
    tr("projection"),
    methods,
    format_func=str.upper,
    key="map_method",
    help=tr("PCA is instant and linear; t-SNE keeps neighbourhoods (a few seconds, then cached)."),
)
split = c2.radio(tr("split"), [N_("test"), N_("train")], format_func=translate(), horizontal=True, key="map_split")
ds, x, labels, factors = split_or_stop(ck, split)
sizes = compute.map_sizes(len(x))  # the split's own size is the last choice: the slider never says more points
if st.session_state.get("map_limit") not in sizes:  # the first visit, or a number chosen on a larger split
    st.session_state["map_limit"] = min(defaults.MAP["limit"], sizes[-1])
limit = c3.select_slider(tr("points"), sizes, key="map_limit")
colour_options = [N_("label")] + (list(ds.factor_names) if factors is not None else [])
colour = c4.selectbox(tr("colour by"), colour_options, format_func=translate(), key="map_colour")

with st.status(
    tr("Projecting {n} posterior means with {method}...", n=min(limit, len(x)), method=method.upper()), expanded=False
) as status:
    proj = compute.projection(ck, split, method, int(limit), 0)
    status.update(  # the time the projection took when it was made, once for everyone: not this page's wait
        label=tr(
            "{method} of {n} points, computed once in {seconds:.1f} s and kept for everyone",
            method=method.upper(),
            n=len(proj.index),
            seconds=proj.seconds,
        ),
        state="complete",
    )
if colour == "label":
    colours, names = proj.labels, ds.classes
else:
    colours, names = factors[proj.index, ds.factor_names.index(colour)], None
fig = projection_scatter(
    proj.coords,
    colours,
    proj.index,
    names,
    method,
    color_title=tr(colour),
    hover_text=ck.modality.hover_text(x[proj.index].cpu().numpy()),
    tr=tr,
)
own_input_on_map(ck, fig, proj, split, x)
event = st.plotly_chart(fig, key="map", on_select="rerun", selection_mode=("points", "box", "lasso"))

picked = [int(c[0]) for c in selected_custom(event)]
typed = st.text_input(
    tr("...or type example indices"),
    "",
    key="map_indices",
    help=tr("Indices into the {split} split (0..{last}), separated by spaces.", split=tr(split), last=len(x) - 1),
)
if typed.strip():
    try:
        picked = [int(t) for t in typed.replace(",", " ").split()]
    except ValueError:
        st.error(tr("Indices must be whole numbers; got {text!r}.", text=typed))
        st.stop()
    if any(not 0 <= i < len(x) for i in picked):
        st.error(tr("Indices go from 0 to {last}.", last=len(x) - 1))
        st.stop()
if not picked:
    st.info(tr("Select a point on the map to inspect it."))
    st.stop()

first = picked[0]
mu, sd = compute.posterior_means(ck, split)
r = compute.reconstructions(ck, split, tuple(int(i) for i in picked[:10]), 0)
c1, c2 = st.columns([1, 2])
n = len(r.index)
c1.plotly_chart(
    examples_figure(
        ck.modality,
        np.concatenate([r.original, r.mean]),
        ncols=n,
        titles=[f"#{i}" for i in r.index] + [tr("reconstruction")] * n,
        title=tr("{n} selected example(s)", n=n),
        width_px=300,
    ),
    key="picked_images",
)
c2.plotly_chart(
    posterior_figure(
        mu[first],
        sd[first],
        ck.metrics.get("kl_per_dim"),
        title=tr("q(z|x) of example #{i}: mean +- sd", i=first),
        tr=tr,
    ),
    key="picked_posterior",
)
if len(picked) >= 2:
    a, b = picked[0], picked[1]
    st.plotly_chart(
        interpolation_figure(ck.modality, interpolation(ck.model, mu[a], mu[b], 11), f"#{a}", f"#{b}", tr=tr),
        key="picked_interpolation",
    )
