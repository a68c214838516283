"""Reading every visible word of a page (AppTest), and spotting English sentences among them."""

from __future__ import annotations

import json
import re

TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success")
WIDGETS = (
    "selectbox",
    "radio",
    "slider",
    "select_slider",
    "number_input",
    "text_input",
    "checkbox",
    "toggle",
    "button",
    "multiselect",
    "download_button",
    "metric",
    "expander",
    "tab",
    "status",
)


def _figure_texts(spec: dict) -> list[str]:
    layout = spec.get("layout", {})
    out = []

    def title(v):
        if isinstance(v, dict):
            v = v.get("text")
        if isinstance(v, str):
            out.append(v)

    title(layout.get("title"))
    for k, v in layout.items():
        if k.startswith(("xaxis", "yaxis")) and isinstance(v, dict):
            title(v.get("title"))
    title(layout.get("legend", {}).get("title"))
    out += [a.get("text", "") for a in layout.get("annotations", []) if isinstance(a, dict)]
    out += [s.get("currentvalue", {}).get("prefix", "") for s in layout.get("sliders", [])]
    for t in spec.get("data", []):
        if isinstance(t.get("name"), str):
            out.append(t["name"])
        if isinstance(t.get("hovertemplate"), str):
            out.append(re.sub(r"%\{[^}]*\}|<[^>]*>", " ", t["hovertemplate"]))
        title(t.get("colorbar", {}).get("title") if isinstance(t.get("colorbar"), dict) else None)
        title(t.get("marker", {}).get("colorbar", {}).get("title") if isinstance(t.get("marker"), dict) else None)
    return out


def visible_texts(at) -> list[str]:
    """Every text a reader sees on the page: elements, widget labels, help and options, table headers, figures."""
    out: list[str] = []
    for kind in TEXT_ELEMENTS:
        out += [str(el.value) for el in at.get(kind)]
    for kind in WIDGETS:
        for el in at.get(kind):
            for attr in ("label", "help", "placeholder"):  # the proto's fields: AppTest knows no format_func
                v = getattr(el.proto, attr, None)
                if isinstance(v, str):
                    out.append(v)
            opts = getattr(el.proto, "options", None)
            if opts is not None and not isinstance(opts, str):
                out += [str(o) for o in opts]
    for el in at.get("page_link"):
        out.append(el.proto.label)
    for kind in ("dataframe", "table"):
        for el in at.get(kind):
            out += [str(c) for c in el.value.columns]
    for el in at.get("plotly_chart"):
        out += _figure_texts(json.loads(el.proto.spec))
    return [t for t in out if t]


ALLOWED = re.compile(
    r"\$[^$]*\$|`[^`]*`|\{[^}]*\}|https?://\S+|"  # formulas, code, placeholders, links
    r"Variational Lossy Autoencoder|Gulrajani et al|make checkpoints|pytorch/examples"
)
WORD = r"[A-Za-z][A-Za-z'\-]+"
ENGLISH_SENTENCE = re.compile(rf"{WORD}(?: {WORD}){{2,}}")  # three English words in a row


def english_sentences(texts: list[str], names: set[str]) -> list[str]:
    """The runs of three or more English words in ``texts``, once formulas, code, links and ``names``
    (model and dataset names) are taken out: a translated page has none."""
    found = []
    for t in texts:
        for n in sorted(names, key=len, reverse=True):
            t = t.replace(n, " ")
        t = ALLOWED.sub(" ", t)
        found += ENGLISH_SENTENCE.findall(t)
    return found


def visible_values(at) -> list[str]:
    """The single words a reader sees as values rather than sentences: table cells and headers, the options of
    radios and select boxes, a figure's category axes and tick labels (factor names, column headers)."""
    out: list[str] = []
    for kind in ("dataframe", "table"):
        for el in at.get(kind):
            df = el.value
            out += [str(c) for c in df.columns] + [str(i) for i in df.index]
            out += [str(v) for c in df.columns if df[c].dtype == object for v in df[c]]
    for kind in ("radio", "selectbox", "multiselect"):
        for el in at.get(kind):
            out += [str(o) for o in el.proto.options]
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        for k, v in spec.get("layout", {}).items():
            if k.startswith(("xaxis", "yaxis")) and isinstance(v, dict):
                out += [str(t) for t in v.get("ticktext") or []]
        for t in spec.get("data", []):
            out += [v for ax in ("x", "y") if isinstance(t.get(ax), list) for v in t[ax] if isinstance(v, str)]
    return out


TERMS = {  # English a Chinese page keeps: the literature's acronyms and names, the language switch's own name
    *"CNN DCI ELBO FactorVAE GRU IAF IWAE KL MIG MLP MNIST PCA SAP TSNE Transformer VAE".split(),
    *"beta beta-TCVAE beta-VAE log slerp".split(),
    "English",
}


def english_words(values: list[str], names: set[str], choices: set[str]) -> list[str]:
    """The English words among ``values`` (:func:`visible_values`) once formulas, code, ``names`` (models,
    datasets), ``choices`` (the knobs' values, typed as they are on the command line) and :data:`TERMS` are
    taken out: "decoder" in a table, "linear" as an option, "rotation" as a factor."""
    found = []
    for v in values:
        for n in sorted(names | choices, key=len, reverse=True):
            v = re.sub(rf"(?<![A-Za-z]){re.escape(n)}(?![A-Za-z])", " ", v)
        found += [w for w in re.findall(r"[A-Za-z][A-Za-z\-]{2,}", ALLOWED.sub(" ", v)) if w not in TERMS]
    return found
