"""Reconstructions & samples: what the model keeps of an image, and what it draws from the prior."""

import numpy as np
import streamlit as st

from ui import compute, defaults
from ui.i18n import tr, translate
from ui.models import current, split_or_stop
from vae.analysis.explore import nearest_training_examples
from vae.figures.plots import image_grid
from vae.i18n import N_

ck = current()
st.title(tr("Reconstructions & samples"))
compute.autoregressive_note(ck)
most = 10 if ck.model.autoregressive else 20  # an autoregressive decoder draws every image pixel by pixel

st.subheader(tr("Reconstructions"))
c1, c2, c3, c4 = st.columns(4)
split = c1.radio(tr("split"), [N_("test"), N_("train")], format_func=translate(), horizontal=True, key="rec_split")
ds, x, labels, _ = split_or_stop(ck, split)
how = c2.radio(
    tr("examples"),
    [N_("random"), N_("by index"), N_("by label")],
    format_func=translate(),
    horizontal=True,
    key="rec_how",
)
n = c3.slider(tr("how many"), 1, most, defaults.samples(ck)["n_rec"], key="rec_n")
seed = c4.number_input(
    tr("seed"), 0, 10_000, 0, key="rec_seed", help=tr("Which random examples, and the sample noise.")
)
rng = np.random.default_rng(seed)
index = None
if how == "random":
    index = np.array(compute.random_examples(len(x), n, int(seed)))
elif how == "by index":
    text = st.text_input(
        tr("example indices (0..{last}), separated by spaces or commas", last=len(x) - 1),
        "0 1 2 3 4",
        key="rec_indices",
    )
    try:
        index = np.array([int(t) for t in text.replace(",", " ").split()], dtype=int)
    except ValueError:
        st.error(tr("Indices must be whole numbers; got {text!r}.", text=text))
    if index is not None:
        bad = index[(index < 0) | (index >= len(x))]
        if len(bad) or not len(index):
            st.error(
                tr("Give indices from 0 to {last}", last=len(x) - 1)
                + (tr("; out of range: {bad}", bad=bad.tolist()) if len(bad) else ".")
            )
            index = None
else:
    classes = ds.classes or [str(c) for c in np.unique(labels)]
    label = st.selectbox(tr("label"), list(range(len(classes))), format_func=lambda k: str(classes[k]), key="rec_label")
    pool = np.flatnonzero(labels == label)
    if len(pool):
        index = rng.choice(pool, size=min(n, len(pool)), replace=False)
    else:
        st.warning(tr("No {split} example has the label {label}.", split=tr(split), label=classes[label]))

if index is not None:
    r = compute.reconstructions(ck, split, tuple(int(i) for i in index[:most]), int(seed))
    k = len(r.index)
    fig = image_grid(
        np.concatenate([r.original, r.mean, r.sample]),
        ncols=k,
        titles=[f"#{i}" for i in r.index] + [tr("mean")] * k + [tr("sample")] * k,
        title=tr("Rows: input x · reconstruction E[x|z=mu(x)] · sample x ~ p(x|z), z ~ q(z|x)"),
    )
    st.plotly_chart(fig, key="reconstructions")
    err = ((r.mean - r.original) ** 2).reshape(k, -1).mean(1)
    st.caption(
        tr(
            "Mean squared pixel error of the mean reconstruction: {mean:.4f} (per example {each}).",
            mean=err.mean(),
            each=", ".join(f"{e:.3f}" for e in err[:10]) + ("..." if k > 10 else ""),
        )
    )

st.subheader(tr("Samples from the prior"))
c1, c2, c3 = st.columns(3)
temperature = c1.slider(
    tr("temperature"),
    0.0,
    2.0,
    1.0,
    0.05,
    key="temperature",
    help=tr("z ~ N(0, T^2 I): below 1 gives typical, cleaner images; above 1 stranger ones."),
)
n_samples = c2.slider(
    tr("how many"), 4, 32 if ck.model.autoregressive else 64, defaults.samples(ck)["n_samples"], 4, key="n_samples"
)
sample_seed = c3.number_input(tr("seed"), 0, 10_000, 0, key="sample_seed")
z, imgs = compute.prior_samples(ck, n_samples, float(temperature), int(sample_seed))
prior_name = "N(0, T^2 I)" if ck.config.prior.name == "standard" else tr("the VampPrior (each component's sd x T)")
st.plotly_chart(
    image_grid(imgs, ncols=8, title=tr("E[x|z], z ~ {prior}, T = {t:g}", prior=prior_name, t=temperature)),
    key="samples",
)
if ck.config.prior.name == "vamp":
    u = compute.pseudo_inputs(ck)
    st.plotly_chart(
        image_grid(
            u[:32], ncols=16, title=tr("The VampPrior's pseudo-inputs (first {n} of {k})", n=min(32, len(u)), k=len(u))
        ),
        key="pseudo_inputs",
    )
    st.caption(
        tr(
            "p(z) = (1/K) sum_k q(z|u_k): the prior is the mixture of the encoder's posteriors of these learned "
            "inputs (Tomczak & Welling 2018), so it follows where the codes of real data lie."
        )
    )
if st.toggle(tr("Show the nearest training image of each sample (has the model memorised?)"), key="nearest"):
    train_ds, x_train, _, _ = split_or_stop(ck, "train")
    idx, dist = nearest_training_examples(imgs, x_train.cpu(), ck.modality)
    pairs = np.stack([imgs, x_train.cpu().numpy()[idx]], 1).reshape(-1, *imgs.shape[1:])
    titles = [t for d in dist for t in (tr("sample"), tr("nearest, d={d:.2f}", d=d))]
    st.plotly_chart(image_grid(pairs, ncols=8, titles=titles), key="nearest_fig")
