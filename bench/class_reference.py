"""The floor for bench/classroom_load.py: the app's pages replayed by a bare Streamlit app.

``capture(folder)`` runs every page of the real app once with AppTest, on the shipped
models, and writes down what it shows: headings, texts, metrics, tables, every Plotly
figure as sent to the browser, and every widget with its label, options and value, in
their columns, expanders and status boxes. The latent map is captured twice, with PCA
and with t-SNE.

Run as a Streamlit script (``streamlit run bench/class_reference.py`` with
``CLASS_REFERENCE_PAGES`` naming the captured JSON), it draws those pages again under
the same titles, sidebar sections and URLs, with no model, no cache and no work on the
server beyond Streamlit's own. Its "projection" select box switches the latent map
between the two captured maps. A class browsing it costs the browsers what the real app
costs them (the same elements and figures) and the server next to nothing: its render
times are the floor that Streamlit and the simulated browsers alone set on this machine.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

PROJECTION_LABEL = "projection"  # the latent map's select box, whose value picks the captured variant


# ------------------------------------------------------------------ capture (AppTest, in the bench's process)


def _node(el) -> dict | None:
    """One AppTest element or block as JSON: kind and what the browser draws of it."""
    kind, p = type(el).__name__, getattr(el, "proto", None)
    if kind == "Block":
        children = list(el.children.values())
        if children and all(type(c).__name__ == "Column" for c in children):
            return {"kind": "columns", "columns": [_nodes(c) for c in children]}
        return {"kind": "container", "children": _nodes(el)}
    if kind in ("Expander", "Status"):
        return {"kind": kind.lower(), "label": p.label, "children": _nodes(el)}
    if kind in ("Title", "Subheader", "Header", "Markdown", "Caption", "Latex", "Info", "Success", "Warning", "Error"):
        return {"kind": kind.lower(), "text": el.value}
    if kind == "Metric":
        return {"kind": "metric", "label": p.label, "value": p.body}
    if kind in ("Dataframe", "Table"):
        return {"kind": kind.lower(), "data": el.value.to_json(orient="split", default_handler=str)}
    if getattr(el, "type", None) == "plotly_chart":
        modes = p.DESCRIPTOR.fields_by_name["selection_mode"].enum_type.values_by_number
        return {"kind": "plotly", "spec": p.spec, "selection": [modes[m].name.lower() for m in p.selection_mode]}
    if kind in ("Selectbox", "Radio"):
        out = {"kind": kind.lower(), "label": p.label, "options": list(p.options), "index": p.default}
        return {**out, "horizontal": p.horizontal} if kind == "Radio" else out
    if kind == "Multiselect":
        return {"kind": "multiselect", "label": p.label, "options": list(p.options), "default": list(p.default)}
    if kind == "SelectSlider":
        return {"kind": "select_slider", "label": p.label, "options": list(p.options), "index": int(p.default[0])}
    if kind == "Slider":
        return {
            "kind": "slider",
            "label": p.label,
            "min": p.min,
            "max": p.max,
            "step": p.step,
            "value": list(p.default),
            "int": p.data_type == p.INT,
        }
    if kind == "NumberInput":
        return {
            "kind": "number_input",
            "label": p.label,
            "min": p.min if p.has_min else None,
            "max": p.max if p.has_max else None,
            "step": p.step,
            "value": p.default if p.HasField("default") else None,
            "int": p.data_type == p.INT,
        }
    if kind in ("TextInput", "Toggle", "Checkbox"):
        return {"kind": {"TextInput": "text_input"}.get(kind, kind.lower()), "label": p.label, "value": el.value}
    if kind in ("Button", "DownloadButton", "PageLink", "FileUploader"):
        return {"kind": kind.lower(), "label": p.label}
    return None  # anything else (a spinner, an empty placeholder) draws nothing


def _with_help(el) -> dict | None:
    node, p = _node(el), getattr(el, "proto", None)
    if node is not None and getattr(p, "help", ""):
        node["help"] = p.help
    return node


def _nodes(block) -> list[dict]:
    return [n for n in (_with_help(c) for c in block.children.values()) if n is not None]


def capture(folder: Path, class_folder: Path) -> dict:
    """Every page of app.py as it shows the default model of ``folder`` (no warm-up: AppTest computes).
    The app reads its folders from the environment, which is as it was again afterwards."""
    from unittest import mock

    settings = {"VAE_CHECKPOINTS": str(folder), "VAE_CLASS_MODELS": str(class_folder), "VAE_WARM_UP": "0"}
    with mock.patch.dict(os.environ, settings):
        return _capture()


def _capture() -> dict:
    from streamlit.testing.v1 import AppTest

    from ui.navigation import PAGE

    root = Path(__file__).resolve().parent.parent
    at = AppTest.from_file(str(root / "app.py"), default_timeout=600)
    at.run()
    pages = {}
    for key, script in PAGE.items():
        at.switch_page(script).run()
        variants = {"": _nodes(at.main)}
        if key == "latent_map":
            variants = {}
            for i, method in enumerate(next(b for b in at.selectbox if b.label == PROJECTION_LABEL).options):
                next(b for b in at.selectbox if b.label == PROJECTION_LABEL).select_index(i).run()
                variants[method] = _nodes(at.main)  # by the option's text: "PCA", "TSNE"
        if at.exception:
            raise RuntimeError(f"{key}: {[e.message for e in at.exception]}")
        pages[key] = variants
    return {"pages": pages, "sidebar": _nodes(at.sidebar)}


# ------------------------------------------------------------------ replay (the Streamlit script)


def _draw(nodes: list[dict], where, prefix: str) -> None:
    """Draw captured ``nodes`` into ``where`` (``st``, the sidebar, a column...); widget keys start with ``prefix``."""
    import pandas as pd
    import plotly.graph_objects as go

    for i, n in enumerate(nodes):
        key, kind, tip = f"{prefix}.{i}", n["kind"], {"help": n["help"]} if "help" in n else {}
        if kind == "columns":
            for j, (col, inner) in enumerate(zip(where.columns(len(n["columns"])), n["columns"])):
                _draw(inner, col, f"{key}.{j}")
        elif kind == "container":
            _draw(n["children"], where.container(), key)
        elif kind == "expander":
            _draw(n["children"], where.expander(n["label"]), key)
        elif kind == "status":
            _draw(n["children"], where.status(n["label"], state="complete"), key)
        elif kind in ("title", "subheader", "header", "caption", "markdown", "info", "success", "warning", "error"):
            getattr(where, kind)(n["text"])
        elif kind == "latex":
            where.markdown(n["text"])
        elif kind == "metric":
            where.metric(n["label"], n["value"], **tip)
        elif kind in ("dataframe", "table"):
            getattr(where, kind)(pd.read_json(io.StringIO(n["data"]), orient="split"), hide_index=True)
        elif kind == "plotly":
            extra = {"on_select": "rerun", "selection_mode": n["selection"]} if n["selection"] else {}
            where.plotly_chart(go.Figure(json.loads(n["spec"]), skip_invalid=True), key=key, **extra)
        elif kind == "selectbox":
            where.selectbox(
                n["label"],
                n["options"],
                n["index"],
                key=PROJECTION_LABEL if n["label"] == PROJECTION_LABEL else key,
                **tip,
            )
        elif kind == "radio":
            where.radio(n["label"], n["options"], n["index"], horizontal=n["horizontal"], key=key, **tip)
        elif kind == "multiselect":
            where.multiselect(n["label"], n["options"], [n["options"][k] for k in n["default"]], key=key, **tip)
        elif kind == "select_slider":
            where.select_slider(n["label"], n["options"], n["options"][n["index"]], key=key, **tip)
        elif kind in ("slider", "number_input"):
            cast = int if n["int"] else float
            value = (
                [cast(v) for v in n["value"]] if kind == "slider" else None if n["value"] is None else cast(n["value"])
            )
            bounds = {k: cast(n[k]) for k in ("min", "max") if n[k] is not None}
            getattr(where, kind)(
                n["label"],
                bounds.get("min"),
                bounds.get("max"),
                value[0] if kind == "slider" and len(value) == 1 else value,
                cast(n["step"]),
                key=key,
                **tip,
            )
        elif kind in ("text_input", "toggle", "checkbox"):
            getattr(where, kind)(n["label"], n["value"], key=key, **tip)
        elif kind == "button":
            where.button(n["label"], key=key, **tip)
        elif kind == "downloadbutton":
            where.download_button(n["label"], b"", key=key, **tip)
        elif kind == "pagelink":  # the same element, to a page that nobody follows
            where.page_link("http://localhost/", label=n["label"])
        elif kind == "fileuploader":
            where.file_uploader(n["label"], key=key, **tip)


def replay() -> None:
    import streamlit as st

    captured = json.loads(Path(os.environ["CLASS_REFERENCE_PAGES"]).read_text())
    st.set_page_config(page_title="VAE latent-space explorer (replayed)", layout="wide")

    def page(key: str):
        def draw():
            _draw(captured["sidebar"], st.sidebar, "sidebar")
            variants = captured["pages"][key]
            chosen = st.session_state.get(PROJECTION_LABEL, next(iter(variants)))
            _draw(variants.get(chosen, next(iter(variants.values()))), st, key)

        draw.__name__ = key
        return draw

    from ui.navigation import NAVIGATION  # app.py's sections, titles, icons and order

    nav = {
        section: [
            st.Page(page(key), title=title, icon=f":material/{icon}:", url_path=key, default=key == "home")
            for key, title, icon in entries
        ]
        for section, entries in NAVIGATION.items()
    }
    st.navigation(nav).run()


if __name__ == "__main__":
    replay()
