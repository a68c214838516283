"""Reconstructions & samples: what the model keeps of an image, and what it draws from the prior."""

import numpy as np
import streamlit as st

from ui import compute, defaults
from ui.models import current, split_or_stop
from vae.analysis.explore import nearest_training_examples
from vae.figures.plots import image_grid

ck = current()
st.title("Reconstructions & samples")
compute.autoregressive_note(ck)
most = 10 if ck.model.autoregressive else 20  # an autoregressive decoder draws every image pixel by pixel

st.subheader("Reconstructions")
c1, c2, c3, c4 = st.columns(4)
split = c1.radio("split", ["test", "train"], horizontal=True, key="rec_split")
ds, x, labels, _ = split_or_stop(ck, split)
how = c2.radio("examples", ["random", "by index", "by label"], horizontal=True, key="rec_how")
n = c3.slider("how many", 1, most, defaults.samples(ck)["n_rec"], key="rec_n")
seed = c4.number_input("seed", 0, 10_000, 0, key="rec_seed", help="Which random examples, and the sample noise.")
rng = np.random.default_rng(seed)
index = None
if how == "random":
    index = np.array(compute.random_examples(len(x), n, int(seed)))
elif how == "by index":
    text = st.text_input(
        f"example indices (0..{len(x) - 1}), separated by spaces or commas", "0 1 2 3 4", key="rec_indices"
    )
    try:
        index = np.array([int(t) for t in text.replace(",", " ").split()], dtype=int)
    except ValueError:
        st.error(f"Indices must be whole numbers; got {text!r}.")
    if index is not None:
        bad = index[(index < 0) | (index >= len(x))]
        if len(bad) or not len(index):
            st.error(f"Give indices from 0 to {len(x) - 1}" + (f"; out of range: {bad.tolist()}" if len(bad) else "."))
            index = None
else:
    classes = ds.classes or [str(c) for c in np.unique(labels)]
    label = st.selectbox("label", list(range(len(classes))), format_func=lambda k: str(classes[k]), key="rec_label")
    pool = np.flatnonzero(labels == label)
    if len(pool):
        index = rng.choice(pool, size=min(n, len(pool)), replace=False)
    else:
        st.warning(f"No {split} example has the label {classes[label]}.")

if index is not None:
    r = compute.reconstructions(ck, split, tuple(int(i) for i in index[:most]), int(seed))
    k = len(r.index)
    fig = image_grid(
        np.concatenate([r.original, r.mean, r.sample]),
        ncols=k,
        titles=[f"#{i}" for i in r.index] + ["mean"] * k + ["sample"] * k,
        title="Rows: input x · reconstruction E[x|z=mu(x)] · sample x ~ p(x|z), z ~ q(z|x)",
    )
    st.plotly_chart(fig, key="reconstructions")
    err = ((r.mean - r.original) ** 2).reshape(k, -1).mean(1)
    st.caption(
        f"Mean squared pixel error of the mean reconstruction: {err.mean():.4f} (per example "
        f"{', '.join(f'{e:.3f}' for e in err[:10])}{'...' if k > 10 else ''})."
    )

st.subheader("Samples from the prior")
c1, c2, c3 = st.columns(3)
temperature = c1.slider(
    "temperature",
    0.0,
    2.0,
    1.0,
    0.05,
    key="temperature",
    help="z ~ N(0, T^2 I): below 1 gives typical, cleaner images; above 1 stranger ones.",
)
n_samples = c2.slider(
    "how many", 4, 32 if ck.model.autoregressive else 64, defaults.samples(ck)["n_samples"], 4, key="n_samples"
)
sample_seed = c3.number_input("seed", 0, 10_000, 0, key="sample_seed")
z, imgs = compute.prior_samples(ck, n_samples, float(temperature), int(sample_seed))
prior_name = "N(0, T^2 I)" if ck.config.prior.name == "standard" else "the VampPrior (each component's sd x T)"
st.plotly_chart(image_grid(imgs, ncols=8, title=f"E[x|z], z ~ {prior_name}, T = {temperature:g}"), key="samples")
if ck.config.prior.name == "vamp":
    u = compute.pseudo_inputs(ck)
    st.plotly_chart(
        image_grid(u[:32], ncols=16, title=f"The VampPrior's pseudo-inputs (first {min(32, len(u))} of {len(u)})"),
        key="pseudo_inputs",
    )
    st.caption(
        "p(z) = (1/K) sum_k q(z|u_k): the prior is the mixture of the encoder's posteriors of these learned "
        "inputs (Tomczak & Welling 2018), so it follows where the codes of real data lie."
    )
if st.toggle("Show the nearest training image of each sample (has the model memorised?)", key="nearest"):
    train_ds, x_train, _, _ = split_or_stop(ck, "train")
    idx, dist = nearest_training_examples(imgs, x_train.cpu(), ck.modality)
    pairs = np.stack([imgs, x_train.cpu().numpy()[idx]], 1).reshape(-1, *imgs.shape[1:])
    titles = [t for d in dist for t in ("sample", f"nearest, d={d:.2f}")]
    st.plotly_chart(image_grid(pairs, ncols=8, titles=titles), key="nearest_fig")
