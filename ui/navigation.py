"""The web app's pages: their scripts and the sidebar's sections, titles, icons and order."""

from __future__ import annotations

from pathlib import Path

from vae.i18n import N_

ROOT = Path(__file__).resolve().parent.parent


PAGE = {  # page scripts, for st.page_link / st.switch_page
    "home": "pages/start/home.py",
    "chapter": "pages/start/chapter.py",
    "train": "pages/build/train.py",
    "samples": "pages/explore/samples.py",
    "traversals": "pages/explore/traversals.py",
    "latent_map": "pages/explore/latent_map.py",
    "collapse": "pages/diagnose/collapse.py",
    "compare": "pages/diagnose/compare.py",
    "likelihood": "pages/diagnose/likelihood.py",
    "latent_size": "pages/diagnose/latent_size.py",
    "overfitting": "pages/diagnose/overfitting.py",
    "batch_norm": "pages/diagnose/batch_norm.py",
    "gradient_flow": "pages/diagnose/gradient_flow.py",
    "strong_decoders": "pages/diagnose/strong_decoders.py",
    "text_decoders": "pages/diagnose/text_decoders.py",
    "disentanglement": "pages/diagnose/disentanglement.py",
    "encoder": "pages/diagnose/encoder.py",
    "teacher": "pages/teach/teacher.py",
}


NAVIGATION = {  # the sidebar: section -> its pages as (key of PAGE, English title, Material icon), in order
    N_("Start"): [("home", N_("Home"), "home"), ("chapter", N_("The chapter, live"), "menu_book")],
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
        ("batch_norm", N_("Batch norm couples a batch"), "group_work"),
        ("gradient_flow", N_("Gradient flow"), "waterfall_chart"),
        ("strong_decoders", N_("Strong decoders"), "grain"),
        ("text_decoders", N_("Text decoders"), "notes"),
        ("disentanglement", N_("Disentanglement"), "view_column"),
        ("encoder", N_("How good is the encoder?"), "target"),
    ],
    N_("Teach"): [("teacher", N_("Teacher's view"), "school")],
}

TITLES = {key: title for entries in NAVIGATION.values() for key, title, _ in entries}  # page key -> English title

HOME_LESSONS = [  # Home's lessons: (page, title, what it teaches), marked for the catalogs, translated where drawn
    (
        "train",
        N_("1. Train a VAE in seconds"),
        N_("choose encoder, decoder, likelihood and objective; watch the ELBO fall."),
    ),
    (
        "samples",
        N_("2. Reconstructions and samples"),
        N_("what the model keeps of an image; what it imagines from the prior."),
    ),
    (
        "traversals",
        N_("3. What does each dimension do?"),
        N_("slide one latent at a time; interpolate between two digits."),
    ),
    ("latent_map", N_("4. The shape of the latent space"), N_("PCA / t-SNE of q(z|x): do the classes separate?")),
    (
        "collapse",
        N_("5. Posterior collapse"),
        N_("see it happen at large beta, then fix it with free bits or warm-up."),
    ),
    ("compare", N_("6. Rate vs distortion"), N_("every run on one plane; sweep beta; compare disentanglement.")),
    (
        "strong_decoders",
        N_("7. Strong decoders ignore z"),
        N_(
            "a pixelcnn decoder collapses the posterior at beta = 1; free bits or a smaller receptive field "
            "bring z back."
        ),
    ),
    (
        "text_decoders",
        N_("8. Text VAEs ignore z"),
        N_("a GRU decoder of first names writes them without z; word dropout and free bits bring z back."),
    ),
    (
        "disentanglement",
        N_("9. Disentanglement"),
        N_(
            "which latent holds which factor; beta-VAE, beta-TCVAE and FactorVAE "
            "compared by MIG, SAP, DCI and the FactorVAE score."
        ),
    ),
    (
        "encoder",
        N_("10. How good is the encoder?"),
        N_("the true posterior beside q(z|x); how much of the loss is the encoder's fault (the amortization gap)."),
    ),
    (
        "likelihood",
        N_("11. The output layer and the likelihood"),
        N_(
            "Bernoulli, Gaussian (fixed, learned, per-pixel sigma) and categorical on one CNN; bits per dimension; "
            "a fixed sigma is a hidden beta."
        ),
    ),
    (
        "latent_size",
        N_("12. The latent size"),
        N_("the same MLP at d_z from 1 to 64: where the distortion levels off and the extra units go unused."),
    ),
    (
        "overfitting",
        N_("13. Capacity and overfitting"),
        N_(
            "every model's training and test curves, where the test -ELBO was best and how far it rose; early "
            "stopping, weight decay and dropout."
        ),
    ),
    (
        "batch_norm",
        N_("14. Batch norm couples a batch"),
        N_(
            "one picture's -ELBO in different batches: it moves under batch norm in training mode, not under layer "
            "norm."
        ),
    ),
    (
        "gradient_flow",
        N_("15. Gradient flow"),
        N_("each layer's gradient across training: deep tanh networks and their initialisation, dead ReLU units."),
    ),
]
