"""Strong decoders: a pixelcnn decoder models x without z at beta = 1; free bits make it use z again; the same
with WaveNet on series. The same lesson on text is pages/diagnose/text_decoders.py."""

import streamlit as st

from ui import compute, defaults
from ui.flow_decoder_lesson import flow_decoder_section
from ui.i18n import tr
from ui.lesson import (
    lesson_command_lines,
    remedy_buttons,
    report_cells,
    report_formats,
    seed_grid_settings,
    spread_caption,
)
from ui.models import checkpoint_paths, current_path, digest, load, summary
from ui.series_decoder_lesson import series_section
from ui.symmetry_lesson import symmetry_section
from vae.config.shipped import LESSONS
from vae.i18n import N_
from vae.models.pixelcnn import receptive_field

LESSON = LESSONS["strong decoders"]

st.title(tr("Strong decoders ignore z"))
st.markdown(
    tr(
        "The stronger the decoder, the less it needs $z$. An **autoregressive** decoder (PixelCNN) predicts each pixel "
        "from the pixels before it, $p(x\\mid z) = \\prod_i p(x_i \\mid x_{<i}, z)$, so "
        "it can model a digit on its own. "
        "Information in $z$ then only costs KL, and even at $\\beta = 1$ the ELBO is best"
        " with $q(z\\mid x)$ close to the "
        "prior: **posterior collapse without a large beta** (PixelVAE, Gulrajani et al. 2016; Variational Lossy "
        "Autoencoder, Chen et al. 2017). The same encoder, data and training below; only the decoder differs."
    )
)

paths = {p.stem: p for p in checkpoint_paths() if summary(str(p), digest(p))["kind"] == "image"}  # pixel models
names = list(paths)


if not names:
    st.info(tr("No models yet: `make checkpoints` ships the three models of this lesson."))
    st.stop()
cols = st.columns(3)
picked = {}
for col, (role, r) in zip(cols, LESSON.items()):
    picked[role] = col.selectbox(
        tr(r.label),
        names,
        index=names.index(r.model) if r.model in names else 0,
        key=f"sd_{role}",
        help=tr("The shipped model is {name}.", name=r.model),
    )
models = {role: load(paths[name]) for role, name in picked.items()}

# ------------------------------------------------------------------ the numbers
rows = []
for ck in models.values():
    rep = compute.collapse_report(ck, defaults.IWAE_K)
    dec = ck.config.decoder
    rf = (
        tr("{rows} rows up", rows=receptive_field(len(dec.hidden), dec.kernel)["rows_up"])
        if dec.arch == "pixelcnn"
        else tr("none (pixels independent given z)")
    )
    rows.append(
        {
            tr("model"): ck.name,
            tr("decoder"): f"{dec.arch} {'-'.join(map(str, dec.hidden))}",
            tr("receptive field"): rf,
            "beta": ck.config.objective.beta,
            tr("free bits"): ck.config.objective.free_bits,
            **report_cells(rep, mutual_info=True),
        }
    )
st.dataframe(
    rows,
    hide_index=True,
    key="strong_table",
    column_config=report_formats()
    | {"beta": st.column_config.NumberColumn(format="%g"), tr("free bits"): st.column_config.NumberColumn(format="%g")},
)
st.caption(
    tr(
        "Nats per test image. The pixelcnn decoder gives the better likelihood (lower -log p(x)), "
        "yet its rate, the information z carries, falls: the decoder does the work. IWAE with k = 100 samples "
        "(for a pixelcnn on the first test images only: every sample is a full pass)."
    )
)

# ------------------------------------------------------------------ the grid that settles it
st.subheader(tr("Does the decoder use z?"))
st.markdown(
    tr(
        "Each grid: **rows** are different $z \\sim p(z)$, **columns** are different pixel-by-pixel draws of "
        "$x \\sim p(x\\mid z)$ for the same $z$. A decoder that is not autoregressive draws each pixel on its own "
        "given $z$, so its draws differ only by pixel noise: it is shown as its mean $E[x\\mid z]$, the same in "
        "every column. When $z$ is used, a row's images agree and the rows differ; when it is ignored, the rows "
        "look alike and the columns differ. Under each grid, the two spreads are on one scale: equal, on average, "
        "when $z$ changes nothing."
    )
)
n_z, n_seeds, seed = seed_grid_settings("sd")
cols = st.columns(3)
for col, (role, ck) in zip(cols, models.items()):
    with col:
        fig, row_spread, between = compute.seed_grid_view(ck, n_z, n_seeds, seed, defaults.SEED_GRID_PX)
        st.markdown(f"**{tr(LESSON[role].label)}**  \n`{ck.name}`")  # wraps in its column; a figure title was cut
        st.plotly_chart(fig, key=f"grid_{role}")
        st.caption(spread_caption(row_spread, between, "pixel"))

# ------------------------------------------------------------------ the fix
st.subheader(tr("The fix"))
st.markdown(
    tr(
        "Make using $z$ cheap, or make the decoder need it. **Free bits** (Kingma et al. "
        "2016) let every dimension keep "
        "λ nats of KL without penalty; **KL warm-up** (Bowman et al. 2016) starts with no"
        " KL cost; a **smaller receptive "
        "field** (fewer masked layers or a smaller kernel; Chen et al. 2017) leaves the decoder unable to draw a digit "
        "from its own earlier pixels, so the global shape must come from $z$."
    )
)
base = models["pixelcnn"]
fixes = {  # English label (the button's key and the new model's name) -> the change
    N_("Train with free bits 0.5"): {"free_bits": 0.5},
    N_("Train with KL warm-up"): {"kl_warmup": max(1.0, base.config.train.epochs / 2)},
    N_("Train with a smaller receptive field"): {"decoder_hidden": base.config.decoder.hidden[:1] or [32]},
}
remedy_buttons(base, fixes, "fix", tr("Opens Train with the pixelcnn model's settings and this change."))
lesson_command_lines(LESSON)
series_section(current_path().stem if current_path() else "")
flow_decoder_section(current_path().stem if current_path() else "")
symmetry_section()
