"""Configuration of a VAE experiment: data, networks, likelihood, objective, training.

One :class:`VAEConfig` describes a whole run. It is plain data (dataclasses of numbers, strings and
lists), round-trips through JSON (it is stored in every checkpoint) and is validated by
:meth:`VAEConfig.validate`, which raises :class:`~vae.errors.ConfigError` with a message that names the
setting and the values it accepts. The ranges and choices come from the knobs' declarations
(:mod:`vae.config.knobs`), the rules that tie settings together from :mod:`vae.config.rules`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vae.config import rules
from vae.config.datasets import DATASETS
from vae.config.knobs import KNOBS, Knob
from vae.errors import ConfigError
from vae.i18n import N_


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
    train_size: int = 0  # 0: the whole training split; N: a fixed random N of it (vae.data.dataset.Dataset.subset)


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
    plain: bool = False  # resnet: the blocks without their skip connections (a plain network of the same depth)
    kernel: int = 3  # pixelcnn: masked convolution size (odd); wavenet: causal convolution size
    gated: bool = False  # pixelcnn, wavenet: gated activations tanh(a) * sigmoid(b) instead of ``activation``
    embed: int = 32  # sequences: width of the token embeddings
    bidirectional: bool = False  # gru, lstm encoder: read the sequence both ways
    pool: str = "last"  # gru, lstm encoder: last state or mean over the steps (see POOLS)
    heads: int = 4  # transformer: attention heads
    word_dropout: float = 0.0  # gru, lstm decoder: share of input tokens replaced by <unk> (Bowman et al. 2016)
    z_every_step: bool = False  # gru, lstm decoder: z joins every step's input, not only the initial state
    couplings: int = 4  # flow decoder: affine couplings over the series (vae/models/flow_decoder.py)
    attention: int = 0  # cnn, resnet (images): heads of a self-attention block at the coarsest grid; 0: none


@dataclass
class LikelihoodConfig:
    """The output distribution p(x|z).

    ``gaussian``: ``variance`` is ``fixed`` (sigma^2 = ``sigma``**2), ``learned`` (one
    global log sigma^2 parameter, initialised at log ``sigma``**2) or ``per-pixel``
    (a second decoder head for log sigma^2(z)); its mean is ``output``(decoder output), with
    ``output`` sigmoid, tanh or linear. ``categorical``: a softmax over ``bins`` grey levels per
    pixel. ``data_range``: the values in [0, 1] are scaled to [lo, hi] before the encoder and the
    likelihood see them, x' = lo + (hi - lo) x; means and draws are scaled back for pictures.
    """

    name: str = "bernoulli"
    variance: str = "fixed"
    sigma: float = 0.1
    bins: int = 256
    output: str = "sigmoid"  # gaussian: the mean's output activation (OUTPUT_ACTIVATIONS)
    data_range: str = "0,1"  # the interval x is scaled to before the encoder and the likelihood (DATA_RANGES)


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
    ``flow``: ``flow_steps`` RealNVP affine couplings over N(0, I), learned with the model.
    """

    name: str = "standard"
    pseudo_inputs: int = 500
    flow_steps: int = 4


@dataclass
class TrainConfig:
    """Optimisation: Adam(W) with decoupled weight decay, mini-batches, a seed; optionally early stopping on a
    share of the training split held out (never the test split)."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 1
    device: str = "auto"
    early_stopping: bool = False  # hold out part of the training split; keep the best epoch (vae.training.trainer)
    patience: int = 5  # early stopping: epochs without a better held-out -ELBO before training stops


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
        """Raise ConfigError on the first impossible setting; return self.

        First every field against its knob's declaration (type, range, choices), then the rules that
        tie several fields together (:func:`vae.config.rules.check`)."""
        rules.check_encoder_family(self)
        for (section, name), knob in CHECKED.items():
            holder = getattr(self, section) if section else self
            _check_value(f"{section}.{name}" if section else name, getattr(holder, name), knob)
        rules.check(self)
        return self


def _paths() -> dict[tuple[str, str], Knob]:
    """(section, field) -> the knob whose type, range and choices hold there, in the knobs' order.

    A shared ``encoder+decoder`` knob holds on both networks, a ``decoder_*`` knob overrides it on the
    decoder, and a network field that only one network's knob declares (``decoder_kernel``, ``pool``)
    holds on the other too."""
    out: dict[tuple[str, str], Knob] = {}
    for knob in KNOBS.values():
        for section in ("encoder", "decoder") if knob.section == "encoder+decoder" else (knob.section,):
            out[(section, knob.field)] = knob
    for (section, name), knob in list(out.items()):
        if section in ("encoder", "decoder"):
            out.setdefault(("decoder" if section == "encoder" else "encoder", name), knob)
    return out


CHECKED = _paths()


def _check_value(path: str, value: Any, knob: Knob) -> None:
    """One field against its knob: None where optional; true/false; a list of integers; a choice; a number in
    the range. Free text (file paths, the device) is left to the rules and the loaders."""
    if value is None and knob.optional:
        return
    if knob.name == "dataset":
        if value not in DATASETS:
            raise ConfigError(
                N_("unknown dataset {name!r}; choose one of {value}"), name=value, value=", ".join(DATASETS)
            )
        return
    if knob.type is bool:
        if not isinstance(value, bool):
            which, _, flag = path.rpartition(".")
            raise ConfigError(
                N_("{which}.{flag} must be true or false; got {value!r}"), which=which, flag=flag, value=value
            )
    elif knob.is_list:
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            which = path.partition(".")[0]
            raise ConfigError(
                N_("{which}.hidden must be a list of integers, got {hidden!r}"), which=which, hidden=value
            )
        for v in value:
            _int_in(path, v, int(knob.lo), int(knob.hi))
    elif knob.choices:
        _choice(path, value, knob.choices)
    elif knob.type is int:
        _int_in(path, value, int(knob.lo), int(knob.hi))
    elif knob.type is float:
        _float_in(path, value, knob.lo, knob.hi)


CONV_CHANNELS = (32, 64, 64, 128)
PIXELCNN_CHANNELS, PIXELCNN_LAYERS = 32, 5
WAVENET_CHANNELS, WAVENET_LAYERS = 32, 5  # kernel 3: a receptive field of 63 steps, about a waves series


def image_side(data: DataConfig) -> int | None:
    """The image side of a dataset, when it is known before loading it (None for user files)."""
    spec = DATASETS.get(data.name)
    return data.size if data.name == "sprites" else spec.side if spec else None


def default_hidden(arch: str, side: int | None = None) -> list[int]:
    """Default widths for a network family, in the encoder's data-flow order.

    mlp: one hidden layer of 400 units (pytorch/examples). cnn and resnet: channels per
    stride-2 stage, 32 then 64 (then 64, 128), with one stage per halving down to about
    7 pixels: 8 px -> [32], 28-32 px -> [32, 64], 64 px -> [32, 64, 64], 128 px -> four
    stages. (The MLP's 400 as a channel count made a resnet step 7 s on two cores.)
    pixelcnn: PIXELCNN_LAYERS masked layers of PIXELCNN_CHANNELS channels; wavenet: WAVENET_LAYERS causal
    layers of WAVENET_CHANNELS. gru, lstm: one layer of 256;
    transformer: two blocks of width 64.
    """
    if arch == "mlp":
        return [400]
    if arch == "pixelcnn":
        return [PIXELCNN_CHANNELS] * PIXELCNN_LAYERS
    if arch == "wavenet":
        return [WAVENET_CHANNELS] * WAVENET_LAYERS
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
