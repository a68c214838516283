"""Configuration of a VAE experiment: data, networks, likelihood, objective, training.

One :class:`VAEConfig` describes a whole run. It is plain data (dataclasses of
numbers, strings and lists), round-trips through JSON (it is stored in every
checkpoint) and is validated by :meth:`VAEConfig.validate`, which raises
:class:`~vae.errors.ConfigError` with a message that names the setting and the
values it accepts.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vae.errors import ConfigError
from vae.i18n import N_

ARCHS = ("mlp", "cnn", "resnet")  # encoder families
DECODER_ARCHS = ARCHS + ("pixelcnn",)  # pixelcnn: autoregressive, a decoder only (vae/pixelcnn.py)
SEQUENCE_ENCODERS = ("gru", "lstm", "transformer")  # read token sequences (vae/models/sequence.py)
SEQUENCE_DECODERS = ("gru", "lstm", "transformer", "mlp")  # autoregressive, except mlp: every step at once
AUTOREGRESSIVE_SEQUENCE_DECODERS = SEQUENCE_DECODERS[:3]
POOLS = ("last", "mean")  # a recurrent encoder's summary of x: its last state, or the mean over the steps
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh")
NORMS = ("none", "batch", "layer")
INITS = ("default", "xavier", "he")
LIKELIHOODS = ("bernoulli", "gaussian", "categorical")
VARIANCES = ("fixed", "learned", "per-pixel")
BINARIZATIONS = ("none", "dynamic")
OBJECTIVES = ("vae", "beta-tcvae", "factorvae")
POSTERIORS = ("gaussian", "planar", "iaf")
PRIORS = ("standard", "vamp")  # p(z): N(0, I), or the VampPrior's mixture of posteriors of pseudo-inputs
MAX_PSEUDO_INPUTS = 5000  # q(z|x): a diagonal Gaussian, or one followed by flow steps
MAX_FLOW_STEPS = 64
MAX_LATENT_DIM = 256


@dataclass
class DataConfig:
    """Which dataset, and how pixels are presented to the likelihood.

    ``binarize="dynamic"`` resamples x ~ Bernoulli(grey level) every epoch (for the
    Bernoulli likelihood); ``"none"`` uses grey levels as probabilities, as
    pytorch/examples does.
    """

    name: str = "mnist5k"
    path: str | None = None  # .npz or .zip file for name="npz"/"zip"
    data_root: str | None = None  # folder for torchvision datasets
    binarize: str = "none"
    size: int = 32  # sprites: image side
    num: int = 10_000  # sprites: number of images


@dataclass
class NetworkConfig:
    """An encoder or decoder network.

    ``hidden`` is the list of layer widths (``mlp``) or channel counts (``cnn``,
    ``resnet``: one stride-2 stage each; ``pixelcnn``: one masked layer each, all
    equal), in the order the data flows through them.
    """

    arch: str = "mlp"
    hidden: list[int] = field(default_factory=lambda: [400])
    activation: str = "relu"
    norm: str = "none"
    dropout: float = 0.0
    init: str = "default"
    blocks: int = 1  # resnet: residual blocks per stage
    kernel: int = 3  # pixelcnn: masked convolution size (odd)
    gated: bool = False  # pixelcnn: gated activations tanh(a) * sigmoid(b) instead of ``activation``
    embed: int = 32  # sequences: width of the token embeddings
    bidirectional: bool = False  # gru, lstm encoder: read the sequence both ways
    pool: str = "last"  # gru, lstm encoder: last state or mean over the steps (see POOLS)
    heads: int = 4  # transformer: attention heads
    word_dropout: float = 0.0  # gru, lstm decoder: share of input tokens replaced by <unk> (Bowman et al. 2016)
    z_every_step: bool = False  # gru, lstm decoder: z joins every step's input, not only the initial state


@dataclass
class LikelihoodConfig:
    """The output distribution p(x|z).

    ``gaussian``: ``variance`` is ``fixed`` (sigma^2 = ``sigma``**2), ``learned`` (one
    global log sigma^2 parameter, initialised at log ``sigma``**2) or ``per-pixel``
    (a second decoder head for log sigma^2(z)). ``categorical``: a softmax over
    ``bins`` grey levels per pixel.
    """

    name: str = "bernoulli"
    variance: str = "fixed"
    sigma: float = 0.1
    bins: int = 256


@dataclass
class ObjectiveConfig:
    """The training loss built from the ELBO.

    loss = E_q[-log p(x|z)] + beta_t * sum_j max(free_bits, KL_j)       (default)
    loss = E_q[-log p(x|z)] + gamma * |KL - C_t|                        (capacity set)

    beta_t rises linearly from 0 to ``beta`` over ``kl_warmup`` epochs (Bowman et al.
    2016); ``free_bits`` is the per-dimension KL floor lambda (Kingma et al. 2016);
    C_t rises linearly from 0 to ``capacity`` nats over ``capacity_epochs`` epochs
    (all of training when unset; Burgess et al. 2018).

    ``name="beta-tcvae"``: rec + alpha MI + beta TC + gamma dimension-wise KL;
    ``name="factorvae"``: rec + beta KL + factorvae_gamma TC (see ``objectives``).
    KL warm-up scales the whole regulariser of either.
    """

    name: str = "vae"  # vae | beta-tcvae | factorvae
    beta: float = 1.0  # vae, factorvae: KL weight; beta-tcvae: total-correlation weight
    alpha: float = 1.0  # beta-tcvae: index-code mutual-information weight
    gamma: float = 1.0  # beta-tcvae: dimension-wise KL weight
    factorvae_gamma: float = 10.0  # factorvae: total-correlation weight
    kl_warmup: float = 0.0
    free_bits: float = 0.0
    capacity: float | None = None
    capacity_gamma: float = 100.0
    capacity_epochs: float | None = None


@dataclass
class PosteriorConfig:
    """The approximate posterior q(z|x).

    ``gaussian``: N(mu(x), diag sigma^2(x)). ``planar`` and ``iaf``: that Gaussian followed by
    ``flow_steps`` invertible steps whose parameters the encoder computes from x (planar flows,
    Rezende & Mohamed 2015, amortized as in van den Berg et al. 2018; inverse autoregressive flow,
    Kingma et al. 2016, with MADE layers of ``iaf_hidden`` units). With 0 steps every family is the
    Gaussian.
    """

    name: str = "gaussian"
    flow_steps: int = 0
    iaf_hidden: int = 128


@dataclass
class PriorConfig:
    """The prior p(z).

    ``standard``: N(0, I). ``vamp``: the VampPrior (Tomczak & Welling 2018), the mixture
    (1/K) sum_k q(z|u_k) of the encoder's posteriors of K = ``pseudo_inputs`` learned inputs u_k.
    """

    name: str = "standard"
    pseudo_inputs: int = 500


@dataclass
class TrainConfig:
    """Optimisation: Adam(W) with decoupled weight decay, mini-batches, a seed."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 1
    device: str = "auto"


