"""The teacher's access: a token the operator sets (``$VAE_TEACHER_TOKEN``), entered once per browser session.

Without the variable the teacher's view is off. A student who opens the page sees only the
token field; the controls are drawn for a session that gave the right token, compared in
constant time. After each wrong token the server waits twice as long before it checks another
(1, 2, 4... at most 60 s, for every session: a new browser does not start the count again),
and the right token resets the count.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time

import streamlit as st

TEACHER_KEY = "_teacher"  # session state: this session gave the right token


def teacher_token() -> str | None:
    """The operator's token, or None when the teacher's view is off."""
    token = os.environ.get("VAE_TEACHER_TOKEN", "").strip()
    return token or None


def is_teacher() -> bool:
    """True for a session that gave the right token (while the operator's token is set)."""
    return teacher_token() is not None and st.session_state.get(TEACHER_KEY) is True


MAX_WAIT = 60.0  # seconds: the longest wait between two sign-ins after wrong tokens


class _Guard:
    """Wrong tokens seen by this server, and until when it checks no other (monotonic seconds)."""

    lock = threading.Lock()
    failures = 0
    until = 0.0


def sign_in(given: str) -> bool | float:
    """Check ``given`` against the operator's token; remember a match for this session.

    True or False, or the seconds still to wait (a float) when a wrong token came too recently: then
    ``given`` is not checked at all.
    """
    token = teacher_token()
    with _Guard.lock:
        wait = _Guard.until - time.monotonic()
        if wait > 0:
            return wait
        ok = token is not None and hmac.compare_digest(given.strip().encode(), token.encode())
        _Guard.failures = 0 if ok else _Guard.failures + 1
        _Guard.until = time.monotonic() + (min(2.0 ** (_Guard.failures - 1), MAX_WAIT) if not ok else 0.0)
    st.session_state[TEACHER_KEY] = ok
    return ok


def student_label(owner: str | None) -> str:
    """A short, stable name for an owner token (the token itself is the student's key: never shown)."""
    if not owner:
        return "-"
    return hashlib.sha256(owner.encode()).hexdigest()[:6]
