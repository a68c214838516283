"""The rules that tie several settings of a run together, each written once.

:meth:`vae.config.VAEConfig.validate` checks every field against its knob first (type, range, choices),
then calls :func:`check`. Each rule says why a combination cannot work and what to do instead: a
pixelcnn is a decoder only and needs equal layers and an odd kernel; a sequence network's layers share
one width; an attention block sits on a cnn or resnet map whose channels divide into its heads; binarization
needs the Bernoulli likelihood; the Gaussian mean's output layer must reach the data's range, and only a
Gaussian models values outside [0, 1]; capacity annealing is for the plain objective; beta-TCVAE, free bits
and the VampPrior need a posterior (and prior) whose KL splits over dimensions.
What a kind of data admits (which families, likelihoods, channels) is the modality's
(:meth:`vae.data.modality.Modality.check`).
"""

from __future__ import annotations

from typing import Any

from vae.config.knobs import ARCHS, ATTENTION_ARCHS, SEQUENCE_ENCODERS
from vae.errors import ConfigError
from vae.i18n import N_

VAEConfig = NetworkConfig = Any  # vae.config.run's dataclasses, which call these rules from their validate()

MAX_LAYERS, MAX_PIXELCNN_LAYERS = 8, 16  # pixelcnn and wavenet: up to 16 layers


def check_encoder_family(cfg: VAEConfig) -> None:
    """pixelcnn is an autoregressive decoder, never an encoder (said before the choices are listed)."""
    if cfg.encoder.arch == "pixelcnn":
        raise ConfigError(
            N_(
                "encoder.arch: pixelcnn is an autoregressive decoder; the encoder must be one of {value} (set "
                "decoder_arch to pixelcnn instead)"
            ),
            value=", ".join(ARCHS),
        )


def check(cfg: VAEConfig) -> None:
    """Raise ConfigError on the first combination of settings that cannot work."""
    for which, net in (("encoder", cfg.encoder), ("decoder", cfg.decoder)):
        check_layers(which, net)
    check_data(cfg)
    check_output_layer(cfg)
    check_objective(cfg)
    check_latent(cfg)
    check_device(cfg.train.device)


def check_layers(which: str, net: NetworkConfig) -> None:
    """How many layers a family takes, and the family's own rules."""
    if net.arch != "mlp" and not net.hidden:
        raise ConfigError(
            N_("{which}.hidden: a {arch} needs at least one stage of channels"), which=which, arch=net.arch
        )
    most = MAX_PIXELCNN_LAYERS if net.arch in ("pixelcnn", "wavenet") else MAX_LAYERS
    if len(net.hidden) > most:
        raise ConfigError(
            N_("{which}.hidden: at most {most} layers, got {value}"), which=which, most=most, value=len(net.hidden)
        )
    if net.arch in NORM_SEES_THE_FUTURE:
        check_causal_conv_settings(net)
    if net.arch in SEQUENCE_ENCODERS:
        check_sequence_settings(which, net)
    if net.attention:
        check_attention_settings(which, net)


def check_attention_settings(which: str, net: NetworkConfig) -> None:
    """A self-attention block sits at a cnn or resnet network's coarsest feature map (the encoder's last stage,
    the decoder's first) and splits its channels into its heads."""
    if net.arch not in ATTENTION_ARCHS:
        raise ConfigError(
            N_(
                "{which}.attention: a self-attention block attends over a cnn or resnet feature map; this {which} "
                "is {arch} (leave out {flag}, or set its arch to cnn)"
            ),
            which=which,
            arch=net.arch,
            flag="--attention" if which == "encoder" else "--decoder-attention",
        )
    channels = net.hidden[-1] if which == "encoder" else net.hidden[0]
    if channels % net.attention:
        raise ConfigError(
            N_(
                "{which}.attention: the block's {width} channels must divide into its {heads} heads; choose heads "
                "that divide {width}"
            ),
            which=which,
            width=channels,
            heads=net.attention,
        )


MIN_TRAIN_SIZE = 10  # train_size: fewer examples than this leave nothing to learn from (or to hold out)


