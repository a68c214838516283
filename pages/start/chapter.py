"""The chapter, live: the chapter's outline, each claim with the page that demonstrates it on its model."""

import streamlit as st

from ui.chapter import CHAPTER
from ui.i18n import language, tr
from ui.models import checkpoint_paths, load, set_current
from ui.navigation import PAGE, TITLES
from ui.widgets import open_train_with
from vae.i18n import translator

st.title(tr("The chapter, live"))
st.markdown(
    tr(
        "The chapter's outline, its claims in short (its own words in quotation marks where we quote them) and, for "
        "each, the page that shows it on the model that shows it: **Open** makes that model current and opens the "
        "page, **Train** opens the Train page with its settings. The flags are the command line's, and the Train "
        "form's fields of the same name."
    )
)
paths = {p.stem: p for p in checkpoint_paths()}
chinese = translator("zh")
english_ui = language() != "zh"
for s, (heading, section) in enumerate(CHAPTER):
    st.subheader(f"{s + 1}. " + tr(heading) + (f" · {chinese(heading)}" if english_ui else ""))
    for c, claim in enumerate(section):
        key = f"ch_{s}_{c}"
        text, where, act = st.columns([6, 3, 2], vertical_alignment="center")
        said = tr(claim.says)
        if english_ui:
            said += f"  \n{chinese(claim.says)}"
        if claim.words:
            said += f"  \n「{claim.words}」"
        text.markdown(said)
        if claim.page is None:
            where.markdown(":grey[" + tr("Not in the app yet: {why}", why=tr(claim.missing)) + "]")
            continue
        page = tr(TITLES[claim.page])
        where.markdown(f"**{page}**" + (f"  \n`{claim.model}`" if claim.model else "") + f"  \n`{claim.flags}`")
        model_here = claim.model in paths
        with act:
            if claim.model is None or not model_here:
                st.page_link(PAGE[claim.page], label=tr("Open"), icon=":material/arrow_forward:")
                if claim.model:
                    st.caption(tr("{model} is not on this server: `make checkpoints` makes it.", model=claim.model))
                continue
            if st.button(
                tr("Open"),
                key=f"{key}_open",
                icon=":material/arrow_forward:",
                help=tr("opens on {model}", model=claim.model),
            ):
                set_current(claim.model)
                st.switch_page(PAGE[claim.page])
            if st.button(
                tr("Train"),
                key=f"{key}_train",
                icon=":material/model_training:",
                help=tr("Opens Train with {name}'s settings.", name=claim.model),
            ):
                ck = load(paths[claim.model])
                open_train_with(ck.config, {}, ck.name, "mine")
