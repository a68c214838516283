"""The web app's pages: their scripts and the sidebar's sections, titles, icons and order."""

from __future__ import annotations

from pathlib import Path

from vae.i18n import N_

ROOT = Path(__file__).resolve().parent.parent


PAGE = {  # page scripts, for st.page_link / st.switch_page
    "home": "pages/start/home.py",
    "train": "pages/build/train.py",
    "samples": "pages/explore/samples.py",
    "traversals": "pages/explore/traversals.py",
    "latent_map": "pages/explore/latent_map.py",
    "collapse": "pages/diagnose/collapse.py",
    "compare": "pages/diagnose/compare.py",
    "likelihood": "pages/diagnose/likelihood.py",
    "latent_size": "pages/diagnose/latent_size.py",
    "overfitting": "pages/diagnose/overfitting.py",
    "strong_decoders": "pages/diagnose/strong_decoders.py",
    "text_decoders": "pages/diagnose/text_decoders.py",
    "disentanglement": "pages/diagnose/disentanglement.py",
    "encoder": "pages/diagnose/encoder.py",
    "teacher": "pages/teach/teacher.py",
}


NAVIGATION = {  # the sidebar: section -> its pages as (key of PAGE, English title, Material icon), in order
    N_("Start"): [("home", N_("Home"), "home")],
    N_("Build"): [("train", N_("Train"), "model_training")],
    N_("Explore"): [
        ("samples", N_("Reconstructions & samples"), "image"),
        ("traversals", N_("Latent traversals"), "linear_scale"),
        ("latent_map", N_("Latent map"), "scatter_plot"),
    ],
    N_("Diagnose"): [
        ("collapse", N_("Posterior collapse"), "compress"),
        ("compare", N_("Compare runs"), "compare"),
        ("likelihood", N_("Output layer & likelihood"), "functions"),
        ("latent_size", N_("Latent size"), "straighten"),
        ("overfitting", N_("Capacity and overfitting"), "trending_up"),
        ("strong_decoders", N_("Strong decoders"), "grain"),
        ("text_decoders", N_("Text decoders"), "notes"),
        ("disentanglement", N_("Disentanglement"), "view_column"),
        ("encoder", N_("How good is the encoder?"), "target"),
    ],
    N_("Teach"): [("teacher", N_("Teacher's view"), "school")],
}