def check_data(cfg: VAEConfig) -> None:
    """Binarized pixels are Bernoulli draws: they need the Bernoulli likelihood. A training subset has at least
    MIN_TRAIN_SIZE examples."""
    if 0 < cfg.data.train_size < MIN_TRAIN_SIZE:
        raise ConfigError(
            N_("train_size {value}: train on at least {least} examples, or set 0 to use the whole training split"),
            value=cfg.data.train_size,
            least=MIN_TRAIN_SIZE,
        )
    if cfg.data.binarize != "none" and cfg.likelihood.name != "bernoulli":
        raise ConfigError(
            N_(
                "data.binarize={binarize!r} only makes sense with the bernoulli likelihood (this "
                "run uses {name!r}); "
                "set binarize to 'none'"
            ),
            binarize=cfg.data.binarize,
            name=cfg.likelihood.name,
        )


def check_output_layer(cfg: VAEConfig) -> None:
    """The output layer must cover the data's range and no more: sigmoid means lie in (0, 1), tanh means in
    (-1, 1); a Bernoulli or categorical models values in [0, 1] only (a pixel is a probability or a level)."""
    lik = cfg.likelihood
    if lik.name != "gaussian":
        if lik.data_range != "0,1":
            raise ConfigError(
                N_(
                    "data_range {value}: a {name} likelihood models values in [0, 1] (a probability or a grey "
                    "level), never negative ones; set data_range to 0,1, or use the gaussian likelihood"
                ),
                value=lik.data_range,
                name=lik.name,
            )
        return
    if lik.output == "tanh" and lik.data_range == "0,1":
        raise ConfigError(
            N_(
                "output_activation tanh gives means in (-1, 1), and data in [0, 1] never use its negative half: "
                "set data_range to -1,1 (the usual pairing), or use output_activation sigmoid"
            )
        )
    if lik.output == "sigmoid" and lik.data_range == "-1,1":
        raise ConfigError(
            N_(
                "output_activation sigmoid gives means in (0, 1) and cannot reach the negative half of data in "
                "[-1, 1]: use output_activation tanh or linear, or set data_range to 0,1"
            )
        )


def check_objective(cfg: VAEConfig) -> None:
    """Capacity annealing replaces the plain VAE's KL term; beta-TCVAE splits the KL that free bits floor."""
    ob = cfg.objective
    if ob.name != "vae" and ob.capacity is not None:
        raise ConfigError(
            N_(
                "capacity annealing replaces the KL term of the plain VAE objective; the {name} "
                "objective has its own"
                " weights: set capacity empty or objective to vae"
            ),
            name=ob.name,
        )
    if ob.name == "beta-tcvae" and ob.free_bits > 0:
        raise ConfigError(
            N_(
                "free bits floor the KL of each dimension, a term the beta-tcvae objective splits into "
                "MI, total correlation and dimension-wise KL: set free_bits to 0 (or use objective "
                "vae or factorvae)"
            )
        )


def check_latent(cfg: VAEConfig) -> None:
    """A flow posterior and the VampPrior have no per-dimension, closed-form KL: what needs one refuses them."""
    ob, po, pr = cfg.objective, cfg.posterior, cfg.prior
    if cfg.has_flow:
        if ob.name == "beta-tcvae":
            raise ConfigError(
                N_(
                    "the beta-tcvae objective estimates the total correlation from the density of "
                    "every code under every "
                    "example's Gaussian q(z|x); a {name} posterior has no such closed form: use "
                    "posterior gaussian, or "
                    "objective vae or factorvae"
                ),
                name=po.name,
            )
        if ob.free_bits > 0:
            raise ConfigError(
                N_(
                    "free bits floor the KL of each latent dimension, which a {name} posterior does "
                    "not split into: set "
                    "free_bits to 0 (KL warm-up or capacity also keep the code in use) or use posterior gaussian"
                ),
                name=po.name,
            )
    if pr.name == "vamp":
        if cfg.has_flow:
            raise ConfigError(
                N_(
                    "the VampPrior is a mixture of the encoder's Gaussian posteriors of its "
                    "pseudo-inputs; with a {name} "
                    "posterior they have no closed-form density: use posterior gaussian or prior standard"
                ),
                name=po.name,
            )
        if ob.name == "beta-tcvae":
            raise ConfigError(
                N_(
                    "the beta-tcvae objective's dimension-wise KL assumes a prior that factorises over dimensions; "
                    "the VampPrior does not: use prior standard, or objective vae or factorvae"
                )
            )
        if ob.free_bits > 0:
            raise ConfigError(
                N_(
                    "free bits floor the KL of each latent dimension; against the VampPrior the KL does not split "
                    "over dimensions: set free_bits to 0 or use prior standard"
                )
            )
    if pr.name == "flow":
        if ob.name == "beta-tcvae":
            raise ConfigError(
                N_(
                    "the beta-tcvae objective's dimension-wise KL assumes a prior that factorises over dimensions; "
                    "a flow prior does not: use prior standard, or objective vae or factorvae"
                )
            )
        if ob.free_bits > 0:
            raise ConfigError(
                N_(
                    "free bits floor the KL of each latent dimension; against a flow prior the KL does not split "
                    "over dimensions: set free_bits to 0 or use prior standard"
                )
            )


