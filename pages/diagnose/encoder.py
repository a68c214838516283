"""How good is the encoder? The true posterior beside q(z|x), and the approximation and amortization gaps."""

import streamlit as st

from ui import compute
from ui.drawing import own_input
from ui.models import checkpoint_paths, current, set_current, split_or_stop
from ui.widgets import open_train_with
from vae.analysis.inference import GAPS_EXAMPLES, OPTIMIZE_STEPS
from vae.figures.plots import gap_bars, image_grid, true_posterior_figure

ck = current()
st.title("How good is the encoder?")
st.markdown(
    "The encoder only *approximates* the posterior: $q(z\\mid x) \\approx p(z\\mid x)$. How far off it is "
    "costs ELBO, in two parts (Cremer, Li & Duvenaud 2018). $q^*$ is the best Gaussian for this one $x$, "
    f"found by {OPTIMIZE_STEPS} Adam steps on its own mean and variance, starting from the encoder's:\n\n"
    "$$\\log p(x) - \\mathrm{ELBO}(q) = \\underbrace{\\log p(x) - \\mathrm{ELBO}(q^*)}_{\\text{approximation gap: "
    "the Gaussian family}} + \\underbrace{\\mathrm{ELBO}(q^*) - \\mathrm{ELBO}(q)}_{\\text{amortization gap: "
    "one encoder for every } x}$$"
)
ds, x, labels, _ = split_or_stop(ck, "test")
compute.autoregressive_note(ck)

# ------------------------------------------------------------------ one example
st.subheader("One example")
source = st.radio("input", ["a test example", "your own drawing"], horizontal=True, key="enc_source")
c1, c2 = st.columns([2, 3])
if source == "a test example":
    index = c1.number_input(f"test example (0..{len(x) - 1})", 0, len(x) - 1, 0, key="enc_example")
    shown = x[int(index) : int(index) + 1].cpu().numpy()
    b = compute.example_bounds(ck, int(index))
else:
    with c1:
        own = own_input(ck, "enc_own")
    if own is None:
        st.info("Draw a digit (or upload a picture) to see its true posterior and its gaps.")
        st.stop()
    shown = own[None]
    b = compute.input_bounds(ck, own)
c1.plotly_chart(image_grid(shown, ncols=1), key="enc_input")
approx, amort = b["log_px"] - b["elbo_optimized"], b["elbo_optimized"] - b["elbo_amortized"]
how = "the grid" if "grid" in b else f"IWAE, k={max(b['iwae'])}"
rows = [{"quantity": f"log p(x) ({how})", "nats": b["log_px"]}]
rows += [{"quantity": f"IWAE bound, k={k}", "nats": v} for k, v in b["iwae"].items()]
rows += [
    {"quantity": "ELBO(q*), optimised for this x", "nats": b["elbo_optimized"]},
    {"quantity": "ELBO(q), the encoder's", "nats": b["elbo_amortized"]},
    {"quantity": "approximation gap", "nats": approx},
    {"quantity": "amortization gap", "nats": amort},
]
c1.dataframe(
    rows, hide_index=True, key="enc_numbers", column_config={"nats": st.column_config.NumberColumn(format="%.2f")}
)
if "grid" in b:
    gaussians = {"optimised q*(z|x)": b["q_star"]}
    if "q_samples" not in b:  # a flow's q is drawn by its samples, not by an ellipse
        gaussians = {"amortized q(z|x)": b["q"], **gaussians}
    fig = true_posterior_figure(b["grid"], gaussians, b.get("q_samples"))
    c2.plotly_chart(fig, key="true_posterior")
    c2.caption(
        "Shaded: the exact posterior p(z|x) = p(x|z) p(z) / p(x), computed on a grid. Red: the encoder's "
        "q(z|x); green: q* fitted to this x alone. Where the shading is not an axis-aligned ellipse, no "
        "diagonal Gaussian fits it: that is the approximation gap."
    )
else:
    two_d = [p.stem for p in checkpoint_paths() if p.stem.endswith("-z2")]
    c2.info(
        f"This model has {ck.config.latent_dim} latent dimensions: the true posterior can be drawn on a grid "
        "for a 2-D latent only. The numbers on the left and the gaps below work for any size."
    )
    if two_d and c2.button(f"Show a 2-D model ({two_d[0]})", key="enc_two_d"):
        set_current(two_d[0])
        st.rerun()

# ------------------------------------------------------------------ over many examples
st.subheader(f"The gaps over {GAPS_EXAMPLES} test examples")
key = f"_gaps_{ck.digest}"
if st.button("Measure the gaps", key="enc_measure", type="primary") or key in st.session_state:
    g = compute.inference_gaps(ck, GAPS_EXAMPLES)
    st.session_state[key] = True
    m = st.columns(5)
    m[0].metric("log p(x)", f"{g['log_px']:.2f}", help=g["estimated_by"]["log_px"])
    m[1].metric("ELBO(q*)", f"{g['elbo_optimized']:.2f}", help=g["estimated_by"]["elbo_optimized"])
    m[2].metric("ELBO(q)", f"{g['elbo_amortized']:.2f}", help=g["estimated_by"]["elbo"])
    m[3].metric("approximation gap", f"{g['approximation_gap']:.2f}")
    m[4].metric("amortization gap", f"{g['amortization_gap']:.2f}")
    st.plotly_chart(gap_bars([{"name": ck.name, **g}]), key="enc_gaps")
    st.caption(
        "A large amortization gap says the encoder is the weak part: a wider or deeper encoder narrows it "
        "(the decoder unchanged). A large approximation gap says the Gaussian family is: a flow posterior "
        "narrows it."
    )
else:
    st.caption("About 20 s for an MLP on 2 cores; the result is kept for everyone who opens this model.")

hidden = ck.config.encoder.hidden
wider = [min(2 * h, 2048) for h in hidden] or [400]
c1, c2 = st.columns(2)
if c1.button(f"Train with a wider encoder ({' '.join(map(str, wider))})", key="enc_wider"):
    open_train_with(ck.config, {"hidden": wider, "decoder_hidden": ck.config.decoder.hidden}, ck.name, "wider-encoder")
if not ck.config.has_flow and c2.button(
    "Train with an IAF posterior (4 flow steps)",
    key="enc_iaf",
    help="A Gaussian followed by inverse autoregressive flow steps: a posterior that can bend (Kingma et al. 2016).",
):
    changes = {"posterior": "iaf", "flow_steps": 4}
    if ck.config.objective.name == "beta-tcvae":  # its estimator needs a Gaussian posterior
        changes["objective"] = "vae"
    open_train_with(ck.config, {**changes, "free_bits": 0.0}, ck.name, "iaf")
