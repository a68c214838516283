"""The shipped models and the lessons that show them: declared once, read by the pages, by
``python -m vae ship`` (what ``make checkpoints`` runs) and by the tests.

A shipped model is ``checkpoints/NAME.safetensors``, made by

    python -m vae train --preset PRESET [FLAGS] --out checkpoints/NAME.safetensors

A lesson names its models by role (``LESSONS["strong decoders"]["pixelcnn"]``), each with the label its page
shows; the preset that makes it is the shipped model's.
"""

from __future__ import annotations

from dataclasses import dataclass

from vae.i18n import N_


@dataclass(frozen=True)
class ShippedModel:
    name: str  # checkpoints/NAME.safetensors
    preset: str  # vae.config.presets.PRESETS
    flags: tuple[str, ...] = ()  # command-line flags over the preset

    def train_args(self, folder: str = "checkpoints") -> list[str]:
        """The arguments of ``python -m vae train`` that make this model into ``folder``."""
        return ["--preset", self.preset, *self.flags, "--out", f"{folder}/{self.name}.safetensors"]

    def command(self, folder: str = "checkpoints") -> str:
        """The same as one shell command line."""
        quoted = [f'"{a}"' if " " in a else a for a in self.train_args(folder)]
        return " ".join(["python -m vae train", *quoted])


GAUSSIAN = ("--likelihood", "gaussian")
SIGMAS = (0.03, 0.1, 0.3, 1.0, 3.0)  # "a fixed sigma is a hidden beta": the sweep of the fixed standard deviation
LIKELIHOOD_RUNS = (  # the name after "mnist5k-cnn-z16-", and the flags over the CNN on MNIST at 15 epochs
    ("binarized", ("--binarize", "dynamic")),
    *((f"sigma{s:g}", (*GAUSSIAN, "--sigma", f"{s:g}")) for s in SIGMAS),
    ("sigma-learned", (*GAUSSIAN, "--variance", "learned")),
    ("sigma-per-pixel", (*GAUSSIAN, "--variance", "per-pixel")),
    ("tanh", (*GAUSSIAN, "--output-activation", "tanh", "--data-range", "-1,1", "--sigma", "0.2")),
    ("categorical", ("--likelihood", "categorical", "--bins", "256")),
)

SHIPPED = (  # in the order `make checkpoints` trains them
    ShippedModel("mnist5k-mlp-z2", "2-D latent for the manifold"),
    ShippedModel("mnist5k-mlp-z16", "pytorch/examples MNIST VAE", ("--latent-dim", "16", "--epochs", "20")),
    ShippedModel("mnist5k-cnn-z16", "CNN on MNIST", ("--epochs", "15")),
    ShippedModel("mnist5k-mlp-z16-beta50-collapsed", "make it collapse (beta 50)", ("--hidden", "256")),
    ShippedModel("mnist5k-mlp-z16-beta50-freebits", "fix collapse with free bits", ("--hidden", "256")),
    ShippedModel("sprites-cnn-z10-beta4", "beta-VAE on sprites"),
    ShippedModel("mnist5k-mlp-z16-binarized", "MLP decoder on binarized MNIST"),
    ShippedModel("mnist5k-pixelcnn-z16", "strong decoder: pixelcnn"),
    ShippedModel("mnist5k-pixelcnn-z16-freebits", "strong decoder + free bits"),
    ShippedModel("sprites-mlp-z6-vae", "plain VAE on sprites"),
    ShippedModel("sprites-mlp-z6-beta-tcvae", "beta-TCVAE on sprites"),
    ShippedModel("waves-cnn-z6", "waves: 1-D conv VAE", ("--seed", "1")),
    ShippedModel("mnist5k-mlp-z2-iaf", "IAF posterior, 2-D latent"),
    ShippedModel(
        "mnist5k-mlp-z16-iaf",
        "pytorch/examples MNIST VAE",
        ("--latent-dim", "16", "--epochs", "20", "--posterior", "iaf", "--flow-steps", "4"),
    ),
    ShippedModel("names-mlp-decoder", "names: weak MLP decoder"),
    # The output layer and the likelihood: mnist5k-cnn-z16's networks, data and epochs; only p(x|z) changes.
    *(
        ShippedModel(f"mnist5k-cnn-z16-{name}", "CNN on MNIST", ("--epochs", "15", *flags))
        for name, flags in LIKELIHOOD_RUNS
    ),
    ShippedModel("names-gru-decoder", "names: GRU decoder ignores z"),
    ShippedModel("names-gru-word-dropout-free-bits", "names: GRU + word dropout + free bits"),
)
SHIPPED_BY_NAME = {m.name: m for m in SHIPPED}


@dataclass(frozen=True)
class Role:
    """One model of a lesson: the shipped model that plays it and the label its page gives it."""

    model: str  # a name in SHIPPED
    label: str  # English (N_), translated where shown

    @property
    def shipped(self) -> ShippedModel:
        return SHIPPED_BY_NAME[self.model]


LESSONS = {  # lesson -> role -> Role, in the order the page shows them
    "strong decoders": {
        "mlp": Role("mnist5k-mlp-z16-binarized", N_("MLP decoder")),
        "pixelcnn": Role("mnist5k-pixelcnn-z16", N_("pixelcnn decoder")),
        "fix": Role("mnist5k-pixelcnn-z16-freebits", N_("pixelcnn decoder + free bits")),
    },
    "text decoders": {
        "mlp": Role("names-mlp-decoder", N_("MLP decoder")),
        "gru": Role("names-gru-decoder", N_("GRU decoder")),
        "fix": Role("names-gru-word-dropout-free-bits", N_("GRU decoder + word dropout + free bits")),
    },
    "disentanglement": {"tcvae": Role("sprites-mlp-z6-beta-tcvae", N_("beta-TCVAE"))},
    "likelihood": {
        "bernoulli": Role("mnist5k-cnn-z16", N_("Bernoulli of grey levels")),
        "binarized": Role("mnist5k-cnn-z16-binarized", N_("Bernoulli of binarized pixels")),
        "fixed": Role("mnist5k-cnn-z16-sigma0.1", N_("Gaussian, fixed sigma 0.1")),
        "learned": Role("mnist5k-cnn-z16-sigma-learned", N_("Gaussian, one learned sigma")),
        "per-pixel": Role("mnist5k-cnn-z16-sigma-per-pixel", N_("Gaussian, sigma(z) per pixel")),
        "tanh": Role("mnist5k-cnn-z16-tanh", N_("Gaussian, tanh output on [-1, 1]")),
        "categorical": Role("mnist5k-cnn-z16-categorical", N_("categorical over 256 levels")),
    },
    "overfitting": {"gru": Role("names-gru-decoder", N_("names: GRU decoder, 20 epochs"))},
    "hidden beta": {f"{s:g}": Role(f"mnist5k-cnn-z16-sigma{s:g}", N_("fixed sigma")) for s in SIGMAS},
}

# The model each lesson of Home opens its page on (the lessons above pick theirs by role), so that
# "Posterior collapse" shows a collapsed model whatever model was current.
LESSON_PAGES = {
    "samples": "mnist5k-mlp-z16",
    "traversals": "mnist5k-mlp-z16",
    "latent_map": "mnist5k-mlp-z2",
    "collapse": "mnist5k-mlp-z16-beta50-collapsed",
    "disentanglement": LESSONS["disentanglement"]["tcvae"].model,
    "encoder": "mnist5k-mlp-z2",
    "overfitting": LESSONS["overfitting"]["gru"].model,
}
