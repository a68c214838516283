"""Strong decoders: a pixelcnn decoder models x without z at beta = 1; free bits make it use z again."""

import re

import numpy as np
import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.models import checkpoint_paths, digest, load, summary
from ui.widgets import open_train_with
from vae.analysis.explore import first_letter_agreement
from vae.figures.plots import image_grid
from vae.i18n import N_
from vae.models.pixelcnn import receptive_field
from vae.service.storage import checkpoint_dir

LESSON = {  # role -> (shipped model, what it is)
    "mlp": ("mnist5k-mlp-z16-binarized", N_("MLP decoder")),
    "pixelcnn": ("mnist5k-pixelcnn-z16", N_("pixelcnn decoder")),
    "fix": ("mnist5k-pixelcnn-z16-freebits", N_("pixelcnn decoder + free bits")),
}

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


def default_for(role: str) -> int | None:
    wanted = LESSON[role][0]
    if wanted in paths:
        return names.index(wanted)
    return None


if not names:
    st.info(tr("No models yet: `make checkpoints` ships the three models of this lesson."))
    st.stop()
cols = st.columns(3)
picked = {}
for col, role in zip(cols, LESSON):
    idx = default_for(role)
    picked[role] = col.selectbox(
        tr(LESSON[role][1]),
        names,
        index=idx if idx is not None else 0,
        key=f"sd_{role}",
        help=tr("The shipped model is {name}.", name=LESSON[role][0]),
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
            tr("rate (KL)"): rep["rate"],
            tr("distortion"): rep["distortion"],
            tr("-log p(x) (IWAE)"): rep["iwae_nll"],
            tr("active units"): f"{rep['active_units']}/{rep['latent_dim']}",
            "I(x;z)": rep["mutual_info"],
            tr("verdict"): tr(rep["verdict"]),
        }
    )
st.dataframe(
    rows,
    hide_index=True,
    key="strong_table",
    column_config={
        k: st.column_config.NumberColumn(format="%.2f")
        for k in (tr("rate (KL)"), tr("distortion"), tr("-log p(x) (IWAE)"), "I(x;z)")
    }
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
        "Each grid: **rows** are different $z \\sim p(z)$, **columns** are different random draws of "
        "$x \\sim p(x\\mid z)$ for the same $z$ (for a pixelcnn, different pixel-by-pixel seeds). When $z$ is "
        "used, a row's images agree and the rows differ. When $z$ is ignored, the rows look alike and the "
        "columns differ."
    )
)
c1, c2, c3 = st.columns(3)
d = defaults.SEED_GRID
n_z = c1.slider(tr("rows: different z"), 2, 6, d["n_z"], key="sd_rows")
n_seeds = c2.slider(tr("columns: seeds per z"), 2, 8, d["n_seeds"], key="sd_cols")
seed = c3.number_input(tr("seed"), 0, 10_000, d["seed"], key="sd_seed")
cols = st.columns(3)
for col, (role, ck) in zip(cols, models.items()):
    with col:
        _, imgs = compute.seed_grid(ck, n_z, n_seeds, int(seed))
        flat = imgs.reshape(-1, *imgs.shape[2:])
        titles = [f"z{r + 1}" if c == 0 else "" for r in range(n_z) for c in range(n_seeds)]
        st.plotly_chart(
            image_grid(flat, ncols=n_seeds, titles=titles, title=f"{tr(LESSON[role][1])}: {ck.name}", width_px=300),
            key=f"grid_{role}",
        )
        row_spread = float(np.mean([imgs[r].std(0).mean() for r in range(n_z)]))  # within a row: the seeds
        between = float(imgs.mean(1).std(0).mean())  # between the rows' averages: z
        st.caption(
            tr(
                "pixel spread within a row (seeds) {within:.3f}, between rows (z) {between:.3f}",
                within=row_spread,
                between=between,
            )
        )

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
for col, (label, change) in zip(st.columns(3), fixes.items()):
    if col.button(
        tr(label),
        key=f"fix_{re.sub('[^a-z]+', '_', label.lower())}",
        help=tr("Opens Train with the pixelcnn model's settings and this change."),
    ):
        open_train_with(base.config, change, base.name, label.lower().removeprefix("train with "))


