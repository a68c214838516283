"""Home: what a VAE is, the models at hand, and the lessons."""

import pandas as pd
import streamlit as st

from ui.i18n import message_text, tr
from ui.models import comparable_groups, model_summaries, set_current, skipped_models, table_row
from ui.navigation import HOME_LESSONS, PAGE
from ui.owner import owner_id
from vae.config.shipped import LESSON_PAGES

st.title(tr("VAE latent-space explorer"))
st.markdown(
    tr(
        "A **variational autoencoder** learns an encoder $q_\\phi(z\\mid x)$ that maps an image to a Gaussian "
        "over a small latent code $z$, and a decoder $p_\\theta(x\\mid z)$ that turns codes back into images. "
        "Both are trained together by maximising the evidence lower bound (ELBO):"
    )
)
st.latex(
    r"\log p(x) \;\ge\; \underbrace{\mathbb{E}_{q_\phi(z|x)}\big[\log p_\theta(x|z)\big]}_{-\text{distortion}}"
    r"\;-\;\beta\,\underbrace{\mathrm{KL}\big(q_\phi(z|x)\,\|\,\mathcal{N}(0, I)\big)}_{\text{rate}}".replace(
        r"\text{distortion}", r"\text{" + tr("distortion") + "}"
    ).replace(r"\text{rate}", r"\text{" + tr("rate") + "}")
)
st.markdown(
    tr(
        "The first term rewards faithful reconstructions; the second keeps every code close to the prior so that "
        "sampling $z \\sim \\mathcal{N}(0, I)$ and decoding gives new images. With $\\beta = 1$ this is the ELBO; "
        "larger $\\beta$ trades reconstruction for a simpler, often more disentangled code, until the code carries "
        "nothing at all: **posterior collapse**. Numbers below are in nats per image on the test split."
    )
)

st.subheader(tr("Models"))
rows = model_summaries()
if rows:
    st.caption(
        tr(
            "One table per data set and kind of likelihood: nats compare only within a table. A density (Gaussian) "
            "and a probability (Bernoulli, categorical) of the same images are hundreds of nats apart, and other "
            "data are on other scales. Pick the current model in the sidebar; ★ marks yours."
        )
    )
    me = owner_id()
    for dataset, scale, group in comparable_groups(rows):
        st.markdown(f"**`{dataset}`** · {message_text(scale)}")
        # st.table, not st.dataframe: a static HTML table needs none of the interactive grid's code (0.5 MB of
        # JavaScript every browser would load and compile on its first page; 10 at once on 2 cores took 3 s longer)
        table = pd.DataFrame([table_row(r, **{"★": "★" if r["owner"] == me else ""}) for r in group])
        st.table(
            table.style.format({tr("test -ELBO"): "{:.2f}", tr("rate (KL)"): "{:.2f}", "beta": "{:g}"}, na_rep="-"),
            hide_index=True,
            height="content" if len(group) <= 20 else 740,
        )  # a class's many models scroll
    st.caption(tr("`make checkpoints` regenerates the shipped models."))
else:
    st.info(tr("No models yet: train one on the Train page."))
skipped = skipped_models()
if skipped:  # the reasons quote the files: plain text, never Markdown
    st.caption(tr("{n} file(s) in the model folders are left out, on every page:", n=len(skipped)))
    st.text("\n".join(f"{name}: {message_text(reason)}" for name, reason in skipped))

st.subheader(tr("Lessons"))
st.page_link(PAGE["chapter"], label=tr("The chapter, live"), icon=":material/menu_book:")
st.caption(tr("the chapter's outline, claim by claim, each with the page and the model that show it."))
shown = {r["name"] for r in rows}
for key, label, what in HOME_LESSONS:
    c1, c2 = st.columns([2, 5])
    model = LESSON_PAGES.get(key)
    if model in shown:  # the page opens on the lesson's own model, whichever was current
        if c1.button(tr(label), key=f"lesson_{key}", type="tertiary", help=tr("opens on {model}", model=model)):
            set_current(model)
            st.switch_page(PAGE[key])
    else:
        with c1:
            st.page_link(PAGE[key], label=tr(label))
    c2.markdown(tr(what))
