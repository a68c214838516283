"""Ready-made experiments: named sets of knob values (see :mod:`vae.config.knobs`).

Each preset starts from the defaults of :class:`~vae.config.VAEConfig` and sets
only what it names. The web app's Train page offers them; the command line takes
``--preset NAME``.
"""

from __future__ import annotations

from typing import Any

from vae.config import VAEConfig
from vae.config.values import apply
from vae.errors import ConfigError
from vae.i18n import N_

NAMES = {  # a GRU encoder of first names: the base of the text-VAE presets below
    "dataset": "names",
    "arch": "gru",
    "hidden": [256],
    "likelihood": "categorical",
    "latent_dim": 16,
    "epochs": 20,
    "lr": 3e-3,
}
WAVES = {  # series of the waves data: a 1-D convolutional encoder, a transposed-convolution decoder
    "dataset": "waves",
    "arch": "cnn",
    "hidden": [32, 64],
    "likelihood": "gaussian",
    "variance": "fixed",
    "sigma": 0.05,
    "latent_dim": 6,
    "epochs": 20,
    "lr": 2e-3,
}

SERIES_GRU = {"arch": "gru", "hidden": [64]}  # about the CNN encoder's parameters (13k against 9k)
WAVES_LONG = {"variance": "learned", "epochs": 150}  # the series lesson's training: 20 epochs left WaveNet unfinished

PRESETS: dict[str, dict[str, Any]] = {
    N_("pytorch/examples MNIST VAE"): {
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [400],
        "latent_dim": 20,
        "likelihood": "bernoulli",
        "beta": 1.0,
        "epochs": 10,
        "batch_size": 128,
        "lr": 1e-3,
    },
    N_("digits in seconds"): {
        "dataset": "digits",
        "arch": "mlp",
        "hidden": [128],
        "latent_dim": 2,
        "epochs": 30,
        "batch_size": 64,
    },
    N_("2-D latent for the manifold"): {
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [256, 128],
        "latent_dim": 2,
        "epochs": 30,
    },
    N_("IAF posterior, 2-D latent"): {
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [256, 128],
        "latent_dim": 2,
        "posterior": "iaf",
        "flow_steps": 4,
        "epochs": 30,
    },
    N_("CNN on MNIST"): {"dataset": "mnist5k", "arch": "cnn", "hidden": [32, 64], "latent_dim": 16, "epochs": 10},
    # the same CNN with a self-attention block of 4 heads over the 7 x 7 map of its encoder and of its decoder
    N_("CNN with self-attention on MNIST"): {
        "dataset": "mnist5k",
        "arch": "cnn",
        "hidden": [32, 64],
        "latent_dim": 16,
        "attention": 4,
        "epochs": 15,
    },
    N_("beta-VAE on sprites"): {
        "dataset": "sprites",
        "arch": "cnn",
        "hidden": [32, 64],
        "latent_dim": 10,
        "beta": 4.0,
        "epochs": 10,
    },
    N_("beta-TCVAE on sprites"): {
        "dataset": "sprites",
        "arch": "mlp",
        "hidden": [512, 256],
        "latent_dim": 6,
        "binarize": "dynamic",
        "objective": "beta-tcvae",
        "beta": 8.0,
        "epochs": 60,
    },
    N_("plain VAE on sprites"): {
        "dataset": "sprites",
        "arch": "mlp",
        "hidden": [512, 256],
        "latent_dim": 6,
        "binarize": "dynamic",
        "epochs": 60,
    },
    N_("Gaussian likelihood, learned variance"): {
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [400],
        "latent_dim": 16,
        "likelihood": "gaussian",
        "variance": "learned",
        "sigma": 0.1,
        "epochs": 10,
    },
    N_("make it collapse (beta 50)"): {
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [400],
        "latent_dim": 16,
        "beta": 50.0,
        "epochs": 30,
    },
    N_("MLP decoder on binarized MNIST"): {
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [400],
        "latent_dim": 16,
        "binarize": "dynamic",
        "epochs": 10,
    },
    N_("strong decoder: pixelcnn"): {
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [400],
        "latent_dim": 16,
        "binarize": "dynamic",
        "epochs": 10,
        "decoder_arch": "pixelcnn",
    },
    N_("strong decoder + free bits"): {
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [400],
        "latent_dim": 16,
        "binarize": "dynamic",
        "epochs": 10,
        "decoder_arch": "pixelcnn",
        "free_bits": 0.5,
    },
    N_("fix collapse with free bits"): {  # 2 nats a unit: 0.5 kept the code to 4.3 nats, reconstructions blurred
        "dataset": "mnist5k",
        "arch": "mlp",
        "hidden": [400],
        "latent_dim": 16,
        "beta": 50.0,
        "epochs": 30,
        "free_bits": 2.0,
        "kl_warmup": 3.0,
    },
    # Token sequences (the command line trains them): the text-VAE collapse of Bowman et al. (2016) on names.
    # The same GRU encoder each time; only the decoder and the remedy change (bench/text_collapse.py).
    N_("names: weak MLP decoder"): {**NAMES, "decoder_arch": "mlp"},  # 256 units, the encoder's width
    N_("names: GRU decoder ignores z"): NAMES,  # the decoder mirrors the encoder: a GRU of 256
    N_("names: GRU + word dropout + free bits"): {
        **NAMES,
        "word_dropout": 0.5,
        "kl_warmup": 10.0,
        "free_bits": 0.25,
    },
    # Series: waves with four known factors; a 1-D convolutional encoder and transposed-convolution decoder.
    N_("waves: 1-D conv VAE"): WAVES,
    N_("waves: beta-VAE"): {**WAVES, "beta": 4.0},
    # The strong decoder of series: WaveNet (vae/models/wavenet.py) on the waves, long enough for it to learn them.
    N_("strong decoder: wavenet"): {**WAVES, **WAVES_LONG, "decoder_arch": "wavenet", "decoder_gated": True},
    # Sequence networks on series (vae/models/series_sequence.py), trained as the series lesson's models: a GRU and
    # a Transformer encoder before the same 1-D CNN decoder, and a GRU decoder (a strong one, as WaveNet).
    N_("waves: GRU encoder"): {**WAVES, **WAVES_LONG, **SERIES_GRU, "decoder_arch": "cnn", "decoder_hidden": [64, 32]},
    N_("waves: Transformer encoder"): {
        **WAVES,
        **WAVES_LONG,
        "arch": "transformer",
        "hidden": [32, 32],
        "heads": 2,
        "decoder_arch": "cnn",
        "decoder_hidden": [64, 32],
    },
    N_("waves: GRU encoder and decoder"): {**WAVES, **WAVES_LONG, **SERIES_GRU},
    # A flow in the decoder (vae/models/flow_decoder.py): the 1-D CNN decoder's Gaussian through 4 affine couplings
    # conditioned on z, trained as the series lesson's models.
    N_("waves: flow decoder"): {**WAVES, **WAVES_LONG, "decoder_arch": "flow"},  # 4 couplings, the default
    # The attention view of the Samples page: a Transformer decoder of names that reads z (the text fix's remedies).
    N_("names: Transformer decoder"): {
        **NAMES,
        "decoder_arch": "transformer",
        "decoder_hidden": [64, 64],
        "heads": 4,
        "word_dropout": 0.5,
        "kl_warmup": 10.0,
        "free_bits": 0.25,
    },
}


def preset_config(name: str) -> VAEConfig:
    if name not in PRESETS:
        raise ConfigError(N_("unknown preset {name!r}; choose one of: {value}"), name=name, value=", ".join(PRESETS))
    return apply(VAEConfig(), PRESETS[name]).validate()