# ------------------------------------------------------------------ the same lesson on text
TEXT_LESSON = {  # role -> (shipped model in checkpoints/, what it is)
    "mlp": ("names-mlp-decoder", N_("MLP decoder")),
    "gru": ("names-gru-decoder", N_("GRU decoder")),
    "fix": ("names-gru-word-dropout-free-bits", N_("GRU decoder + word dropout + free bits")),
}
st.header(tr("Text VAEs ignore z"))
st.markdown(
    tr(
        "The most famous case is text. An LSTM or GRU decoder predicts each letter from the letters before it, "
        "$p(x\\mid z) = \\prod_t p(x_t \\mid x_{<t}, z)$, and Bowman et al. (2016) found its KL going to zero: the "
        "decoder writes fluent sentences and ignores $z$. They made it read $z$ with **word dropout** (some of "
        "its inputs replaced by <unk>) and **KL annealing**. Below, three models of 3,763 first names with the "
        "same GRU encoder; only the decoder and the remedy differ."
    )
)
text_paths = {role: checkpoint_dir() / f"{name}.safetensors" for role, (name, _) in TEXT_LESSON.items()}
if not all(p.exists() for p in text_paths.values()):
    st.info(tr("No text models yet: `make checkpoints` ships the three models of this lesson."))
    st.stop()
text_models = {role: load(p) for role, p in text_paths.items()}
rows = []
for role, ck in text_models.items():
    rep = compute.collapse_report(ck, defaults.IWAE_K)
    rows.append(
        {
            tr("model"): ck.name,
            tr("decoder"): tr(TEXT_LESSON[role][1]),
            tr("word dropout"): ck.config.decoder.word_dropout,
            tr("free bits"): ck.config.objective.free_bits,
            tr("rate (KL)"): rep["rate"],
            tr("distortion"): rep["distortion"],
            tr("-log p(x) (IWAE)"): rep["iwae_nll"],
            tr("active units"): f"{rep['active_units']}/{rep['latent_dim']}",
            tr("verdict"): tr(rep["verdict"]),
        }
    )
st.dataframe(
    rows,
    hide_index=True,
    key="text_table",
    column_config={
        k: st.column_config.NumberColumn(format="%.2f")
        for k in (tr("rate (KL)"), tr("distortion"), tr("-log p(x) (IWAE)"))
    },
)
st.caption(
    tr(
        "Nats per name. The GRU decoder models the names far better than the MLP decoder, which must draw every "
        "letter from z at once, and its rate falls to almost nothing. With the remedies the rate comes back and "
        "the likelihood stays as good."
    )
)
st.markdown(
    tr(
        "Rows: different $z \\sim p(z)$; columns: different draws of $x \\sim p(x\\mid z)$ for the same $z$ "
        "(the grid's settings above)."
    )
)
for col, (role, ck) in zip(st.columns(3), text_models.items()):
    _, tokens = compute.seed_grid(ck, n_z, n_seeds, int(seed))
    names_grid = [ck.modality.show(row) for row in tokens]
    with col:
        st.markdown(f"**{tr(TEXT_LESSON[role][1])}**")
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
st.subheader(tr("Fix it yourself"))
gru = text_models["gru"]
text_fixes = {  # English label (the button's key and the new model's name) -> the change to the GRU decoder model
    N_("Train with word dropout 0.5"): {"word_dropout": 0.5},
    N_("Train with KL warm-up"): {"kl_warmup": max(1.0, gru.config.train.epochs / 2)},
    N_("Train with free bits 0.25"): {"free_bits": 0.25},
}
for col, (label, change) in zip(st.columns(3), text_fixes.items()):
    if col.button(
        tr(label),
        key=f"text_fix_{re.sub('[^a-z0-9]+', '_', label.lower())}",
        help=tr("Opens Train with the GRU decoder model's settings and this change."),
    ):
        open_train_with(gru.config, change, gru.name, label.lower().removeprefix("train with "))
with st.expander(tr("The same from the command line")):
    st.code(
        "\n".join(
            f'python -m vae train --preset "{preset}" --out runs/{name}.safetensors'
            for preset, name in (
                ("names: weak MLP decoder", TEXT_LESSON["mlp"][0]),
                ("names: GRU decoder ignores z", TEXT_LESSON["gru"][0]),
                ("names: GRU + word dropout + free bits", TEXT_LESSON["fix"][0]),
            )
        ),
        language="bash",
    )
