"""Page patterns that several pages share."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ui.knob_widgets import set_values
from ui.models import set_current
from ui.navigation import PAGE
from vae.config.values import values_of


def open_train_with(config, changes: dict[str, Any], model: str, change: str) -> None:
    """Open the Train page with ``config``'s settings and ``changes`` (knob names) applied; the new model
    is named after ``model`` and the ``change`` (lower case, dashes): "digits-z4-free-bits"."""
    values = values_of(config)
    values.update(changes)
    set_values(values)
    st.session_state["name"] = f"{model}-" + re.sub(r"[^a-z0-9]+", "-", change.lower()).strip("-")
    st.switch_page(PAGE["train"])


def make_clicked_model_current(event, seen_key: str, current_name: str | None = None) -> None:
    """The model whose point was clicked on a chart (its name in ``customdata[0]``) becomes current.

    ``seen_key`` remembers the click already handled: a chart keeps its selection across reruns.
    """
    clicked = [p["customdata"][0] for p in (event.selection.points if event else []) if p.get("customdata")]
    if clicked and clicked[0] != current_name and st.session_state.get(seen_key) != clicked[0]:
        st.session_state[seen_key] = clicked[0]
        set_current(clicked[0])
        st.rerun()
