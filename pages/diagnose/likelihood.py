"""The output layer and the likelihood: one CNN on MNIST with each p(x|z) the chapter names, and a fixed sigma
that acts as a hidden beta (ui/likelihood_lesson.py holds the tables)."""

import streamlit as st

from ui import compute
from ui.i18n import language, tr
from ui.lesson import lesson_command_lines, lesson_models, train_like_buttons
from ui.likelihood_lesson import (
    EXAMPLES,
    N_PRIOR,
    colour_section,
    hidden_beta_numbers,
    hidden_beta_table,
    likelihood_formats,
    likelihood_rows,
    pixel_section,
)
from vae.config.shipped import LESSONS
from vae.figures.likelihood import hidden_beta_figure, sigma_history_figure

LESSON, SWEEP = LESSONS["likelihood"], LESSONS["hidden beta"]

st.title(tr("Output layer & likelihood"))
st.markdown(
    tr(
        "The decoder's last layer turns $z$ into the parameters of $p(x\\mid z)$, and that choice decides what the "
        "reconstruction term measures. The models below share the encoder, decoder, latent size, data and "
        "epochs; only the output layer and the likelihood differ."
    )
)
models = lesson_models(LESSON)
if not models:
    st.info(tr("No models yet: `make checkpoints` ships the models of this lesson."))
    st.stop()

st.dataframe(likelihood_rows(models, LESSON), hide_index=True, key="lk_table", column_config=likelihood_formats())
st.caption(
    tr(
        "Each model's -ELBO is in its own nats, which cannot be compared across the table: a Gaussian gives a "
        "density (negative nats), a categorical a probability of 256 levels, a Bernoulli of binarized pixels the "
        "probability of other data (the binary draws), and a Bernoulli of grey levels a cross-entropy that is no "
        "probability of anything. The bits per dimension put the Gaussian and categorical models on one scale: "
        "the probability of the 8-bit values themselves (a density integrated over each value's bin); lower is "
        "better."
    )
)

st.subheader(tr("What each model draws"))
role = st.radio(tr("model"), list(models), format_func=lambda r: tr(LESSON[r].label), horizontal=True, key="lk_role")
ck = models[role]
fig, _ = compute.reconstruction_view(ck, "test", EXAMPLES, 0, language())
st.plotly_chart(fig, key="lk_rec")
st.caption(
    tr(
        "The mean E[x|z] is what papers show; a draw x ~ p(x|z) adds the likelihood's own noise, independent per "
        "pixel: grainy for a Gaussian, salt and pepper for a Bernoulli."
    )
)
sigma_view = compute.sigma_map_view(ck, EXAMPLES, language())
if sigma_view:
    st.plotly_chart(sigma_view[0], key="lk_sigma_map")
    st.caption(
        tr(
            "sigma(z) per pixel, white = {top:.3f}: small on the background, large on and around the strokes.",
            top=sigma_view[1],
        )
    )
fig, _ = compute.prior_samples_view(ck, N_PRIOR, 1.0, 0, language())
st.plotly_chart(fig, key="lk_prior")

curves = {
    tr(LESSON[r].label): ([h["epoch"] for h in c.history], [h["sigma"] for h in c.history])
    for r, c in models.items()
    if c.config.likelihood.name == "gaussian" and c.config.likelihood.variance != "fixed" and "sigma" in c.history[-1]
}
if curves:
    st.plotly_chart(sigma_history_figure(curves, tr), key="lk_sigma_curves")
    st.caption(
        tr(
            "Both start at sigma = 0.1. One learned sigma goes to its maximum-likelihood value, the root mean "
            "squared error of the means over all pixels; a per-pixel sigma(z) (its geometric mean is drawn) falls "
            "much lower, since most pixels, the background, are easy to predict."
        )
    )

pixel_section(models, LESSON, ck)

st.subheader(tr("A fixed sigma is a hidden beta"))
st.markdown(
    tr(
        "With a fixed variance, $-\\log p(x\\mid z) = \\frac{\\lVert x - \\mu \\rVert^2}{2\\sigma^2} + "
        "\\frac{P}{2}\\log 2\\pi\\sigma^2$: a squared error weighted by $1/(2\\sigma^2)$. Dividing the loss by "
        "that weight gives $\\lVert x - \\mu\\rVert^2 + 2\\sigma^2\\,\\mathrm{KL}$, so $\\sigma$ sets the balance "
        "against the KL just as $\\beta$ does. The default $\\sigma^2 = 1$ on pixels in [0, 1] is a large beta."
    )
)
sweep = lesson_models(SWEEP)
if sweep:
    ident = compute.likelihood_numbers(next(iter(sweep.values())))["identity"]
    st.caption(
        tr(
            "On 100 test pictures of the first model: -log p(x|z) = {rec:.4f}; the squared error {sq:.4f} x "
            "{w:g} + the constant {c:.4f} = {total:.4f} (difference {d:.1e}).",
            rec=ident["reconstruction"],
            sq=ident["squared_error"],
            w=ident["weight"],
            c=ident["constant"],
            total=ident["reconstruction"] - ident["difference"],
            d=ident["difference"],
        )
    )
    numbers = hidden_beta_numbers(sweep)
    st.plotly_chart(hidden_beta_figure(numbers, tr), key="lk_sweep")
    st.dataframe(hidden_beta_table(numbers), hide_index=True, key="lk_sweep_table", column_config=likelihood_formats())
    st.caption(
        tr(
            "pPCA keeps: the latent directions that probabilistic PCA, the linear model with the same fixed sigma, "
            "keeps (Tipping & Bishop 1999): those along which the training pictures vary by more than sigma^2. "
            "The trained models' used units follow it: while the pictures vary by more than sigma^2 along some "
            "directions, z keeps those; a sigma above the largest spread leaves z unused."
        )
    )

colour_section()

st.subheader(tr("Train one yourself"))
train_like_buttons(models, {r: tr(LESSON[r].label) for r in models}, "lk_train")
lesson_command_lines(
    LESSON | {f"sigma {k}": r for k, r in SWEEP.items()} | {f"colour {k}": r for k, r in LESSONS["colour"].items()}
)
