"""Reconstructions & samples: what the model keeps of an example, and what it draws from the prior."""

import numpy as np
import streamlit as st

from ui import compute, defaults
from ui.i18n import language, tr, translate
from ui.image_attention_view import image_attention_section
from ui.models import current, split_or_stop
from ui.prior_lesson import prior_section
from ui.widgets import pick_examples
from vae.analysis.explore import nearest_training_examples
from vae.figures.examples import examples_figure
from vae.figures.text import attention_figure
from vae.i18n import N_

ck = current()
st.title(tr("Reconstructions & samples"))
compute.autoregressive_note(ck)
most = 10 if ck.model.pixel_by_pixel else 20  # an autoregressive decoder draws every image pixel by pixel

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
index = pick_examples(how, ds, x, labels, n, int(seed), split)

if index is not None:
    fig, r = compute.reconstruction_view(ck, split, tuple(int(i) for i in index[:most]), int(seed), language())
    k = len(r.index)
    st.plotly_chart(fig, key="reconstructions")
    err = ck.modality.errors(r.original, r.mean)
    st.caption(
        tr(
            "{what} between each input and its mean reconstruction: {mean:.4g} on average (per example {each}).",
            what=tr(ck.modality.error_name).capitalize(),
            mean=err.mean(),
            each=", ".join(f"{e:.3f}" for e in err[:10]) + ("..." if k > 10 else ""),
        )
    )

st.subheader(tr("Samples from the prior"))
tokens = ck.modality.textual
c1, c2, c3 = st.columns(3)
temperature = c1.slider(
    tr("temperature"),
    0.0,
    2.0,
    1.0,
    0.05,
    key="temperature",
    help=tr("Divides the logits of every next token: 0 takes the most likely one, above 1 draws stranger ones.")
    if tokens
    else tr("z ~ N(0, T^2 I): below 1 gives typical, cleaner images; above 1 stranger ones."),
)
n_samples = c2.slider(
    tr("how many"), 4, 32 if ck.model.pixel_by_pixel else 64, defaults.samples(ck)["n_samples"], 4, key="n_samples"
)
sample_seed = c3.number_input(tr("seed"), 0, 10_000, 0, key="sample_seed")
if tokens:
    top_k = st.slider(
        tr("top-k (0 = all tokens)"),
        0,
        ck.modality.vocab_size,
        0,
        key="top_k",
        help=tr("Draw each token among the k most likely ones only."),
    )
    imgs = compute.sequence_samples(ck, n_samples, float(temperature), int(top_k), int(sample_seed))
    title = tr("x ~ p(x|z), z ~ N(0, I), token by token at temperature {t:g}", t=temperature)
    fig = examples_figure(ck.modality, imgs, ncols=8, title=title)
else:
    fig, imgs = compute.prior_samples_view(ck, n_samples, float(temperature), int(sample_seed), language())
st.plotly_chart(fig, key="samples")
if ck.config.prior.name == "vamp":
    u = compute.pseudo_inputs(ck)
    st.plotly_chart(
        examples_figure(
            ck.modality,
            u[:32],
            ncols=16,
            title=tr("The VampPrior's pseudo-inputs (first {n} of {k})", n=min(32, len(u)), k=len(u)),
        ),
        key="pseudo_inputs",
    )
    st.caption(
        tr(
            "p(z) = (1/K) sum_k q(z|u_k): the prior is the mixture of the encoder's posteriors of these learned "
            "inputs (Tomczak & Welling 2018), so it follows where the codes of real data lie."
        )
    )
prior_section(ck)
if st.toggle(tr("Show the nearest training example of each sample (has the model memorised?)"), key="nearest"):
    train_ds, x_train, _, _ = split_or_stop(ck, "train")
    idx, dist = nearest_training_examples(imgs, x_train.cpu(), ck.modality)
    pairs = np.stack([imgs, x_train.cpu().numpy()[idx]], 1).reshape(-1, *imgs.shape[1:])
    titles = [t for d in dist for t in (tr("sample"), tr("nearest, d={d:.2f}", d=d))]
    st.plotly_chart(examples_figure(ck.modality, pairs, ncols=8, titles=titles), key="nearest_fig")

if tokens and ck.config.decoder.arch == "transformer":
    st.subheader(tr("Where the Transformer decoder looks"))
    st.markdown(
        tr(
            "Each step predicts one token from the tokens before it (causal self-attention) and from $z$ "
            "(cross-attention to {m} vectors made from $z$). A decoder that reads $z$ puts weight on the right "
            "map; one that ignores $z$ looks only at the letters before.",
            m=ck.model.decoder.MEMORY,
        )
    )
    c1, c2 = st.columns(2)
    _, x_test, _, _ = split_or_stop(ck, "test")
    which = c1.number_input(
        tr("test example (0..{last})", last=len(x_test) - 1), 0, len(x_test) - 1, 0, key="att_example"
    )
    blocks = len(ck.config.decoder.hidden)
    block = c2.slider(tr("block"), 1, blocks, blocks, key="att_block") if blocks > 1 else 1
    att = compute.attention(ck, "test", int(which))
    st.plotly_chart(attention_figure(att, int(block) - 1, tr=tr), key="attention")

image_attention_section(ck)
