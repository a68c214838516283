"""The tables and buttons of the output-layer and likelihood lesson (pages/diagnose/likelihood.py)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import compute, defaults
from ui.i18n import language, tr, translate
from ui.lesson import lesson_models, train_like_buttons
from ui.models import data_split
from ui.widgets import selected_custom
from vae.analysis.levels import on_the_scale, ppca_kept
from vae.figures.likelihood import pixel_picker_figure
from vae.figures.plots import to_uint8
from vae.i18n import translator
from vae.models.likelihoods import nats_scale


def output_layer(cfg) -> str:
    """How the decoder's output becomes p(x|z)'s parameters, in the chapter's terms."""
    lik = cfg.likelihood
    if lik.name == "bernoulli":
        return "sigmoid -> p"
    if lik.name == "categorical":
        return tr("softmax over {bins}", bins=lik.bins)
    sigma = {"fixed": tr("fixed"), "learned": tr("learned"), "per-pixel": tr("per pixel")}[lik.variance]
    return f"mu = {lik.output}(out), sigma {sigma}"


def likelihood_rows(models: dict[str, Any], roles) -> list[dict[str, Any]]:
    """One row per model: its likelihood, output layer and data range, the sigma it ended with, its -ELBO in its
    own nats and what they are, the -ELBO of the 8-bit values in bits per dimension (where it has one), rate and
    used units."""
    rows = []
    for role, ck in models.items():
        numbers, rep = compute.likelihood_numbers(ck), compute.collapse_report(ck, defaults.IWAE_K)
        bits = f"{numbers['values']['bits_per_dim']:.3f}" if numbers["values"] else "—"  # a dash: off the scale
        rows.append(
            {
                tr("model"): tr(roles[role].label),
                tr("bits/dim of the 8-bit values"): bits,
                tr("-ELBO (its own nats)"): rep["elbo"],
                tr("rate (KL)"): rep["rate"],
                tr("used units"): f"{rep['used_units']}/{rep['latent_dim']}",
                "sigma": f"{ck.metrics['sigma']:.3f}" if "sigma" in ck.metrics else "—",
                tr("output layer"): output_layer(ck.config),
                tr("data range"): f"[{ck.config.likelihood.data_range}]",
                tr("what its nats are"): nats_scale(ck.config).translated(translate()),
                tr("name"): ck.name,
            }
        )
    return rows


def likelihood_formats() -> dict[str, Any]:
    """The likelihood and sweep tables' number formats."""
    number = st.column_config.NumberColumn
    return {
        tr("beta it amounts to"): number(format="%.4g"),
        tr("squared error ||x - mu||^2"): number(format="%.2f"),
        tr("-ELBO (its own nats)"): number(format="%.1f"),
        tr("bits/dim of the 8-bit values"): st.column_config.TextColumn(
            help=tr("—: not a probability of 8-bit values")
        ),
        tr("rate (KL)"): number(format="%.2f"),
    }


def hidden_beta_numbers(models: dict[str, Any]) -> list[dict[str, Any]]:
    """The sweep of a fixed sigma, one dict per model: ``sigma``, ``beta`` (what it amounts to against a
    unit-weight squared error, 2 sigma^2; the squared error's weight is 1 / (2 sigma^2)), ``rate``, ``used_units``,
    ``ppca`` (the units probabilistic PCA keeps at this sigma, :func:`vae.analysis.levels.ppca_kept`),
    ``squared_error`` of the means, ``verdict`` and ``name``."""
    rows = []
    for ck in models.values():
        rep, ident = compute.collapse_report(ck, defaults.IWAE_K), compute.likelihood_numbers(ck)["identity"]
        sigma = ck.config.likelihood.sigma
        rows.append(
            {
                "sigma": sigma,
                "beta": 2 * sigma**2,
                "rate": rep["rate"],
                "used_units": rep["used_units"],
                "ppca": ppca_kept(compute.training_spread(ck), sigma, ck.config.latent_dim),
                "squared_error": ident["squared_error"] if ident else None,
                "verdict": rep["verdict"],
                "name": ck.name,
            }
        )
    return rows


def hidden_beta_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`hidden_beta_numbers` under the page's column names."""
    return [
        {
            "sigma": r["sigma"],
            tr("beta it amounts to"): r["beta"],
            tr("rate (KL)"): r["rate"],
            tr("used units"): r["used_units"],
            tr("pPCA keeps"): r["ppca"],
            tr("squared error ||x - mu||^2"): r["squared_error"],
            tr("verdict"): tr(r["verdict"]),
            tr("name"): r["name"],
        }
        for r in rows
    ]


def pixel_models(models: dict[str, Any], roles, lang: str) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """The models whose prediction for one pixel the page draws (every one that is not autoregressive) and their
    labels in language ``lang``."""
    t = translator(lang)
    picked = [(ck, t(roles[role].label)) for role, ck in models.items() if not ck.model.autoregressive]
    return tuple(ck for ck, _ in picked), tuple(label for _, label in picked)


def values_models(models: dict[str, Any]) -> tuple[Any, ...]:
    """The models that give a probability of 8-bit values."""
    return tuple(ck for ck in models.values() if on_the_scale(ck.model.likelihood))


EXAMPLES = (0, 1, 2, 3, 4, 5)  # the test pictures the page draws for each model
N_PRIOR = 16  # prior samples per model


