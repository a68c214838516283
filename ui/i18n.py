"""The session's language: ``tr`` for every visible word, and the switch in the sidebar.

Each browser session has its own language, kept in its session state and in the URL
(``?lang=zh`` / ``?lang=en``): a teacher's link opens in the class's language. A first
visit takes it from the link, else from the browser's language (``st.context.locale``),
else English. The translation objects come from ``vae.i18n`` (one compiled catalog per
language, read-only); nothing is installed process-wide, so one student's choice never
changes another's page.
"""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from vae.errors import VAEError
from vae.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translate, language_of, translator

LANG_KEY = "lang"  # session state: the session's language code, and the switch's widget key


def language() -> str:
    """The session's language code (``"zh"`` or ``"en"``); outside a page run (the warm-up), English."""
    if get_script_run_ctx() is None:
        return DEFAULT_LANGUAGE
    lang = st.session_state.get(LANG_KEY)
    if lang not in LANGUAGES:
        lang = language_of(st.query_params.get("lang")) or language_of(st.context.locale) or DEFAULT_LANGUAGE
        st.session_state[LANG_KEY] = lang
    return lang


def tr(message: str, **values: Any) -> str:
    """``message`` in the session's language, its ``{fields}`` filled from ``values``."""
    text = translator(language())(message)
    return text.format(**values) if values else text


def translate() -> Translate:
    """The session's translation function itself, bound to its language now: for ``format_func``, which
    Streamlit (and AppTest) may call outside the page run, where the session is not known."""
    return translator(language())


def message_text(message: str) -> str:
    """A backend message (a :class:`vae.i18n.Text`, or a plain English string) in the session's language."""
    t = translate()
    if hasattr(message, "translated"):
        return message.translated(t)
    return t(message) if message else ""


def error_text(e: VAEError) -> str:
    """A backend error's message in the session's language."""
    return e.translated(translate())


def spinning(message: str):
    """Decorator: say ``message`` in the reader's language while a cached call computes.

    ``st.spinner`` appears only after half a second, so a cache hit shows nothing, as
    ``show_spinner`` would (whose text is fixed when the module is imported, in one language).
    Outside a page run (the warm-up) the call runs as it is.
    """

    def wrap(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            if get_script_run_ctx() is None:
                return fn(*args, **kwargs)
            with st.spinner(tr(message)):
                return fn(*args, **kwargs)

        call.clear = fn.clear
        return call

    return wrap


def _keep_in_url() -> None:
    st.query_params["lang"] = st.session_state[LANG_KEY]


def language_switch() -> None:
    """中文 | English, in the sidebar; the choice is this session's and goes into the URL."""
    lang = language()
    st.radio(
        "语言 / Language",
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=LANG_KEY,
        horizontal=True,
        on_change=_keep_in_url,
        label_visibility="collapsed",
    )
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