def check_device(device: object) -> None:
    if not isinstance(device, str) or not (device in ("auto", "cpu", "cuda", "mps") or device.startswith("cuda:")):
        raise ConfigError(N_("train.device must be auto, cpu, cuda, cuda:N or mps, got {device!r}"), device=device)


def check_sequence_settings(which: str, cfg: NetworkConfig) -> None:
    """A recurrent or transformer network's layers share one width; a transformer's divides into its heads."""
    if len(set(cfg.hidden)) > 1:
        raise ConfigError(
            N_(
                "{which}.hidden: the layers of a {arch} share one width, got {hidden}; give the same number once "
                "per layer, e.g. {value}"
            ),
            which=which,
            arch=cfg.arch,
            hidden=cfg.hidden,
            value=" ".join([str(cfg.hidden[0])] * len(cfg.hidden)),
        )
    if cfg.arch == "transformer" and cfg.hidden[0] % cfg.heads:
        raise ConfigError(
            N_("{which}.hidden: a transformer's width ({width}) must divide into its {heads} heads"),
            which=which,
            width=cfg.hidden[0],
            heads=cfg.heads,
        )


NORM_SEES_THE_FUTURE = {  # why an autoregressive convolution stack takes no normalisation, per family
    "pixelcnn": N_(
        "decoder.norm={norm!r}: normalisation over the image would let a pixel see the pixels after it; use "
        "norm 'none' with a pixelcnn decoder"
    ),
    "wavenet": N_(
        "decoder.norm={norm!r}: normalisation over the series would let a step see the steps after it; use "
        "norm 'none' with a wavenet decoder"
    ),
}


def check_causal_conv_settings(cfg: NetworkConfig) -> None:
    """Refuse the settings a pixelcnn or wavenet decoder cannot honour, with what to do instead: one channel count
    for its residual layers, an odd kernel for a masked convolution, at least 2 steps for a causal one, no norm."""
    if len(set(cfg.hidden)) > 1:
        raise ConfigError(
            N_(
                "decoder.hidden: a {arch}'s residual layers share one channel count, got {hidden}; give the same "
                "number once per layer, e.g. {value}"
            ),
            arch=cfg.arch,
            hidden=cfg.hidden,
            value=" ".join([str(cfg.hidden[0])] * len(cfg.hidden)),
        )
    if cfg.arch == "pixelcnn" and cfg.kernel % 2 == 0:
        raise ConfigError(
            N_("decoder.kernel must be odd (3, 5, 7...) for a masked convolution; got {kernel}"), kernel=cfg.kernel
        )
    if cfg.arch == "wavenet" and cfg.kernel < 2:
        raise ConfigError(
            N_("decoder.kernel: a wavenet's causal convolution sees at least 2 steps; got {kernel}"), kernel=cfg.kernel
        )
    if cfg.norm != "none":
        raise ConfigError(NORM_SEES_THE_FUTURE[cfg.arch], norm=cfg.norm)
