"""One Streamlit widget per training knob, generated from :data:`vae.config.knobs.KNOBS`.

Every widget's key is the knob's name and is bound to the URL query parameter of
that name (``bind="query-params"``), so the page URL always describes the
experiment and a shared link reopens it. Presets and remedies set the same keys.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.i18n import message_text, tr
from vae.config import (
    DataConfig,
    VAEConfig,
    default_hidden,
    image_side,
)
from vae.config.datasets import kind_of
from vae.config.knobs import KNOBS
from vae.config.values import apply, defaults, parse, text_problem
from vae.errors import ConfigError
from vae.i18n import N_

SAME = N_("same as encoder")  # the decoder fields' option (a value, as the URL holds it; shown translated)


def to_widget(name: str, value: Any) -> Any:
    """A knob value as its widget holds it."""
    knob = KNOBS[name]
    if knob.type is bool:
        return bool(value)  # None (a decoder knob left as the encoder's) is the encoder's default: off
    if knob.is_list:
        return "" if value is None else " ".join(str(v) for v in value)
    if knob.choices and knob.section == "decoder":
        return SAME if value is None else value
    if name in ("data_path", "data_root"):
        return value or ""
    return value


def from_widget(name: str, value: Any) -> Any:
    """A widget's value as the knob takes it (raises ConfigError on unparsable text)."""
    knob = KNOBS[name]
    if knob.is_list or name in ("data_path", "data_root"):
        return parse(name, value or "")
    if value == SAME:
        return None
    return value


def url_problems(query: dict[str, str]) -> list[tuple[str, str]]:
    """What is wrong with the knob values in a shared link (``st.query_params``): (parameter, message) each.

    A bound widget silently drops a value it cannot take, and a text field would keep one out of range; the
    page says so and removes the parameter, so that the form shows the default it says.
    """

    out = []
    for name, text in query.items():
        if name in KNOBS and name not in SERVER_PATHS:
            why = text_problem(name, text, same=SAME)
            if why:
                out.append(
                    (
                        name,
                        tr(
                            "The link's {name}={text} was not used: {why}. The form shows its default instead.",
                            name=name,
                            text=text[:40],
                            why=message_text(why),
                        ),
                    )
                )
        elif name in SERVER_PATHS:
            message = tr(
                "The link's {name} was not used: a shared link cannot name files on the server; "
                "upload your data on this page instead.",
                name=name,
            )
            out.append((name, message))
    return out


REFUSED_KEY = "_refused_link_values"  # (knob, warning) pairs of a link, kept over the rerun that resets them


def refused_link_values(refused: list[tuple[str, str]]) -> list[str]:
    """The warnings to show about a link's refused values (``url_problems``), their knobs at the defaults.

    A widget bound to the URL takes the link's value on its first run whatever the session state says, and a
    value such as epochs=1e999 makes Streamlit's own seeding raise. So the refused parameters are removed and
    the page reruns at once, before any widget reads them; the warnings are kept in the session over the rerun.
    """
    if refused:
        for name, _ in refused:
            del st.query_params[name]
        st.session_state[REFUSED_KEY] = refused
        st.rerun()
    kept = st.session_state.pop(REFUSED_KEY, [])
    for name, _ in kept:
        if name in KNOBS and name not in NOT_IN_FORM:
            st.session_state[name] = to_widget(name, defaults()[name])
    return [message for _, message in kept]


def set_values(values: dict[str, Any]) -> None:
    """Put knob values into the widgets (call from a callback, before they are drawn)."""
    base = defaults()
    for name in KNOBS:
        st.session_state[name] = to_widget(name, values.get(name, base[name]))


SERVER_PATHS = ("data_path", "data_root")  # never a form field: uploads and the operator's data folder instead
NOT_IN_FORM = set(SERVER_PATHS)
NOT_OFFERED: set[str] = set()  # choices of a knob that the form leaves out (none: every one works from the web)


def disabled_knobs(values: dict[str, Any]) -> set[str]:
    """The knobs the form shows disabled for these widget values: those the networks of the dataset's kind
    do not read, and those whose condition on another knob does not hold (their declarations' ``kinds`` and
    ``when``)."""
    kind = kind_of(values.get("dataset"))
    given = {name: from_widget_or_none(name, v) for name, v in values.items() if name in KNOBS}
    return {name for name, knob in KNOBS.items() if not knob.in_use(given, kind)}


def unused_knobs(dataset: str | None) -> set[str]:
    """The knobs the networks of this dataset's kind do not read (their declarations' ``kinds``)."""
    kind = kind_of(dataset)
    return {name for name, knob in KNOBS.items() if kind not in knob.kinds}


def from_widget_or_none(name: str, value: Any) -> Any:
    """:func:`from_widget`, or None for text the knob cannot parse (the form says why elsewhere)."""
    try:
        return from_widget(name, value)
    except ConfigError:
        return None


def form_presets() -> list[str]:
    """The presets the Train form offers: all of them (image and text data)."""
    from vae.config.presets import PRESETS

    return list(PRESETS)


def form_config(raw: dict[str, Any]):
    """The configuration that the Train form's widget values ``raw`` describe (ConfigError when they do not)."""
    return apply(VAEConfig(), {k: from_widget(k, v) for k, v in raw.items()}).validate()


def form_defaults() -> dict[str, Any]:
    """The Train form's widget values as a fresh page shows them (no preset, no URL parameters)."""
    return {name: to_widget(name, value) for name, value in defaults().items() if name not in SERVER_PATHS}


def data_kind(dataset: str | None):
    """The modality class of a dataset's examples (its kind in :mod:`vae.config.datasets`)."""
    from vae.data.modality import MODALITIES

    return MODALITIES[kind_of(dataset)]


