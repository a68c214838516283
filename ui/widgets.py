"""Page patterns that several pages share."""

from __future__ import annotations

import base64
import re
from typing import Any

import numpy as np
import streamlit as st

from ui.i18n import tr
from ui.knob_widgets import set_values
from ui.models import set_current
from ui.navigation import PAGE
from vae.config.values import values_of


def open_train_with(config, changes: dict[str, Any], model: str, change: str) -> None:
    """Open the Train page with ``config``'s settings and ``changes`` (knob names) applied; the new model
    is named after ``model`` and the ``change`` (lower case, dashes): "digits-z4-free-bits". ``model`` stays
    the current model: the sidebar's widget state does not survive st.switch_page from a button's run."""
    values = values_of(config)
    values.update(changes)
    set_values(values)
    st.session_state["name"] = f"{model}-" + re.sub(r"[^a-z0-9]+", "-", change.lower()).strip("-")
    set_current(model)
    st.switch_page(PAGE["train"])


def selected_custom(event) -> list[list]:
    """The ``customdata`` of each point selected on a Plotly chart, as a plain list per point.

    Plotly 7 sends numeric arrays as typed arrays, ``{"dtype": "i4", "bdata": <base64>}``, in selection
    events too; a point's row of a 2-D typed array reaches the server as a browser's JSON of a TypedArray,
    ``{"0": 17, "1": 0}``; strings stay JSON lists. Every page reads selections through this helper."""
    out = []
    for p in event.selection.points if event else []:
        custom = p.get("customdata")
        if isinstance(custom, dict) and "bdata" in custom:
            custom = decode_typed_array(custom)
        elif isinstance(custom, dict) and custom and all(str(k).isdigit() for k in custom):
            custom = [custom[k] for k in sorted(custom, key=int)]  # a TypedArray, as JSON.stringify writes it
        elif custom is not None and not isinstance(custom, list):
            custom = [custom]
        if custom:
            out.append(list(custom))
    return out


def decode_typed_array(spec: dict) -> list:
    """A Plotly typed array (``dtype`` such as ``i4``, ``u1``, ``f8``; little-endian base64 ``bdata``) as a list."""
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype("<" + str(spec["dtype"]))).tolist()


def make_clicked_model_current(event, seen_key: str, current_name: str | None = None) -> None:
    """The model whose point was clicked on a chart (its name in ``customdata[0]``) becomes current.

    ``seen_key`` remembers the click already handled: a chart keeps its selection across reruns.
    """
    clicked = [c[0] for c in selected_custom(event)]
    if clicked and clicked[0] != current_name and st.session_state.get(seen_key) != clicked[0]:
        st.session_state[seen_key] = clicked[0]
        set_current(clicked[0])
        st.rerun()


def pick_examples(how: str, ds, x, labels, n: int, seed: int, split: str) -> np.ndarray | None:
    """The examples a reader picks: ``how`` is "random" (n of them, by ``seed``), "by index" (typed) or "by label"
    (n random ones of the label chosen); None, with the reason shown, when the pick is not usable."""
    from ui import compute

    rng = np.random.default_rng(seed)
    index = None
    if how == "random":
        index = np.array(compute.random_examples(len(x), n, seed))
    elif how == "by index":
        text = st.text_input(
            tr("example indices (0..{last}), separated by spaces or commas", last=len(x) - 1),
            "0 1 2 3 4",
            key="rec_indices",
        )
        try:
            index = np.array([int(t) for t in text.replace(",", " ").split()], dtype=int)
        except ValueError:
            st.error(tr("Indices must be whole numbers; got {text!r}.", text=text))
        if index is not None:
            bad = index[(index < 0) | (index >= len(x))]
            if len(bad) or not len(index):
                st.error(
                    tr("Give indices from 0 to {last}", last=len(x) - 1)
                    + (tr("; out of range: {bad}", bad=bad.tolist()) if len(bad) else ".")
                )
                index = None
    else:
        classes = ds.classes or [str(c) for c in np.unique(labels)]
        label = st.selectbox(
            tr("label"), list(range(len(classes))), format_func=lambda k: str(classes[k]), key="rec_label"
        )
        pool = np.flatnonzero(labels == label)
        if len(pool):
            index = rng.choice(pool, size=min(n, len(pool)), replace=False)
        else:
            st.warning(tr("No {split} example has the label {label}.", split=tr(split), label=classes[label]))
    return index
