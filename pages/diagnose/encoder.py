"""How good is the encoder? The true posterior beside q(z|x), and the approximation and amortization gaps."""

import streamlit as st

from ui import compute
from ui.drawing import own_input
from ui.encoder_remedies import encoder_remedy_buttons
from ui.i18n import message_text, tr, translate
from ui.models import checkpoint_paths, current, set_current, split_or_stop
from ui.series_encoder_lesson import series_encoder_section
from vae.analysis.inference import GAPS_EXAMPLES, OPTIMIZE_STEPS
from vae.figures.examples import examples_figure
from vae.figures.plots import gap_bars, true_posterior_figure
from vae.i18n import N_

ck = current()
st.title(tr("How good is the encoder?"))
st.markdown(
    tr(
        "The encoder only *approximates* the posterior: $q(z\\mid x) \\approx p(z\\mid x)$. How far off it is "
        "costs ELBO, in two parts (Cremer, Li & Duvenaud 2018). $q^*$ is the best Gaussian for this one $x$, "
        "found by {steps} Adam steps on its own mean and variance, starting from the encoder's:",
        steps=OPTIMIZE_STEPS,
    )
    + "\n\n$$\\log p(x) - \\mathrm{ELBO}(q) = \\underbrace{\\log p(x) - \\mathrm{ELBO}(q^*)}_{\\text{"
    + tr("approximation gap: the Gaussian family")
    + "}} + \\underbrace{\\mathrm{ELBO}(q^*) - \\mathrm{ELBO}(q)}_{\\text{"
    + tr("amortization gap: one encoder for every x")
    + "}}$$"
)
ds, x, labels, _ = split_or_stop(ck, "test")
compute.autoregressive_note(ck)

# ------------------------------------------------------------------ one example
st.subheader(tr("One example"))
source = st.radio(
    tr("input"),
    [N_("a test example")]
    + ([N_("your own drawing")] if ck.modality.drawable else [N_("your own text")] if ck.modality.textual else []),
    format_func=translate(),
    horizontal=True,
    key="enc_source",
)
c1, c2 = st.columns([1, 2])  # the input and its numbers side by side, the posterior below at the page's width
if source == "a test example":
    index = c1.number_input(tr("test example (0..{last})", last=len(x) - 1), 0, len(x) - 1, 0, key="enc_example")
    shown = x[int(index) : int(index) + 1].cpu().numpy()
    b = compute.example_bounds(ck, int(index))
else:
    with c1:
        own = own_input(ck, "enc_own")
    if own is None:
        st.info(
            tr("Draw a digit (or upload a picture) to see its true posterior and its gaps.")
            if ck.modality.drawable
            else tr("Type a text to see its posterior and its gaps.")
        )
        st.stop()
    shown = own[None]
    b = compute.input_bounds(ck, own)
c1.plotly_chart(examples_figure(ck.modality, shown, ncols=1), key="enc_input")
approx, amort = b["log_px"] - b["elbo_optimized"], b["elbo_optimized"] - b["elbo_amortized"]
how = tr("the grid") if "grid" in b else f"IWAE, k={max(b['iwae'])}"
quantity, nats = tr("quantity"), tr("nats")
rows = [{quantity: f"log p(x) ({how})", nats: b["log_px"]}]
rows += [{quantity: tr("IWAE bound, k={k}", k=k), nats: v} for k, v in b["iwae"].items()]
rows += [
    {quantity: tr("ELBO(q*), optimised for this x"), nats: b["elbo_optimized"]},
    {quantity: tr("ELBO(q), the encoder's"), nats: b["elbo_amortized"]},
    {quantity: tr("approximation gap"), nats: approx},
    {quantity: tr("amortization gap"), nats: amort},
]
c2.dataframe(
    rows, hide_index=True, key="enc_numbers", column_config={nats: st.column_config.NumberColumn(format="%.2f")}
)
if "grid" in b:
    gaussians = {tr("optimised q*(z|x)"): b["q_star"]}
    if "q_samples" not in b:  # a flow's q is drawn by its samples, not by an ellipse
        gaussians = {tr("amortized q(z|x)"): b["q"], **gaussians}
    fig = true_posterior_figure(b["grid"], gaussians, b.get("q_samples"), tr=tr)
    st.plotly_chart(fig, key="true_posterior")
    st.caption(
        tr(
            "Shaded: the exact posterior p(z|x) = p(x|z) p(z) / p(x), computed on a grid. Red: the encoder's "
            "q(z|x); green: q* fitted to this x alone. Where the shading is not an axis-aligned ellipse, no "
            "diagonal Gaussian fits it: that is the approximation gap."
        )
    )
else:
    two_d = [p.stem for p in checkpoint_paths() if p.stem.endswith("-z2")]
    st.info(
        tr(
            "This model has {d} latent dimensions: the true posterior can be drawn on a grid "
            "for a 2-D latent only. The numbers above and the gaps below work for any size.",
            d=ck.config.latent_dim,
        )
    )
    if two_d and st.button(tr("Show a 2-D model ({name})", name=two_d[0]), key="enc_two_d"):
        set_current(two_d[0])
        st.rerun()

# ------------------------------------------------------------------ over many examples
st.subheader(tr("The gaps over {n} test examples", n=GAPS_EXAMPLES))
key = f"_gaps_{ck.digest}"
if st.button(tr("Measure the gaps"), key="enc_measure", type="primary") or key in st.session_state:
    g = compute.inference_gaps(ck, GAPS_EXAMPLES)
    st.session_state[key] = True
    m = st.columns(5)
    by = g["estimated_by"]
    m[0].metric("log p(x)", f"{g['log_px']:.2f}", help=message_text(by["log_px"]))
    m[1].metric("ELBO(q*)", f"{g['elbo_optimized']:.2f}", help=message_text(by["elbo_optimized"]))
    m[2].metric("ELBO(q)", f"{g['elbo_amortized']:.2f}", help=message_text(by["elbo"]))
    bound = g["approximation_gap_is_bound"]  # a local search beyond 2-D: the best Gaussian may be better still
    m[3].metric(
        tr("approximation gap"),
        ("≤ " if bound else "") + f"{g['approximation_gap']:.2f}",
        help=tr(
            "At most this, as far as q* goes: a local search may miss a better Gaussian. log p(x) is the IWAE "
            "bound (k = 1000, q* as proposal), a little under the true value."
        )
        if bound
        else None,
    )
    m[4].metric(tr("amortization gap"), f"{g['amortization_gap']:.2f}")
    st.plotly_chart(gap_bars([{"name": ck.name, **g}], tr=tr), key="enc_gaps")
    st.caption(
        tr(
            "A large amortization gap says the encoder is the weak part: a wider or deeper encoder narrows it "
            "(the decoder unchanged). A large approximation gap says the Gaussian family is: a flow posterior "
            "narrows it."
        )
    )
else:
    st.caption(tr("About 10 to 20 s for an MLP on 2 cores; the result is kept for everyone who opens this model."))

encoder_remedy_buttons(ck)
series_encoder_section(ck.name)
