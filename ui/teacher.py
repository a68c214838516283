"""The teacher's access: a token the operator sets (``$VAE_TEACHER_TOKEN``), entered once per browser session.

Without the variable the teacher's view is off. A student who opens the page sees only the
token field; the controls are drawn for a session that gave the right token, compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import streamlit as st

TEACHER_KEY = "_teacher"  # session state: this session gave the right token


def teacher_token() -> str | None:
    """The operator's token, or None when the teacher's view is off."""
    token = os.environ.get("VAE_TEACHER_TOKEN", "").strip()
    return token or None


def is_teacher() -> bool:
    """True for a session that gave the right token (while the operator's token is set)."""
    return teacher_token() is not None and st.session_state.get(TEACHER_KEY) is True


def sign_in(given: str) -> bool:
    """Check ``given`` against the operator's token; remember a match for this session."""
    token = teacher_token()
    ok = token is not None and hmac.compare_digest(given.strip().encode(), token.encode())
    st.session_state[TEACHER_KEY] = ok
    return ok


def student_label(owner: str | None) -> str:
    """A short, stable name for an owner token (the token itself is the student's key: never shown)."""
    if not owner:
        return "-"
    return hashlib.sha256(owner.encode()).hexdigest()[:6]
