"""The shipped models and the lessons that show them: declared once, read by the pages, by
``python -m vae ship`` (what ``make checkpoints`` runs) and by the tests.

A shipped model is ``checkpoints/NAME.safetensors``, made by

    python -m vae train --preset PRESET [FLAGS] --out checkpoints/NAME.safetensors

A lesson names its models by role (``LESSONS["strong decoders"]["pixelcnn"]``), each with the label its page
shows; the preset that makes it is the shipped model's.
"""

from __future__ import annotations

from dataclasses import dataclass

from vae.config.presets import WAVES_LONG
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

COLOUR_TRAINING = ("--epochs", "60", "--kl-warmup", "10")  # at 15 epochs without warm-up z held little but colour
COLOUR_RUNS = (  # the name after "mnist5k-colour-cnn-z16-", and the flags over the CNN on coloured MNIST
    ("categorical32", ("--likelihood", "categorical", "--bins", "32")),  # 256 levels x 3 channels: over 5 min an epoch
    ("sigma-learned", (*GAUSSIAN, "--variance", "learned")),
)
LATENT_SIZES = (1, 2, 4, 8, 16, 32, 64)  # the latent-size lesson: only d_z changes
LATENT_SWEEP_EPOCHS = 300  # long enough for the KL to switch units off (at 30 epochs all 64 of 64 were active)

# Capacity and overfitting: an MLP of 512 units on 200 training pictures, long enough to learn them by heart, and
# the same run with each remedy.
OVERFIT = ("--hidden", "512", "--latent-dim", "16", "--train-size", "200", "--epochs", "1000")
OVERFIT_REMEDIES = (
    ("dropout", ("--dropout", "0.3")),
    ("early-stopping", ("--early-stopping", "--patience", "100")),
    ("weight-decay", ("--weight-decay", "1")),  # AdamW's decoupled decay; at 0.01 it changed nothing measurable
    ("batchnorm", ("--norm", "batch")),
    ("batchnorm-dropout", ("--norm", "batch", "--dropout", "0.3")),  # batch norm with dropout, against each alone
)