@dataclass
class VAEConfig:
    """A whole experiment. ``decoder`` defaults to the mirror image of ``encoder``."""

    latent_dim: int = 20
    data: DataConfig = field(default_factory=DataConfig)
    encoder: NetworkConfig = field(default_factory=NetworkConfig)
    decoder: NetworkConfig = field(default_factory=NetworkConfig)
    likelihood: LikelihoodConfig = field(default_factory=LikelihoodConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    posterior: PosteriorConfig = field(default_factory=PosteriorConfig)
    prior: PriorConfig = field(default_factory=PriorConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    @property
    def closed_form_kl(self) -> bool:
        """KL(q(z|x) || p(z)) has a closed form, per dimension: a Gaussian posterior and the standard prior."""
        return not self.has_flow and self.prior.name == "standard"

    @property
    def has_flow(self) -> bool:
        """q(z|x) has flow steps after its Gaussian (a planar or IAF posterior with at least one step)."""
        return self.posterior.name != "gaussian" and self.posterior.flow_steps > 0

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VAEConfig:
        """Build from a (possibly partial) dict; unknown keys are an error.

        When ``decoder`` is absent it mirrors ``encoder`` (same settings, hidden
        sizes reversed).
        """
        if not isinstance(d, dict):
            raise ConfigError(N_("configuration must be a JSON object"))
        sections = {
            "data": DataConfig,
            "encoder": NetworkConfig,
            "decoder": NetworkConfig,
            "likelihood": LikelihoodConfig,
            "objective": ObjectiveConfig,
            "posterior": PosteriorConfig,
            "prior": PriorConfig,
            "train": TrainConfig,
        }
        _check_keys(d, set(sections) | {"latent_dim"}, "configuration")
        kwargs: dict[str, Any] = {}
        for name, klass in sections.items():
            if name in d:
                sub = d[name]
                if not isinstance(sub, dict):
                    raise ConfigError(N_("'{name}' must be an object, got {sub!r}"), name=name, sub=sub)
                _check_keys(sub, {f.name for f in dataclasses.fields(klass)}, name)
                kwargs[name] = klass(**sub)
        if "decoder" not in d and "encoder" in d:
            kwargs["decoder"] = mirror(kwargs["encoder"])
        if "latent_dim" in d:
            kwargs["latent_dim"] = d["latent_dim"]
        return cls(**kwargs)

    @classmethod
    def from_json_file(cls, path: str | Path) -> VAEConfig:
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise ConfigError(
                N_("cannot read config file {path}: {strerror}"), path=path, strerror=e.strerror
            ) from None
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(N_("config file {path} is not valid JSON: {e}"), path=path, e=e) from None
        return cls.from_dict(d)

    # ------------------------------------------------------------ validation
    def validate(self) -> VAEConfig:
        """Raise ConfigError on the first impossible setting; return self."""
        _int_in("latent_dim", self.latent_dim, 1, MAX_LATENT_DIM)
        for which, net in (("encoder", self.encoder), ("decoder", self.decoder)):
            if which == "encoder" and net.arch == "pixelcnn":
                raise ConfigError(
                    N_(
                        "encoder.arch: pixelcnn is an autoregressive decoder; the encoder must be one of {value} (set "
                        "decoder_arch to pixelcnn instead)"
                    ),
                    value=", ".join(ARCHS),
                )
            _choice(
                f"{which}.arch",
                net.arch,
                ARCHS + SEQUENCE_ENCODERS if which == "encoder" else DECODER_ARCHS + AUTOREGRESSIVE_SEQUENCE_DECODERS,
            )
            _choice(f"{which}.activation", net.activation, ACTIVATIONS)
            _choice(f"{which}.norm", net.norm, NORMS)
            _choice(f"{which}.init", net.init, INITS)
            if not isinstance(net.hidden, list) or not all(_is_int(h) for h in net.hidden):
                raise ConfigError(
                    N_("{which}.hidden must be a list of integers, got {hidden!r}"), which=which, hidden=net.hidden
                )
            if net.arch != "mlp" and not net.hidden:
                raise ConfigError(
                    N_("{which}.hidden: a {arch} needs at least one stage of channels"), which=which, arch=net.arch
                )
            most = 16 if net.arch == "pixelcnn" else 8
            if len(net.hidden) > most:
                raise ConfigError(
                    N_("{which}.hidden: at most {most} layers, got {value}"),
                    which=which,
                    most=most,
                    value=len(net.hidden),
                )
            for h in net.hidden:
                _int_in(f"{which}.hidden", h, 1, 8192)
            _float_in(f"{which}.dropout", net.dropout, 0.0, 0.95)
            _int_in(f"{which}.blocks", net.blocks, 1, 8)
            _int_in(f"{which}.kernel", net.kernel, 1, 9)
            if not isinstance(net.gated, bool):
                raise ConfigError(
                    N_("{which}.gated must be true or false; got {gated!r}"), which=which, gated=net.gated
                )
            if net.arch == "pixelcnn":
                check_pixelcnn_settings(net)
            _int_in(f"{which}.embed", net.embed, 2, 1024)
            _int_in(f"{which}.heads", net.heads, 1, 16)
            _choice(f"{which}.pool", net.pool, POOLS)
            _float_in(f"{which}.word_dropout", net.word_dropout, 0.0, 1.0)
            for flag in ("bidirectional", "z_every_step"):
                if not isinstance(getattr(net, flag), bool):
                    raise ConfigError(
                        N_("{which}.{flag} must be true or false; got {value!r}"),
                        which=which,
                        flag=flag,
                        value=getattr(net, flag),
                    )
            if net.arch in SEQUENCE_ENCODERS:
                check_sequence_settings(which, net)
        lk = self.likelihood
        _choice("likelihood.name", lk.name, LIKELIHOODS)
        _choice("likelihood.variance", lk.variance, VARIANCES)
        _float_in("likelihood.sigma", lk.sigma, 1e-3, 10.0)
        _int_in("likelihood.bins", lk.bins, 2, 256)
        _choice("data.binarize", self.data.binarize, BINARIZATIONS)
        if self.data.binarize != "none" and lk.name != "bernoulli":
            raise ConfigError(
                N_(
                    "data.binarize={binarize!r} only makes sense with the bernoulli likelihood (this "
                    "run uses {name!r}); "
                    "set binarize to 'none'"
                ),
                binarize=self.data.binarize,
                name=lk.name,
            )
        _int_in("data.size", self.data.size, 8, 128)
        _int_in("data.num", self.data.num, 100, 200_000)
        ob = self.objective
        _choice("objective.name", ob.name, OBJECTIVES)
        _float_in("objective.beta", ob.beta, 0.0, 1e4)
        _float_in("objective.alpha", ob.alpha, 0.0, 1e4)
        _float_in("objective.gamma", ob.gamma, 0.0, 1e4)
        _float_in("objective.factorvae_gamma", ob.factorvae_gamma, 0.0, 1e4)
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
        _float_in("objective.kl_warmup", ob.kl_warmup, 0.0, 1e6)
        _float_in("objective.free_bits", ob.free_bits, 0.0, 100.0)
        if ob.capacity is not None:
            _float_in("objective.capacity", ob.capacity, 0.0, 1e4)
            _float_in("objective.capacity_gamma", ob.capacity_gamma, 0.0, 1e6)
            if ob.capacity_epochs is not None:
                _float_in("objective.capacity_epochs", ob.capacity_epochs, 0.0, 1e6)
        po = self.posterior
        _choice("posterior.name", po.name, POSTERIORS)
        _int_in("posterior.flow_steps", po.flow_steps, 0, MAX_FLOW_STEPS)
        _int_in("posterior.iaf_hidden", po.iaf_hidden, 1, 4096)
        if self.has_flow:
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
        pr = self.prior
        _choice("prior.name", pr.name, PRIORS)
        _int_in("prior.pseudo_inputs", pr.pseudo_inputs, 1, MAX_PSEUDO_INPUTS)
        if pr.name == "vamp":
            if self.has_flow:
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
        tr = self.train
        _int_in("train.epochs", tr.epochs, 1, 100_000)
        _int_in("train.batch_size", tr.batch_size, 1, 65_536)
        _float_in("train.lr", tr.lr, 1e-8, 10.0)
        if tr.lr <= 0:
            raise ConfigError(N_("train.lr must be positive"))
        _float_in("train.weight_decay", tr.weight_decay, 0.0, 10.0)
        _int_in("train.seed", tr.seed, 0, 2**53 - 1)
        if not isinstance(tr.device, str) or not (
            tr.device in ("auto", "cpu", "cuda", "mps") or tr.device.startswith("cuda:")
        ):
            raise ConfigError(
                N_("train.device must be auto, cpu, cuda, cuda:N or mps, got {device!r}"), device=tr.device
            )
        return self


IMAGE_SIDES = {
    "mnist5k": 28,
    "digits": 8,
    "mnist": 28,
    "fashion-mnist": 28,
    "kmnist": 28,
    "cifar10": 32,
    "dsprites": 64,
}
CONV_CHANNELS = (32, 64, 64, 128)
PIXELCNN_CHANNELS, PIXELCNN_LAYERS = 32, 5


def image_side(data: DataConfig) -> int | None:
    """The image side of a dataset, when it is known before loading it (None for user files)."""
    return data.size if data.name == "sprites" else IMAGE_SIDES.get(data.name)


def default_hidden(arch: str, side: int | None = None) -> list[int]:
    """Default widths for a network family, in the encoder's data-flow order.

    mlp: one hidden layer of 400 units (pytorch/examples). cnn and resnet: channels per
    stride-2 stage, 32 then 64 (then 64, 128), with one stage per halving down to about
    7 pixels: 8 px -> [32], 28-32 px -> [32, 64], 64 px -> [32, 64, 64], 128 px -> four
    stages. (The MLP's 400 as a channel count made a resnet step 7 s on two cores.)
    pixelcnn: PIXELCNN_LAYERS masked layers of PIXELCNN_CHANNELS channels. gru, lstm: one layer of 256;
    transformer: two blocks of width 64.
    """
    if arch == "mlp":
        return [400]
    if arch == "pixelcnn":
        return [PIXELCNN_CHANNELS] * PIXELCNN_LAYERS
    if arch in ("gru", "lstm"):
        return [256]
    if arch == "transformer":
        return [64, 64]
    side = side or 28
    stages = max(1, min(len(CONV_CHANNELS), int(math.log2(side / 7)) if side >= 14 else 1))
    return list(CONV_CHANNELS[:stages])


def mirror(encoder: NetworkConfig) -> NetworkConfig:
    """The decoder that mirrors ``encoder``: same settings, hidden sizes reversed."""
    return dataclasses.replace(encoder, hidden=list(reversed(encoder.hidden)))


# ---------------------------------------------------------------- helpers
def _check_keys(d: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ConfigError(
            N_("unknown key(s) in {where}: {value}; valid keys are {value2}"),
            where=where,
            value=", ".join(unknown),
            value2=", ".join(sorted(allowed)),
        )


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _choice(name: str, value: Any, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ConfigError(
            N_("{name} must be one of {value}; got {value2!r}"), name=name, value=", ".join(options), value2=value
        )


def _int_in(name: str, value: Any, lo: int, hi: int) -> None:
    if not _is_int(value) or not lo <= value <= hi:
        raise ConfigError(
            N_("{name} must be an integer from {lo} to {hi}; got {value!r}"), name=name, lo=lo, hi=hi, value=value
        )


def _float_in(name: str, value: Any, lo: float, hi: float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not lo <= value <= hi:
        raise ConfigError(
            N_("{name} must be a number from {lo:g} to {hi:g}; got {value!r}"), name=name, lo=lo, hi=hi, value=value
        )


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


def check_pixelcnn_settings(cfg: NetworkConfig) -> None:
    """Refuse the settings a PixelCNN decoder cannot honour, with what to do instead."""
    if len(set(cfg.hidden)) > 1:
        raise ConfigError(
            N_(
                "decoder.hidden: a pixelcnn's residual layers share one channel count, got {hidden}; give the same "
                "number once per layer, e.g. {value}"
            ),
            hidden=cfg.hidden,
            value=" ".join([str(cfg.hidden[0])] * len(cfg.hidden)),
        )
    if cfg.kernel % 2 == 0:
        raise ConfigError(
            N_("decoder.kernel must be odd (3, 5, 7...) for a masked convolution; got {kernel}"), kernel=cfg.kernel
        )
    if cfg.norm != "none":
        raise ConfigError(
            N_(
                "decoder.norm={norm!r}: normalisation over the image would let a pixel see the pixels after it; use "
                "norm 'none' with a pixelcnn decoder"
            ),
            norm=cfg.norm,
        )
