"""Text VAEs ignore z: a GRU decoder models first names without z; word dropout and free bits make it use
z again (Bowman et al. 2016). The same lesson on pictures is pages/diagnose/strong_decoders.py."""

import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.lesson import lesson_command_lines, remedy_buttons, report_cells, report_formats, seed_grid_settings
from ui.models import load
from vae.analysis.explore import first_letter_agreement
from vae.config.shipped import LESSONS
from vae.i18n import N_
from vae.service.storage import checkpoint_dir

LESSON = LESSONS["text decoders"]

st.title(tr("Text VAEs ignore z"))
st.markdown(
    tr(
        "The most famous case is text. An LSTM or GRU decoder predicts each letter from the letters before it, "
        "$p(x\\mid z) = \\prod_t p(x_t \\mid x_{<t}, z)$, and Bowman et al. (2016) found its KL going to zero: the "
        "decoder writes fluent sentences and ignores $z$. They made it read $z$ with **word dropout** (some of "
        "its inputs replaced by <unk>) and **KL annealing**. Below, three models of 3,763 first names with the "
        "same GRU encoder; only the decoder and the remedy differ."
    )
)
paths = {role: checkpoint_dir() / f"{r.model}.safetensors" for role, r in LESSON.items()}
if not all(p.exists() for p in paths.values()):
    st.info(tr("No text models yet: `make checkpoints` ships the three models of this lesson."))
    st.stop()
models = {role: load(p) for role, p in paths.items()}

# ------------------------------------------------------------------ the numbers
rows = []
for role, ck in models.items():
    rep = compute.collapse_report(ck, defaults.IWAE_K)
    rows.append(
        {
            tr("model"): ck.name,
            tr("decoder"): tr(LESSON[role].label),
            tr("word dropout"): ck.config.decoder.word_dropout,
            tr("free bits"): ck.config.objective.free_bits,
            **report_cells(rep),
        }
    )
st.dataframe(rows, hide_index=True, key="text_table", column_config=report_formats())
st.caption(
    tr(
        "Nats per name. The GRU decoder models the names far better than the MLP decoder, which must draw every "
        "letter from z at once, and its rate falls to almost nothing. With the remedies the rate comes back and "
        "the likelihood stays as good."
    )
)

# ------------------------------------------------------------------ the grid that settles it
st.subheader(tr("Does the decoder use z?"))
st.markdown(
    tr(
        "Rows: different $z \\sim p(z)$; columns: different draws of $x \\sim p(x\\mid z)$ for the same $z$. "
        "When $z$ is used, the names of a row agree (here: start with the same letter) and the rows differ."
    )
)
n_z, n_seeds, seed = seed_grid_settings("td")
for col, (role, ck) in zip(st.columns(3), models.items()):
    _, tokens = compute.seed_grid(ck, n_z, n_seeds, seed)
    names_grid = [ck.modality.show(row) for row in tokens]
    with col:
        st.markdown(f"**{tr(LESSON[role].label)}**")
        st.dataframe(
            {tr("seed {n}", n=c + 1): [r[c] for r in names_grid] for c in range(n_seeds)},
            key=f"text_grid_{role}",
        )
        within, between = first_letter_agreement(names_grid)
        st.caption(
            tr(
                "names of the same z start with the same letter {within:.0%} of the time, names of different z "
                "{between:.0%}",
                within=within,
                between=between,
            )
        )

# ------------------------------------------------------------------ the fix
st.subheader(tr("Fix it yourself"))
gru = models["gru"]
remedies = {  # English label (the button's key and the new model's name) -> the change to the GRU decoder model
    N_("Train with word dropout 0.5"): {"word_dropout": 0.5},
    N_("Train with KL warm-up"): {"kl_warmup": max(1.0, gru.config.train.epochs / 2)},
    N_("Train with free bits 0.25"): {"free_bits": 0.25},
}
remedy_buttons(gru, remedies, "text_fix", tr("Opens Train with the GRU decoder model's settings and this change."))
lesson_command_lines(LESSON)