def clicked_pixel(event) -> tuple[int, int] | None:
    """The (row, col) of the pixel clicked on :func:`vae.figures.likelihood.pixel_picker_figure`, or None."""
    points = selected_custom(event)
    return (int(points[0][0]), int(points[0][1])) if points else None


def pixel_section(models: dict[str, Any], roles, ck) -> None:
    """One pixel of a test picture, clicked on the picture or set by the sliders, and every model's prediction
    for it; a new picture starts on its grey pixel nearest the centre."""
    st.subheader(tr("One pixel"))
    c1, c2, c3 = st.columns(3)
    example = int(c1.number_input(tr("test example"), 0, 999, 0, key="lk_example"))
    # the sliders' values go with the page (Streamlit drops a widget's state when a run does not draw it)
    if st.session_state.get("_lk_example") != example or "lk_row" not in st.session_state:
        _, st.session_state["lk_row"], st.session_state["lk_col"] = compute.default_pixel(ck, example)
        st.session_state["_lk_example"] = example
    side = ck.modality.shape[-1]
    left, right = st.columns([1, 2])
    _, x, _, _ = data_split(ck, "test")
    marked = (st.session_state["lk_row"], st.session_state["lk_col"])
    picker = pixel_picker_figure(to_uint8(x[example].cpu().numpy()), marked, tr)
    event = left.plotly_chart(
        picker, on_select="rerun", selection_mode="points", key="lk_pick", config={"displayModeBar": False}
    )
    clicked = clicked_pixel(event)
    if clicked is not None and clicked != st.session_state.get("_lk_clicked"):
        st.session_state["_lk_clicked"] = st.session_state["lk_row"], st.session_state["lk_col"] = clicked
        st.rerun()
    row = c2.slider(tr("row"), 0, side - 1, key="lk_row")
    col = c3.slider(tr("column"), 0, side - 1, key="lk_col")
    log = right.toggle(tr("log scale"), True, key="lk_log")
    fig, _ = compute.pixel_prediction_view(
        *pixel_models(models, roles, language()), example, (0, row, col), language(), log
    )
    right.plotly_chart(fig, key="lk_pixel")
    st.caption(
        tr(
            "At z = E[q(z|x)], on the grey pixel of the example nearest its centre to start with. A Bernoulli knows "
            "two values only, black and white; a Gaussian spreads its mass over the neighbouring values; a "
            "categorical may put it anywhere."
        )
    )


def colour_section() -> None:
    """The likelihoods on colour pictures (the lesson's last section): mnist5k-colour's shipped models, their
    numbers on one scale, and what the chosen one reconstructs and samples."""
    from vae.config.shipped import LESSONS

    roles = LESSONS["colour"]
    models = lesson_models(roles)
    if not models:
        return
    st.subheader(tr("Colour"))
    st.markdown(
        tr(
            "The same digits in a random foreground and background colour each (`mnist5k-colour`, 3 x 28 x 28), "
            "on the same CNN: a categorical over 32 quantized levels of each channel against a Gaussian with one "
            "learned sigma. Bits per dimension of the 8-bit values put the two on one scale; the categorical "
            "spreads each level's probability evenly over the 8 values it covers, which costs it log2 8 = 3 bits "
            "per dimension, so as a model of 5-bit colour its code is 3 bits per dimension shorter."
        )
    )
    st.dataframe(
        likelihood_rows(models, roles), hide_index=True, key="lk_colour_table", column_config=likelihood_formats()
    )
    role = st.radio(
        tr("model"), list(models), format_func=lambda r: tr(roles[r].label), horizontal=True, key="lk_colour"
    )
    fig, _ = compute.reconstruction_view(models[role], "test", EXAMPLES, 0, language())
    st.plotly_chart(fig, key="lk_colour_rec")
    fig, _ = compute.prior_samples_view(models[role], N_PRIOR, 1.0, 0, language())
    st.plotly_chart(fig, key="lk_colour_prior")
    st.caption(
        tr(
            "Each of a pixel's three values has its own distribution given z, and a draw picks them independently: "
            "its colours are noisier than the mean's."
        )
    )
    train_like_buttons(models, {r: tr(roles[r].label) for r in models}, "lk_colour_train")


def warm(languages) -> None:
    """Compute what the page draws on a first visit, for every model of the lesson and each language in
    ``languages`` (ui/warmup.py calls it once per server): its numbers, pictures and the first pixel's view."""
    from vae.config.shipped import LESSONS

    models = lesson_models(LESSONS["likelihood"])
    others = [*lesson_models(LESSONS["hidden beta"]).values(), *lesson_models(LESSONS["colour"]).values()]
    for ck in [*models.values(), *others]:
        compute.likelihood_numbers(ck)
        compute.collapse_report(ck, defaults.IWAE_K)
        compute.training_spread(ck)
        for lang in languages:
            compute.reconstruction_view(ck, "test", EXAMPLES, 0, lang)
            compute.prior_samples_view(ck, N_PRIOR, 1.0, 0, lang)
            compute.sigma_map_view(ck, EXAMPLES, lang)
    if models:
        first = next(iter(models.values()))
        _, row, col = compute.default_pixel(first, 0)
        for lang in languages:
            compute.pixel_prediction_view(
                *pixel_models(models, LESSONS["likelihood"], lang), 0, (0, row, col), lang, True
            )