def switch_data_kind() -> None:
    """on_change of ``dataset``: when the form's encoder, decoder or likelihood cannot read the new kind of data
    (pictures, token sequences, series), put that kind's defaults into the form (a GRU and a categorical over
    the vocabulary for text; an MLP and a Gaussian for series; the form's defaults for pictures), so that the
    form starts from networks that read the data. Choices that fit stay; one that does not, picked later, is
    refused before Start with the families that apply."""
    kind = data_kind(st.session_state.get("dataset"))
    arch, dec = st.session_state.get("arch") or "mlp", st.session_state.get("decoder_arch")
    lik = st.session_state.get("likelihood") or "bernoulli"
    if arch in kind.encoder_families and dec in (None, SAME, *kind.decoder_families) and lik in kind.likelihoods:
        return
    base = defaults()
    values = kind.form_defaults or {k: base[k] for k in ("arch", "decoder_arch", "likelihood", "binarize")}
    for name, value in values.items():
        st.session_state[name] = to_widget(name, value)
    switch_family_defaults()


def family_widths(values) -> dict[str, str]:
    """The form's widths for the families that ``values`` name (``dataset``, ``sprites_size``, ``arch``,
    ``decoder_arch``, as the widgets or a link hold them): the encoder family's defaults, and the decoder's where
    its family differs ("" where it is the mirror)."""
    size = str(values.get("sprites_size") or "")
    side = image_side(DataConfig(name=values.get("dataset") or "mnist5k", size=int(size) if size.isdigit() else 32))
    arch, dec = values.get("arch") or "mlp", values.get("decoder_arch")
    return {
        "hidden": to_widget("hidden", default_hidden(arch, side)),
        "decoder_hidden": (
            "" if dec in (None, SAME, arch) else to_widget("decoder_hidden", default_hidden(dec, side)[::-1])
        ),
    }


def switch_family_defaults() -> None:
    """on_change of ``arch``/``decoder_arch``: put the new family's default widths into the form."""
    for name, widths in family_widths(st.session_state).items():
        st.session_state[name] = widths


LINK_FAMILY_KEY = "_link_family_defaults"  # set once the session's link had its family widths put into the form


def link_family_defaults(query: dict[str, str]) -> None:
    """A link that names a network family but not its widths (``?arch=cnn``) gets that family's default widths,
    as choosing the family in the form does (:func:`switch_family_defaults`, which a link never calls): without
    it the form kept the MLP's 400 units as a CNN's channels, a model a hundred times too slow. On the session's
    first run only (a link opens a session; a width typed later is the reader's), after
    :func:`refused_link_values` has removed what the link got wrong."""
    if st.session_state.get(LINK_FAMILY_KEY):
        return
    st.session_state[LINK_FAMILY_KEY] = True
    widths = family_widths({"arch": st.session_state.get("arch"), **query})
    if "arch" in query and "hidden" not in query:
        st.session_state["hidden"] = widths["hidden"]
    if widths["decoder_hidden"] and "decoder_arch" in query and "decoder_hidden" not in query:
        st.session_state["decoder_hidden"] = widths["decoder_hidden"]


def same_as_encoder():
    """The decoder fields' option labels: SAME in the session's language, the other options as they are (a
    function of the value alone, bound to the language now: Streamlit may call it outside the page run)."""
    same = tr(SAME)
    return lambda v: same if v == SAME else v


def knob_help(knob) -> str:
    """The knob's help in the session's language, with its range where it has one and its command-line flag (the
    labels are words of the session's language; the flag is the same in every language)."""
    text = tr(knob.help)
    text = tr("{help} (from {lo:g} to {hi:g})", help=text, lo=knob.lo, hi=knob.hi) if knob.range_text else text
    return text + "\n\n" + tr("Command line: `{flag}`", flag=knob.flag)


def widget(name: str, disabled: bool = False) -> Any:
    """Draw the knob's widget; return its current widget value."""
    knob = KNOBS[name]
    default = to_widget(name, defaults()[name])
    label = tr(knob.label)
    common = dict(key=name, help=knob_help(knob), disabled=disabled, bind="query-params")
    if name in ("arch", "decoder_arch"):
        common["on_change"] = switch_family_defaults
    if name == "dataset":
        common["on_change"] = switch_data_kind
    # The default is always given, even when a preset put a value into session state, so that the
    # URL leaves out parameters at their defaults (.streamlit/config.toml silences the warning).
    if knob.choices:
        options = ([SAME] if knob.section == "decoder" else []) + [c for c in knob.choices if c not in NOT_OFFERED]
        return st.selectbox(label, options, index=options.index(default), format_func=same_as_encoder(), **common)
    common["value"] = default
    if knob.type is bool:
        return st.checkbox(label, **common)
    if knob.is_list or knob.type is str:
        return st.text_input(label, placeholder=tr(SAME) if knob.section == "decoder" else "", **common)
    if knob.type is int:
        return st.number_input(label, min_value=int(knob.lo), max_value=int(knob.hi), step=1, **common)
    step = {"lr": 1e-4, "weight_decay": 1e-4, "sigma": 0.01, "dropout": 0.05}.get(name, 0.1 if knob.hi <= 100 else 1.0)
    fmt = "%.0e" if name in ("lr",) else ("%.4f" if name == "weight_decay" else "%.3g")
    return st.number_input(
        label,
        min_value=float(knob.lo),
        max_value=float(knob.hi),
        step=step,
        format=fmt,
        placeholder=tr("empty = off") if knob.optional else None,
        **common,
    )
