"""Every training knob in one flat table.

A *knob* is one setting of :class:`~vae.config.VAEConfig` under a short flat name
(``beta``, ``latent_dim``, ``decoder_hidden``...). The command-line flags of
``python -m vae train``, the fields of the web app's Train form and the URL query
parameters that share an experiment are all generated from :data:`KNOBS`, so the
three can never disagree.

Knobs whose section is ``"encoder+decoder"`` set both networks; the ``decoder_*``
knobs then override the decoder alone. A knob left at ``None`` keeps the value
already in the configuration (for ``decoder_*``: the mirror of the encoder).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vae.config import (
    ACTIVATIONS,
    ARCHS,
    AUTOREGRESSIVE_SEQUENCE_DECODERS,
    BINARIZATIONS,
    DECODER_ARCHS,
    INITS,
    LIKELIHOODS,
    MAX_FLOW_STEPS,
    MAX_LATENT_DIM,
    MAX_PSEUDO_INPUTS,
    NORMS,
    OBJECTIVES,
    POOLS,
    POSTERIORS,
    PRIORS,
    SEQUENCE_ENCODERS,
    VARIANCES,
    VAEConfig,
    default_hidden,
    image_side,
    mirror,
)
from vae.errors import ConfigError
from vae.i18n import N_, Text

IMAGE_DATASETS = (
    "mnist5k",
    "digits",
    "sprites",
    "dsprites",
    "mnist",
    "fashion-mnist",
    "kmnist",
    "cifar10",
    "npz",
    "zip",
)
SEQUENCE_DATASETS = ("names", "text")
SERIES_DATASETS = ("waves", "series")  # real-valued series: generated (vae.data.waves), or the user's CSV
DATASETS = IMAGE_DATASETS + SEQUENCE_DATASETS + SERIES_DATASETS
SEQUENCE_KNOBS = ("embedding", "bidirectional", "pool", "heads", "word_dropout", "z_every_step")  # token models only
GROUPS = ("data", "latent", "encoder", "decoder", "likelihood", "objective", "optimization")


@dataclass(frozen=True)
class Knob:
    name: str
    section: str  # "" (top level), a VAEConfig section, or "encoder+decoder"
    field: str
    type: type  # int, float, str or bool; for list knobs the element type
    help: str
    group: str
    choices: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None
    is_list: bool = False
    optional: bool = False  # None is a valid value (e.g. capacity: off)

    @property
    def dotted(self) -> str:
        """``objective.beta``-style path (``encoder.arch`` for shared knobs)."""
        sec = "encoder" if self.section == "encoder+decoder" else self.section
        return f"{sec}.{self.field}" if sec else self.field


KNOBS: dict[str, Knob] = {
    k.name: k
    for k in [
        Knob(
            "dataset", "data", "name", str, N_("dataset name (see `python -m vae datasets`)"), "data", choices=DATASETS
        ),
        Knob("data_path", "data", "path", str, N_("your .npz or .zip file (with dataset npz or zip)"), "data"),
        Knob(
            "data_root",
            "data",
            "data_root",
            str,
            N_("folder holding torchvision datasets (default ~/.cache/vae-explorer/data or $VAE_DATA_ROOT)"),
            "data",
        ),
        Knob(
            "binarize",
            "data",
            "binarize",
            str,
            N_("none: grey levels as Bernoulli probabilities; dynamic: resample x~Bernoulli(x) every epoch"),
            "data",
            choices=BINARIZATIONS,
        ),
        Knob("sprites_size", "data", "size", int, N_("sprites: image side in pixels"), "data", lo=8, hi=128),
        Knob(
            "sprites_num",
            "data",
            "num",
            int,
            N_("sprites: number of images; dsprites: how many of its 737,280 to use"),
            "data",
            lo=100,
            hi=200_000,
        ),
        Knob("latent_dim", "", "latent_dim", int, N_("size of z (1..256)"), "latent", lo=1, hi=MAX_LATENT_DIM),
        Knob(
            "posterior",
            "posterior",
            "name",
            str,
            N_("q(z|x): gaussian, or a Gaussian followed by planar or iaf (inverse autoregressive) flow steps"),
            "latent",
            choices=POSTERIORS,
        ),
        Knob(
            "flow_steps",
            "posterior",
            "flow_steps",
            int,
            N_("flow steps after the Gaussian (planar, iaf; 0 = the Gaussian itself)"),
            "latent",
            lo=0,
            hi=MAX_FLOW_STEPS,
        ),
        Knob(
            "prior",
            "prior",
            "name",
            str,
            N_("p(z): standard (N(0, I)) or vamp (a mixture of the encoder's posteriors of learned pseudo-inputs)"),
            "latent",
            choices=PRIORS,
        ),
        Knob(
            "pseudo_inputs",
            "prior",
            "pseudo_inputs",
            int,
            N_("vamp: how many pseudo-inputs (mixture components) the prior learns"),
            "latent",
            lo=1,
            hi=MAX_PSEUDO_INPUTS,
        ),
        Knob(
            "iaf_hidden",
            "posterior",
            "iaf_hidden",
            int,
            N_("units of each IAF step's masked (MADE) layer"),
            "latent",
            lo=1,
            hi=4096,
        ),
        Knob(
            "arch",
            "encoder+decoder",
            "arch",
            str,
            N_("network family: mlp, cnn or resnet for images; gru, lstm or transformer for token sequences"),
            "encoder",
            choices=ARCHS + SEQUENCE_ENCODERS,
        ),
        Knob(
            "hidden",
            "encoder+decoder",
            "hidden",
            int,
            N_("encoder layer widths (mlp) or channels per stride-2 stage (cnn/resnet); the decoder mirrors them"),
            "encoder",
            is_list=True,
            lo=1,
            hi=8192,
        ),
        Knob(
            "activation",
            "encoder+decoder",
            "activation",
            str,
            N_("relu, leaky_relu, elu, gelu, silu or tanh"),
            "encoder",
            choices=ACTIVATIONS,
        ),
        Knob(
            "norm", "encoder+decoder", "norm", str, N_("none, batch or layer normalization"), "encoder", choices=NORMS
        ),
        Knob(
            "dropout",
            "encoder+decoder",
            "dropout",
            float,
            N_("dropout rate after each hidden layer"),
            "encoder",
            lo=0.0,
            hi=0.95,
        ),
        Knob(
            "init",
            "encoder+decoder",
            "init",
            str,
            N_("weight initialization: default, xavier or he"),
            "encoder",
            choices=INITS,
        ),
        Knob(
            "blocks", "encoder+decoder", "blocks", int, N_("resnet: residual blocks per stage"), "encoder", lo=1, hi=8
        ),
        Knob(
            "decoder_arch",
            "decoder",
            "arch",
            str,
            N_(
                "decoder family, when it differs from the encoder's; pixelcnn (images), gru, lstm and transformer "
                "(sequences): autoregressive, strong decoders"
            ),
            "decoder",
            choices=DECODER_ARCHS + AUTOREGRESSIVE_SEQUENCE_DECODERS,
        ),
        Knob(
            "decoder_hidden",
            "decoder",
            "hidden",
            int,
            N_("decoder widths/channels in data-flow order (e.g. a stronger decoder)"),
            "decoder",
            is_list=True,
            lo=1,
            hi=8192,
        ),
        Knob(
            "decoder_activation",
            "decoder",
            "activation",
            str,
            N_("decoder activation, when it differs"),
            "decoder",
            choices=ACTIVATIONS,
        ),
        Knob(
            "decoder_norm",
            "decoder",
            "norm",
            str,
            N_("decoder normalization, when it differs"),
            "decoder",
            choices=NORMS,
        ),
        Knob(
            "decoder_dropout",
            "decoder",
            "dropout",
            float,
            N_("decoder dropout rate, when it differs"),
            "decoder",
            lo=0.0,
            hi=0.95,
        ),
        Knob(
            "decoder_init",
            "decoder",
            "init",
            str,
            N_("decoder initialization, when it differs"),
            "decoder",
            choices=INITS,
        ),
        Knob(
            "decoder_blocks",
            "decoder",
            "blocks",
            int,
            N_("resnet decoder: residual blocks per stage, when it differs"),
            "decoder",
            lo=1,
            hi=8,
        ),
        Knob(
            "decoder_kernel",
            "decoder",
            "kernel",
            int,
            N_("pixelcnn: masked convolution size (odd); with the layers, it sets the receptive field"),
            "decoder",
            lo=1,
            hi=9,
        ),
        Knob(
            "decoder_gated", "decoder", "gated", bool, N_("pixelcnn: gated activations tanh(a) * sigmoid(b)"), "decoder"
        ),
        Knob(
            "embedding",  # not "embed": a Streamlit page reserves that query parameter
            "encoder+decoder",
            "embed",
            int,
            N_("sequences: width of the token embeddings"),
            "encoder",
            lo=2,
            hi=1024,
        ),
        Knob(
            "bidirectional",
            "encoder",
            "bidirectional",
            bool,
            N_("gru, lstm encoder: read the sequence in both directions"),
            "encoder",
        ),
        Knob(
            "pool",
            "encoder",
            "pool",
            str,
            N_("gru, lstm encoder: summarise x by the last state or the mean over the steps"),
            "encoder",
            choices=POOLS,
        ),
        Knob("heads", "encoder+decoder", "heads", int, N_("transformer: attention heads"), "encoder", lo=1, hi=16),
        Knob(
            "word_dropout",
            "decoder",
            "word_dropout",
            float,
            N_(
                "gru, lstm decoder: share of the input tokens replaced by <unk> in training, so that the decoder "
                "must read z (Bowman et al. 2016)"
            ),
            "decoder",
            lo=0.0,
            hi=1.0,
        ),
        Knob(
            "z_every_step",
            "decoder",
            "z_every_step",
            bool,
            N_("gru, lstm decoder: z joins the input of every step, not only the initial state"),
            "decoder",
        ),
        Knob(
            "likelihood",
            "likelihood",
            "name",
            str,
            N_("p(x|z): bernoulli, gaussian or categorical"),
            "likelihood",
            choices=LIKELIHOODS,
        ),
        Knob(
            "variance",
            "likelihood",
            "variance",
            str,
            N_("gaussian variance: fixed, learned or per-pixel"),
            "likelihood",
            choices=VARIANCES,
        ),
        Knob(
            "sigma",
            "likelihood",
            "sigma",
            float,
            N_("gaussian: the fixed standard deviation (initial value when learned)"),
            "likelihood",
            lo=1e-3,
            hi=10.0,
        ),
        Knob(
            "bins",
            "likelihood",
            "bins",
            int,
            N_("categorical: grey levels per pixel (2..256)"),
            "likelihood",
            lo=2,
            hi=256,
        ),
        Knob(
            "objective",
            "objective",
            "name",
            str,
            N_(
                "vae (ELBO, beta-VAE), beta-tcvae (the KL split: alpha MI + beta TC + gamma dimension-wise KL) or "
                "factorvae (beta KL + gamma TC from a discriminator)"
            ),
            "objective",
            choices=OBJECTIVES,
        ),
        Knob(
            "beta",
            "objective",
            "beta",
            float,
            N_("weight of the KL term (vae, factorvae); of the total correlation (beta-tcvae)"),
            "objective",
            lo=0.0,
            hi=1e4,
        ),
        Knob(
            "alpha",
            "objective",
            "alpha",
            float,
            N_("beta-tcvae: weight of the index-code mutual information"),
            "objective",
            lo=0.0,
            hi=1e4,
        ),
        Knob(
            "gamma",
            "objective",
            "gamma",
            float,
            N_("beta-tcvae: weight of the dimension-wise KL"),
            "objective",
            lo=0.0,
            hi=1e4,
        ),
        Knob(
            "factorvae_gamma",
            "objective",
            "factorvae_gamma",
            float,
            N_("factorvae: weight of the total correlation estimated by the discriminator"),
            "objective",
            lo=0.0,
            hi=1e4,
        ),
        Knob(
            "kl_warmup",
            "objective",
            "kl_warmup",
            float,
            N_("epochs over which the KL weight rises linearly from 0 to beta"),
            "objective",
            lo=0.0,
            hi=1e6,
        ),
        Knob(
            "free_bits",
            "objective",
            "free_bits",
            float,
            N_("per-dimension KL floor lambda in nats (0 = off)"),
            "objective",
            lo=0.0,
            hi=100.0,
        ),
        Knob(
            "capacity",
            "objective",
            "capacity",
            float,
            N_("capacity annealing: C_max in nats (loss = rec + gamma |KL - C|); empty = off"),
            "objective",
            lo=0.0,
            hi=1e4,
            optional=True,
        ),
        Knob(
            "capacity_gamma",
            "objective",
            "capacity_gamma",
            float,
            N_("capacity annealing: gamma"),
            "objective",
            lo=0.0,
            hi=1e6,
        ),
        Knob(
            "capacity_epochs",
            "objective",
            "capacity_epochs",
            float,
            N_("capacity annealing: epochs for C to reach C_max (empty = all of training)"),
            "objective",
            lo=0.0,
            hi=1e6,
            optional=True,
        ),
        Knob("epochs", "train", "epochs", int, N_("training epochs"), "optimization", lo=1, hi=100_000),
        Knob("batch_size", "train", "batch_size", int, N_("mini-batch size"), "optimization", lo=1, hi=65_536),
        Knob("lr", "train", "lr", float, N_("Adam learning rate"), "optimization", lo=1e-8, hi=10.0),
        Knob(
            "weight_decay",
            "train",
            "weight_decay",
            float,
            N_("decoupled weight decay (AdamW)"),
            "optimization",
            lo=0.0,
            hi=10.0,
        ),
        Knob(
            "seed",
            "train",
            "seed",
            int,
            N_("random seed (runs are reproducible on the CPU)"),
            "optimization",
            lo=0,
            hi=2**53 - 1,
        ),
        Knob("device", "train", "device", str, N_("auto (CUDA when present), cpu, cuda, cuda:N"), "optimization"),
    ]
}


def apply(cfg: VAEConfig, values: dict[str, Any]) -> VAEConfig:
    """Return a copy of ``cfg`` with the given knobs set (``None`` = leave as is).

    The decoder mirrors the encoder's new ``hidden`` unless ``decoder_hidden`` is given.
    A new network family without widths gets that family's defaults
    (:func:`~vae.config.default_hidden`): ``arch`` for both networks, ``decoder_arch``
    for the decoder alone (reversed: the decoder's widths run from z to x).
    """
    cfg = VAEConfig.from_dict(cfg.to_dict())
    old_arch, old_decoder_arch = cfg.encoder.arch, cfg.decoder.arch
    unknown = sorted(set(values) - set(KNOBS))
    if unknown:
        raise ConfigError(N_("unknown setting(s): {value}"), value=", ".join(unknown))
    given = {k: v for k, v in values.items() if v is not None}
    for name in KNOBS:  # table order: shared knobs before decoder overrides
        if name not in given:
            continue
        knob, value = KNOBS[name], given[name]
        if knob.section == "":
            setattr(cfg, knob.field, value)
        elif knob.section == "encoder+decoder":
            setattr(cfg.encoder, knob.field, value)
            setattr(cfg.decoder, knob.field, value)
        else:
            setattr(getattr(cfg, knob.section), knob.field, value)
    side = image_side(cfg.data)
    if cfg.encoder.arch != old_arch and "hidden" not in given:
        cfg.encoder.hidden = default_hidden(cfg.encoder.arch, side)
        if "decoder_hidden" not in given:
            cfg.decoder.hidden = mirror(cfg.encoder).hidden
    if "hidden" in given and "decoder_hidden" not in given and cfg.decoder.arch == cfg.encoder.arch:
        cfg.decoder.hidden = mirror(cfg.encoder).hidden
    if cfg.decoder.arch != cfg.encoder.arch and cfg.decoder.arch != old_decoder_arch and "decoder_hidden" not in given:
        cfg.decoder.hidden = default_hidden(cfg.decoder.arch, side)[::-1]
    return cfg


def values_of(cfg: VAEConfig) -> dict[str, Any]:
    """The knob values that reproduce ``cfg`` (decoder overrides only where it is not the mirror)."""
    out: dict[str, Any] = {}
    for name, knob in KNOBS.items():
        if knob.section == "":
            out[name] = getattr(cfg, knob.field)
        elif knob.section == "encoder+decoder":
            out[name] = getattr(cfg.encoder, knob.field)
        elif knob.section == "decoder":
            mirrored = getattr(mirror(cfg.encoder), knob.field)
            value = getattr(cfg.decoder, knob.field)
            out[name] = None if value == mirrored else value
        else:
            out[name] = getattr(getattr(cfg, knob.section), knob.field)
    return out


def from_dotted(changes: dict[str, Any]) -> dict[str, Any]:
    """``{"objective.beta": 1.0}`` -> ``{"beta": 1.0}`` (the form used by diagnostics' remedies)."""
    by_path = {k.dotted: k.name for k in KNOBS.values()}
    out = {}
    for path, value in changes.items():
        if path not in by_path:
            raise ConfigError(N_("no knob for the setting {path!r}"), path=path)
        out[by_path[path]] = value
    return out


def parse(name: str, text: str) -> Any:
    """Parse a knob's value from text (a URL query parameter or a form field)."""
    knob = KNOBS[name]
    text = text.strip()
    if text == "" or text.lower() == "none":
        if knob.optional or knob.section == "decoder" or knob.type is str:
            return None
        raise ConfigError(N_("{name} needs a value"), name=name)
    if knob.type is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(N_("{name} must be true or false; got {text!r}"), name=name, text=text)
    try:
        if knob.is_list:
            return [knob.type(t) for t in text.replace(",", " ").split()]
        return knob.type(text)
    except ValueError:
        kind = N_("integers") if knob.is_list else (N_("an integer") if knob.type is int else N_("a number"))
        raise ConfigError(N_("{name} must be {kind}; got {text!r}"), name=name, kind=Text(kind), text=text) from None


def text_problem(name: str, text: str, same: str | None = None) -> Text | None:
    """Why ``text`` (a URL query parameter) is not a value knob ``name`` takes, or None.

    ``same`` is the decoder widgets' "same as encoder" option, which a URL may hold too.
    """
    knob = KNOBS[name]
    if same is not None and knob.section == "decoder" and text == same:
        return None
    try:
        value = parse(name, text)
    except ConfigError as e:
        return e.as_text()
    values = value if isinstance(value, list) else [value]
    for v in values:
        if v is None:
            continue
        if knob.choices and v not in knob.choices:
            return Text(
                N_("{name} must be one of {choices}; got {value!r}"),
                name=name,
                choices=", ".join(knob.choices),
                value=v,
            )
        if knob.lo is not None and knob.type in (int, float) and not knob.lo <= v <= knob.hi:
            return Text(
                N_("{name} must be from {lo:g} to {hi:g}; got {value:g}"), name=name, lo=knob.lo, hi=knob.hi, value=v
            )
    return None


def defaults() -> dict[str, Any]:
    return values_of(VAEConfig())
