"""Which browser a session is: an opaque owner token, kept in a cookie across reloads and tabs.

The token is the browser's secret; the files, the queue and the teacher's view know only its
digest (:func:`owner_id`, :func:`vae.service.storage.owner_digest`), so reading a model file
tells no one the cookie that would delete that student's models.
"""

from __future__ import annotations

import secrets

import streamlit as st

from vae.models.checkpoints import OWNER
from vae.service.storage import owner_digest

OWNER_COOKIE = "vae_owner"  # the browser keeps its owner token here across reloads and tabs; never in a URL


def owner_token() -> str:
    """This browser's opaque owner token (models it trains or uploads carry it).

    Kept in a cookie (:func:`remember_owner`), so that a reload or a second tab is still
    the same owner: a token held only by the session made a student's model "a
    classmate's", undeletable, after a reload. 128 random bits, hex; a cookie that is not
    a plain token (``vae.models.checkpoints.OWNER``) is ignored.
    """
    if "_owner" not in st.session_state:
        cookie = st.context.cookies.get(OWNER_COOKIE)
        ok = isinstance(cookie, str) and OWNER.fullmatch(cookie)  # (AppTest has no browser: no str there)
        st.session_state["_owner"] = cookie if ok else secrets.token_hex(16)
    return st.session_state["_owner"]


def owner_id() -> str:
    """What this browser's models and trainings are marked with: the digest of its :func:`owner_token`."""
    return owner_digest(owner_token())


def session_gone():
    """A function that tells whether this browser session has ended (its tab closed): for work done on its behalf
    that should stop then (an upload's check, :func:`vae.service.uploads.check_upload`). Always False outside a
    running server (the tests' AppTest)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not st.runtime.exists():
        return lambda: False
    runtime, session = st.runtime.get_instance(), ctx.session_id
    return lambda: not runtime.is_active_session(session)


def remember_owner() -> None:
    """Store the owner token in the browser (a year, this site only) unless the browser sent it already."""
    token = owner_token()
    if st.context.cookies.get(OWNER_COOKIE) != token:
        st.html(
            f"<script>document.cookie = '{OWNER_COOKIE}={token}; path=/; max-age=31536000; SameSite=Strict';</script>",
            unsafe_allow_javascript=True,
        )