# Gradient flow: the pytorch/examples MLP made 8 hidden layers of 128 units deep, with each activation and
# initialisation (the name after "mnist5k-mlp8-").
DEEP = ("--hidden", *["128"] * 8, "--latent-dim", "16", "--epochs", "20")
DEEP_RUNS = (
    ("tanh-xavier", ("--activation", "tanh", "--init", "xavier")),
    ("tanh-default", ("--activation", "tanh", "--init", "default")),
    ("relu", ("--activation", "relu", "--init", "he")),
    ("leaky-relu", ("--activation", "leaky_relu", "--init", "he")),
    ("elu", ("--activation", "elu", "--init", "he")),
)
# and a deep ResNet on MNIST (a stem, then two stages of 4 blocks of two 3x3 convolutions) with and without its
# skip connections.
RESNET = ("--arch", "resnet", "--hidden", "32", "64", "--blocks", "4", "--epochs", "10")
RESNET_RUNS = (("", ()), ("-plain", ("--plain-blocks",)))
PRIOR_RUNS = (("vamp", ("--prior", "vamp")), ("flowprior", ("--prior", "flow", "--prior-flow-steps", "4")))
NORMS = (("batchnorm", "batch"), ("layernorm", "layer"))
# Strong decoders on series: the waves' 1-D CNN decoder against WaveNet, trained alike (learned sigma, 150 epochs);
# the WaveNet with free bits, and with a receptive field of 4 steps (two causal layers of kernel 2).
SERIES_RUNS = (
    (
        "cnn-z6-learned",
        "waves: 1-D conv VAE",
        ("--variance", WAVES_LONG["variance"], "--epochs", str(WAVES_LONG["epochs"])),
    ),
    ("wavenet-z6", "strong decoder: wavenet", ()),
    ("wavenet-z6-freebits", "strong decoder: wavenet", ("--free-bits", "2")),  # 1 nat: below the rate it has
    ("wavenet-z6-short", "strong decoder: wavenet", ("--decoder-hidden", "32", "32", "--decoder-kernel", "2")),
)  # batch norm couples a batch: mnist5k-cnn-z16 with each
# Sequence networks on series: a GRU and a Transformer encoder before the 1-D CNN decoder, and a GRU decoder; and a
# flow decoder; trained as the series lessons' models (learned sigma, 150 epochs).
SERIES_NETWORK_RUNS = (
    ("gru-z6", "waves: GRU encoder"),
    ("transformer-z6", "waves: Transformer encoder"),
    ("gru-gru-z6", "waves: GRU encoder and decoder"),
    ("flow-z6", "waves: flow decoder"),
)
# Symmetry: mnist5k-cnn-z16's encoder (32, 64) with a narrower and a wider decoder (widths in data-flow order; the
# mirror is (64, 32)).
DECODERS = (
    ("decoder-narrow", ("--decoder-hidden", "32", "16")),
    ("decoder-wide", ("--decoder-hidden", "128", "64")),
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
    # The prior: mnist5k-mlp-z2 with the VampPrior and with a flow prior.
    *(ShippedModel(f"mnist5k-mlp-z2-{name}", "2-D latent for the manifold", flags) for name, flags in PRIOR_RUNS),
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
    # Colour: the CNN on mnist5k-colour, a categorical over quantized levels and a Gaussian.
    *(
        ShippedModel(
            f"mnist5k-colour-cnn-z16-{name}", "CNN on MNIST", ("--dataset", "mnist5k-colour", *COLOUR_TRAINING, *flags)
        )
        for name, flags in COLOUR_RUNS
    ),
    # The latent size: the pytorch/examples MLP on MNIST; only d_z changes.
    *(
        ShippedModel(
            f"mnist5k-mlp-z{d}-sweep",
            "pytorch/examples MNIST VAE",
            ("--latent-dim", str(d), "--epochs", str(LATENT_SWEEP_EPOCHS)),
        )
        for d in LATENT_SIZES
    ),
    # Batch norm couples a batch: mnist5k-cnn-z16 with batch norm and with layer norm in every hidden layer.
    *(
        ShippedModel(f"mnist5k-cnn-z16-{name}", "CNN on MNIST", ("--epochs", "15", "--norm", norm))
        for name, norm in NORMS
    ),
    # Symmetry: mnist5k-cnn-z16 with a narrower and a wider decoder.
    *(ShippedModel(f"mnist5k-cnn-z16-{name}", "CNN on MNIST", ("--epochs", "15", *flags)) for name, flags in DECODERS),
    # Gradient flow: the deep MLPs, each activation with its initialisation; the ResNet with and without skips.
    *(ShippedModel(f"mnist5k-resnet-b4{name}", "CNN on MNIST", (*RESNET, *flags)) for name, flags in RESNET_RUNS),
    *(ShippedModel(f"mnist5k-mlp8-{name}", "pytorch/examples MNIST VAE", (*DEEP, *flags)) for name, flags in DEEP_RUNS),
    ShippedModel("mnist200-mlp512", "pytorch/examples MNIST VAE", OVERFIT),
    *(
        ShippedModel(f"mnist200-mlp512-{name}", "pytorch/examples MNIST VAE", (*OVERFIT, *flags))
        for name, flags in OVERFIT_REMEDIES
    ),
    ShippedModel("names-gru-decoder", "names: GRU decoder ignores z"),
    ShippedModel("names-gru-word-dropout-free-bits", "names: GRU + word dropout + free bits"),
    *(ShippedModel(f"waves-{name}", preset, ("--seed", "1", *flags)) for name, preset, flags in SERIES_RUNS),
    *(ShippedModel(f"waves-{name}", preset, ("--seed", "1")) for name, preset in SERIES_NETWORK_RUNS),
    ShippedModel("names-transformer-decoder", "names: Transformer decoder"),
    # Attention for images: mnist5k-cnn-z16 (15 epochs) with a 4-head self-attention block in each network.
    ShippedModel("mnist5k-cnn-z16-attention", "CNN with self-attention on MNIST"),
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
    "series decoders": {
        "cnn": Role("waves-cnn-z6-learned", N_("1-D CNN decoder")),
        "wavenet": Role("waves-wavenet-z6", N_("WaveNet decoder")),
        "fix": Role("waves-wavenet-z6-freebits", N_("WaveNet decoder + free bits")),
        "short": Role("waves-wavenet-z6-short", N_("WaveNet decoder, a field of 4 steps")),
    },
    "series encoders": {
        "cnn": Role("waves-cnn-z6-learned", N_("1-D CNN encoder")),
        "gru": Role("waves-gru-z6", N_("GRU encoder")),
        "transformer": Role("waves-transformer-z6", N_("Transformer encoder")),
        "gru-decoder": Role("waves-gru-gru-z6", N_("GRU encoder and GRU decoder")),
    },
    "flow decoder": {
        "cnn": Role("waves-cnn-z6-learned", N_("1-D CNN decoder (a Gaussian per step)")),
        "flow": Role("waves-flow-z6", N_("flow decoder (4 couplings)")),
    },
    "text decoders": {
        "mlp": Role("names-mlp-decoder", N_("MLP decoder")),
        "gru": Role("names-gru-decoder", N_("GRU decoder")),
        "fix": Role("names-gru-word-dropout-free-bits", N_("GRU decoder + word dropout + free bits")),
    },
    "attention": {"transformer": Role("names-transformer-decoder", N_("Transformer decoder"))},
    "image attention": {
        "cnn": Role("mnist5k-cnn-z16", N_("CNN, no attention")),
        "attention": Role("mnist5k-cnn-z16-attention", N_("CNN + self-attention (4 heads)")),
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
    "overfitting": {  # OVERFITTED first, then its remedies (the runs whose flags start with OVERFIT)
        "wide": Role("mnist200-mlp512", N_("MLP of 512 units, 200 training pictures")),
        "dropout": Role("mnist200-mlp512-dropout", N_("the same with dropout 0.3")),
        "early-stopping": Role("mnist200-mlp512-early-stopping", N_("the same with early stopping")),
        "weight-decay": Role("mnist200-mlp512-weight-decay", N_("the same with weight decay 1")),
        "batchnorm": Role("mnist200-mlp512-batchnorm", N_("the same with batch norm")),
        "batchnorm-dropout": Role("mnist200-mlp512-batchnorm-dropout", N_("the same with batch norm and dropout 0.3")),
        "gru": Role("names-gru-decoder", N_("names: GRU decoder, 20 epochs")),
    },
    "hidden beta": {f"{s:g}": Role(f"mnist5k-cnn-z16-sigma{s:g}", N_("fixed sigma")) for s in SIGMAS},
    "colour": {
        "categorical": Role("mnist5k-colour-cnn-z16-categorical32", N_("categorical over 32 levels per channel")),
        "learned": Role("mnist5k-colour-cnn-z16-sigma-learned", N_("Gaussian, one learned sigma")),
    },
    "batch norm": {
        "none": Role("mnist5k-cnn-z16", N_("no normalization")),
        "batch": Role("mnist5k-cnn-z16-batchnorm", N_("batch norm")),
        "layer": Role("mnist5k-cnn-z16-layernorm", N_("layer norm")),
    },
    "gradient flow": {
        "tanh-xavier": Role("mnist5k-mlp8-tanh-xavier", N_("tanh, Xavier initialisation")),
        "tanh-default": Role("mnist5k-mlp8-tanh-default", N_("tanh, PyTorch's default initialisation")),
        "relu": Role("mnist5k-mlp8-relu", N_("ReLU, He initialisation")),
        "leaky-relu": Role("mnist5k-mlp8-leaky-relu", N_("LeakyReLU, He initialisation")),
        "elu": Role("mnist5k-mlp8-elu", N_("ELU, He initialisation")),
        "residual": Role("mnist5k-resnet-b4", N_("ResNet, 4 residual blocks a stage")),
        "plain": Role("mnist5k-resnet-b4-plain", N_("the same blocks without skips")),
    },
    "symmetry": {
        "narrow": Role("mnist5k-cnn-z16-decoder-narrow", N_("decoder narrower than the encoder")),
        "mirror": Role("mnist5k-cnn-z16", N_("decoder mirrors the encoder")),
        "wide": Role("mnist5k-cnn-z16-decoder-wide", N_("decoder wider than the encoder")),
    },
    "priors": {
        "standard": Role("mnist5k-mlp-z2", N_("standard normal prior")),
        "vamp": Role("mnist5k-mlp-z2-vamp", N_("VampPrior")),
        "flow": Role("mnist5k-mlp-z2-flowprior", N_("flow prior")),
    },
    "latent size": {str(d): Role(f"mnist5k-mlp-z{d}-sweep", N_("latent size")) for d in LATENT_SIZES},
}

OVERFITTED = "wide"  # the overfitting lesson's role whose rise the remedies are measured against

# The model each lesson of Home opens its page on (the lessons above pick theirs by role), so that
# "Posterior collapse" shows a collapsed model whatever model was current.
LESSON_PAGES = {
    "samples": "mnist5k-mlp-z16",
    "traversals": "mnist5k-mlp-z16",
    "latent_map": "mnist5k-mlp-z2",
    "collapse": "mnist5k-mlp-z16-beta50-collapsed",
    "disentanglement": LESSONS["disentanglement"]["tcvae"].model,
    "encoder": "mnist5k-mlp-z2",
    "overfitting": LESSONS["overfitting"]["wide"].model,
    "batch_norm": LESSONS["batch norm"]["batch"].model,
    "gradient_flow": LESSONS["gradient flow"]["tanh-default"].model,
}
