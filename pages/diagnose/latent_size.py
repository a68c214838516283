"""The latent size d_z: one MLP on MNIST at seven latent sizes, trained alike; where the distortion levels off and
where units stop being used (ui/latent_size_lesson.py holds the numbers and pictures)."""

import streamlit as st

from ui import compute, defaults
from ui.i18n import language, tr
from ui.latent_size_lesson import EXAMPLES, reconstructions_view, sweep_formats, sweep_numbers, sweep_table
from ui.lesson import lesson_command_lines, lesson_models, train_like_buttons
from ui.navigation import PAGE
from vae.analysis.latent_size import LEVEL, first_unused, levels_off, most_active
from vae.config.shipped import LATENT_SWEEP_EPOCHS, LESSONS
from vae.figures.latent_size import latent_size_figure
from vae.figures.plots import kl_bars

LESSON = LESSONS["latent size"]

st.title(tr("Latent size"))
st.markdown(
    tr(
        "How large should $z$ be? These models share the encoder, the decoder, the data and {epochs} epochs; only "
        "the latent size $d_z$ changes. Too small a $d_z$ cannot hold what the digits vary in, and the distortion "
        "stays high. Past some size the distortion levels off, and the KL term switches the extra units off: "
        "their posterior is the prior for every picture, and the decoder learns to ignore them.",
        epochs=LATENT_SWEEP_EPOCHS,
    )
)
models = lesson_models(LESSON)
if not models:
    st.info(tr("No models yet: `make checkpoints` ships the models of this lesson."))
    st.stop()

rows = sweep_numbers(models)
st.plotly_chart(latent_size_figure(rows, tr), key="ls_figure")
levelled, unused, largest = levels_off(rows), first_unused(rows), rows[-1]
st.markdown(
    tr(
        "The distortion levels off from $d_z$ = {levelled} (within {level:g} nats of the lowest). At $d_z$ = "
        "{d}, {active} of {d} units are active; no model of the sweep uses more than {most}.",
        levelled=levelled,
        level=LEVEL,
        d=largest["latent_dim"],
        active=largest["active_units"],
        most=most_active(rows),
    )
)
if unused is None:
    st.warning(
        tr(
            "Every model uses all of its units: these runs are too short for the KL to switch units off. Trained "
            "longer, it does (Burda et al. found about 20 of 50 units active on MNIST)."
        )
    )
else:
    st.markdown(tr("From $d_z$ = {d} on, some units go unused.", d=unused))
st.dataframe(sweep_table(rows), hide_index=True, key="ls_table", column_config=sweep_formats())
st.caption(
    tr(
        "Nats per image on the test split, one scale for the whole table: the same Bernoulli likelihood of the same "
        "pictures. A unit is active when its posterior mean varies with the picture (Var_x E[z_j|x] > 0.01, Burda "
        "et al. 2016)."
    )
)

st.subheader(tr("The same pictures at each latent size"))
ordered = tuple(models[str(r["latent_dim"])] for r in rows)
st.plotly_chart(reconstructions_view(ordered, EXAMPLES, language()), key="ls_recs")
st.caption(
    tr(
        "With one or two dimensions the reconstructions are blurred prototypes of a class; with more they keep the "
        "stroke's thickness and slant; past the level-off point the pictures no longer change."
    )
)

st.subheader(tr("Which units carry information"))
big = ordered[-1]
st.plotly_chart(kl_bars(compute.collapse_report(big, defaults.IWAE_K)["kl_per_dim"], tr=tr), key="ls_kl")
st.caption(
    tr(
        "{name}: the KL of each unit, most informative first. The units past the cut carry almost nothing; "
        "removing them would change no picture.",
        name=big.name,
    )
)
st.page_link(PAGE["compare"], label=tr("Sweep the latent size of your own model on Compare runs"))

st.subheader(tr("Train one yourself"))
train_like_buttons(models, {r: f"d_z = {r}" for r in models}, "ls_train")
lesson_command_lines(LESSON)
