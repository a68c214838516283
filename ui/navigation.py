"""The web app's pages: their scripts and the sidebar's sections, titles, icons and order."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


PAGE = {  # page scripts, for st.page_link / st.switch_page
    "home": "pages/start/home.py",
    "train": "pages/build/train.py",
    "samples": "pages/explore/samples.py",
    "traversals": "pages/explore/traversals.py",
    "latent_map": "pages/explore/latent_map.py",
    "collapse": "pages/diagnose/collapse.py",
    "compare": "pages/diagnose/compare.py",
    "strong_decoders": "pages/diagnose/strong_decoders.py",
    "disentanglement": "pages/diagnose/disentanglement.py",
    "encoder": "pages/diagnose/encoder.py",
}


NAVIGATION = {  # the sidebar: section -> its pages as (key of PAGE, title, Material icon), in order
    "Start": [("home", "Home", "home")],
    "Build": [("train", "Train", "model_training")],
    "Explore": [
        ("samples", "Reconstructions & samples", "image"),
        ("traversals", "Latent traversals", "linear_scale"),
        ("latent_map", "Latent map", "scatter_plot"),
    ],
    "Diagnose": [
        ("collapse", "Posterior collapse", "compress"),
        ("compare", "Compare runs", "compare"),
        ("strong_decoders", "Strong decoders", "grain"),
        ("disentanglement", "Disentanglement", "view_column"),
        ("encoder", "How good is the encoder?", "target"),
    ],
}
