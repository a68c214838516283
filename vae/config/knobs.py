"""Every training knob, declared once.

A *knob* is one setting of :class:`~vae.config.VAEConfig` under a short flat name (``beta``,
``latent_dim``, ``decoder_hidden``...). Its declaration holds everything about it: the type, the range or
the choices, the one-line help, the form's label and group, the kinds of data it applies to and when it
is in use (a condition on another knob). Derived from it: :meth:`VAEConfig.validate`'s range and choice
checks (:mod:`vae.config.run`), the command-line flags of ``python -m vae train``, the fields of the web
app's Train form (enabled or disabled), the URL query parameters that share an experiment and ``vae
info``. The rules that tie several settings together live in :mod:`vae.config.rules`; the defaults are
the dataclasses' own.

Knobs whose section is ``"encoder+decoder"`` set both networks; the ``decoder_*`` knobs then override
the decoder alone. A knob left at ``None`` keeps the value already in the configuration (for
``decoder_*``: the mirror of the encoder).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vae.config.datasets import DATASET_NAMES, KINDS
from vae.i18n import N_

ARCHS = ("mlp", "cnn", "resnet")  # encoder families
DECODER_ARCHS = ARCHS + ("pixelcnn",)  # pixelcnn: autoregressive, a decoder only (vae/models/pixelcnn.py)
SEQUENCE_ENCODERS = ("gru", "lstm", "transformer")  # read token sequences (vae/models/sequence.py)
SEQUENCE_DECODERS = ("gru", "lstm", "transformer", "mlp")  # autoregressive, except mlp: every step at once
AUTOREGRESSIVE_SEQUENCE_DECODERS = SEQUENCE_DECODERS[:3]
SERIES_ENCODERS = ("mlp", "cnn", *SEQUENCE_ENCODERS)  # the sequence networks: vae/models/series_sequence.py
SERIES_DECODERS = ("mlp", "cnn", "flow", "wavenet", *SEQUENCE_ENCODERS)  # after flow: autoregressive
MAX_ATTENTION_HEADS = 8  # an image network's self-attention block (vae/models/attention.py)
ATTENTION_ARCHS = ("cnn", "resnet")  # the image networks with a feature map for it to attend over
MAX_ATTENTION_CELLS = 256  # the most cells (16 x 16) an attention block's map may have: its weights grow as N^2
MAX_COUPLINGS = 16  # a flow decoder's affine couplings (vae/models/flow_decoder.py)
CAUSAL_CONV_DECODERS = ("pixelcnn", "wavenet")  # the autoregressive convolutions: a kernel, gates, a receptive field
POOLS = ("last", "mean")  # a recurrent encoder's summary of x: its last state, or the mean over the steps
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh")
NORMS = ("none", "batch", "layer")
INITS = ("default", "xavier", "he")
LIKELIHOODS = ("bernoulli", "gaussian", "categorical")
VARIANCES = ("fixed", "learned", "per-pixel")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear", "tanh")  # the Gaussian mean's output layer: mu = f(decoder output)
DATA_RANGES = {"0,1": (0.0, 1.0), "-1,1": (-1.0, 1.0)}  # the interval the likelihood sees the values scaled to
BINARIZATIONS = ("none", "dynamic")
OBJECTIVES = ("vae", "beta-tcvae", "factorvae")
POSTERIORS = ("gaussian", "planar", "iaf")  # q(z|x): a diagonal Gaussian, or one followed by flow steps
PRIORS = ("standard", "vamp", "flow")  # p(z): N(0, I), or the VampPrior's mixture of posteriors of pseudo-inputs
MAX_PSEUDO_INPUTS = 5000
MAX_FLOW_STEPS = 64
MAX_LATENT_DIM = 256
GROUPS = ("data", "latent", "encoder", "decoder", "likelihood", "objective", "optimization")

ALL_KINDS = frozenset(KINDS)
IMAGES = frozenset({"image"})
IMAGES_AND_SERIES = frozenset({"image", "series"})
TOKENS = frozenset({"tokens"})
SEQUENCES = frozenset({"tokens", "series"})  # what the gru, lstm and transformer networks read
SET = object()  # Needs(knob, SET): the other knob has a value (not None)


@dataclass(frozen=True)
class Needs:
    """A knob is in use only when knob ``knob`` holds one of ``values`` (or, with SET, any value)."""

    knob: str
    values: tuple[Any, ...]

    def __init__(self, knob: str, *values: Any):
        object.__setattr__(self, "knob", knob)
        object.__setattr__(self, "values", values)

    def holds(self, values: Mapping[str, Any]) -> bool:
        value = values.get(self.knob)
        return value is not None if self.values == (SET,) else value in self.values


@dataclass(frozen=True)
class Knob:
    name: str
    section: str  # "" (top level), a VAEConfig section, or "encoder+decoder"
    field: str
    type: type  # int, float, str or bool; for list knobs the element type
    help: str  # one line; the range is added where it is shown (never written into it)
    group: str  # the Train form's box, one of GROUPS
    label: str = ""  # the Train form's field label (its English is the knob's name, as in the URL and the flag)
    choices: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None
    is_list: bool = False
    optional: bool = False  # None is a valid value (e.g. capacity: off)
    kinds: frozenset[str] = ALL_KINDS  # the kinds of data whose networks read it
    when: Needs | None = None  # in use only when this holds (else the form shows it disabled)

    @property
    def dotted(self) -> str:
        """``objective.beta``-style path (``encoder.arch`` for shared knobs)."""
        sec = "encoder" if self.section == "encoder+decoder" else self.section
        return f"{sec}.{self.field}" if sec else self.field

    @property
    def flag(self) -> str:
        """The command line's flag, ``--free-bits`` (the URL parameter is the name itself)."""
        return "--" + self.name.replace("_", "-")

    @property
    def range_text(self) -> str:
        """``1..256`` for a numeric knob, ``""`` otherwise: what the CLI and the form add to the help."""
        if self.lo is None or self.type not in (int, float):
            return ""
        return f"{self.lo:g}..{self.hi:g}" if self.type is float else f"{int(self.lo)}..{int(self.hi)}"

    def in_use(self, values: Mapping[str, Any], kind: str) -> bool:
        """Whether the knob means anything for data of ``kind`` and the other knobs' ``values``."""
        return kind in self.kinds and (self.when is None or self.when.holds(values))


@dataclass(frozen=True)
class DecoderOverride:
    """``decoder_<base>``: the shared knob ``base`` on the decoder alone, with its type, range, choices and kinds."""

    base: str
    help: str
    label: str

    def knob(self, known: dict[str, Knob]) -> Knob:
        b = known[self.base]
        return dataclasses.replace(
            b,
            name=f"decoder_{self.base}",
            section="decoder",
            help=self.help,
            group="decoder",
            label=self.label,
            when=None,
        )


def _table(entries: list[Knob | DecoderOverride]) -> dict[str, Knob]:
    out: dict[str, Knob] = {}
    for e in entries:
        k = e.knob(out) if isinstance(e, DecoderOverride) else e
        out[k.name] = k
    return out


KNOBS: dict[str, Knob] = _table(
    [
        Knob(
            "dataset",
            "data",
            "name",
            str,
            N_("dataset name (see `python -m vae datasets`)"),
            "data",
            label=N_("dataset"),
            choices=DATASET_NAMES,
        ),
        Knob(
            "data_path",
            "data",
            "path",
            str,
            N_("your .npz or .zip file (with dataset npz or zip)"),
            "data",
            label=N_("data path"),
        ),
        Knob(
            "data_root",
            "data",
            "data_root",
            str,
            N_("folder holding torchvision datasets (default ~/.cache/vae-explorer/data or $VAE_DATA_ROOT)"),
            "data",
            label=N_("data root"),
        ),
        Knob(
            "binarize",
            "data",
            "binarize",
            str,
            N_("none: grey levels as Bernoulli probabilities; dynamic: resample x~Bernoulli(x) every epoch"),
            "data",
            label=N_("binarize"),
            choices=BINARIZATIONS,
            kinds=IMAGES,
            when=Needs("likelihood", "bernoulli"),
        ),
        Knob(
            "train_size",
            "data",
            "train_size",
            int,
            N_(
                "train on a fixed random subset of this many examples of the training split (0: all of it); the "
                "test split stays whole. A small one shows a wide network overfitting"
            ),
            "data",
            label=N_("training examples"),
            lo=0,
            hi=10_000_000,
        ),
        Knob(
            "sprites_size",
            "data",
            "size",
            int,
            N_("sprites: image side in pixels"),
            "data",
            label=N_("sprites size"),
            lo=8,
            hi=128,
            kinds=IMAGES,
            when=Needs("dataset", "sprites"),
        ),
        Knob(
            "sprites_num",
            "data",
            "num",
            int,
            N_("sprites: number of images; dsprites: how many of its 737,280 to use"),
            "data",
            label=N_("sprites num"),
            lo=100,
            hi=200_000,
            kinds=IMAGES,
            when=Needs("dataset", "sprites", "dsprites"),
        ),
        Knob(
            "latent_dim",
            "",
            "latent_dim",
            int,
            N_("size of z"),
            "latent",
            label=N_("latent dim"),
            lo=1,
            hi=MAX_LATENT_DIM,
        ),
        Knob(
            "posterior",
            "posterior",
            "name",
            str,
            N_("q(z|x): gaussian, or a Gaussian followed by planar or iaf (inverse autoregressive) flow steps"),
            "latent",
            label=N_("posterior"),
            choices=POSTERIORS,
        ),
        Knob(
            "flow_steps",
            "posterior",
            "flow_steps",
            int,
            N_("flow steps after the Gaussian (planar, iaf; 0 = the Gaussian itself)"),
            "latent",
            label=N_("flow steps"),
            lo=0,
            hi=MAX_FLOW_STEPS,
        ),
        Knob(
            "prior",
            "prior",
            "name",
            str,
            N_(
                "p(z): standard (N(0, I)), vamp (a mixture of the encoder's posteriors of learned pseudo-inputs) or "
                "flow (RealNVP couplings over N(0, I), learned)"
            ),
            "latent",
            label=N_("prior"),
            choices=PRIORS,
        ),
        Knob(
            "pseudo_inputs",
            "prior",
            "pseudo_inputs",
            int,
            N_("vamp: how many pseudo-inputs (mixture components) the prior learns"),
            "latent",
            label=N_("pseudo inputs"),
            lo=1,
            hi=MAX_PSEUDO_INPUTS,
            kinds=IMAGES_AND_SERIES,
        ),
        Knob(
            "prior_flow_steps",
            "prior",
            "flow_steps",
            int,
            N_("flow prior: how many affine coupling steps p(z) has"),
            "latent",
            label=N_("prior flow steps"),
            lo=1,
            hi=MAX_FLOW_STEPS,
            when=Needs("prior", "flow"),
        ),
        Knob(
            "iaf_hidden",
            "posterior",
            "iaf_hidden",
            int,
            N_("units of each IAF step's masked (MADE) layer"),
            "latent",
            label=N_("iaf hidden"),
            lo=1,
            hi=4096,
        ),
        Knob(
            "arch",
            "encoder+decoder",
            "arch",
            str,
            N_(
                "network family: mlp, cnn or resnet for images; gru, lstm or transformer for token sequences; mlp, "
                "cnn, gru, lstm or transformer for series"
            ),
            "encoder",
            label=N_("arch"),
            choices=ARCHS + SEQUENCE_ENCODERS,
        ),
        Knob(
            "hidden",
            "encoder+decoder",
            "hidden",
            int,
            N_("encoder layer widths (mlp) or channels per stride-2 stage (cnn/resnet); the decoder mirrors them"),
            "encoder",
            label=N_("hidden"),
            lo=1,
            hi=8192,
            is_list=True,
        ),
        Knob(
            "activation",
            "encoder+decoder",
            "activation",
            str,
            N_("relu, leaky_relu, elu, gelu, silu or tanh"),
            "encoder",
            label=N_("activation"),
            choices=ACTIVATIONS,
        ),
        Knob(
            "norm",
            "encoder+decoder",
            "norm",
            str,
            N_("none, batch or layer normalization"),
            "encoder",
            label=N_("norm"),
            choices=NORMS,
            kinds=IMAGES,
        ),
        Knob(
            "dropout",
            "encoder+decoder",
            "dropout",
            float,
            N_("dropout rate after each hidden layer"),
            "encoder",
            label=N_("dropout"),
            lo=0.0,
            hi=0.95,
        ),
        Knob(
            "init",
            "encoder+decoder",
            "init",
            str,
            N_(
                "weight initialization: default (PyTorch's), xavier (Glorot, gain 1: for tanh or sigmoid) or he "
                "(Kaiming, the ReLU gain sqrt 2 whatever the activation, tanh included: for ReLU layers)"
            ),
            "encoder",
            label=N_("init"),
            choices=INITS,
            kinds=IMAGES_AND_SERIES,
        ),
        Knob(
            "blocks",
            "encoder+decoder",
            "blocks",
            int,
            N_("resnet: residual blocks per stage"),
            "encoder",
            label=N_("blocks"),
            lo=1,
            hi=8,
            kinds=IMAGES,
            when=Needs("arch", "resnet"),
        ),
        Knob(
            "attention",
            "encoder+decoder",
            "attention",
            int,
            N_(
                "cnn, resnet: heads of a self-attention block over the coarsest feature map, each cell looking at "
                "every other (0: none)"
            ),
            "encoder",
            label=N_("attention heads (images)"),
            lo=0,
            hi=MAX_ATTENTION_HEADS,
            kinds=IMAGES,
            when=Needs("arch", *ATTENTION_ARCHS),
        ),
        Knob(
            "plain_blocks",
            "encoder+decoder",
            "plain",
            bool,
            N_(
                "resnet: the same blocks without their skip connections, a plain network of the same depth (to see "
                "what the skips do for the gradient flow)"
            ),
            "encoder",
            label=N_("plain blocks (no skips)"),
            kinds=IMAGES,
            when=Needs("arch", "resnet"),
        ),
        Knob(
            "decoder_arch",
            "decoder",
            "arch",
            str,
            N_(
                "decoder family, when it differs from the encoder's; flow (series): a 1-D CNN's Gaussian through "
                "affine couplings; pixelcnn (images), wavenet (series), gru, lstm and transformer (series and token "
                "sequences): autoregressive, strong decoders"
            ),
            "decoder",
            label=N_("decoder arch"),
            choices=DECODER_ARCHS + ("flow", "wavenet") + AUTOREGRESSIVE_SEQUENCE_DECODERS,
        ),
        DecoderOverride(
            "hidden",
            N_("decoder widths/channels in data-flow order (e.g. a stronger decoder)"),
            label=N_("decoder hidden"),
        ),
        DecoderOverride("activation", N_("decoder activation, when it differs"), label=N_("decoder activation")),
        DecoderOverride("norm", N_("decoder normalization, when it differs"), label=N_("decoder norm")),
        DecoderOverride("dropout", N_("decoder dropout rate, when it differs"), label=N_("decoder dropout")),
        DecoderOverride("init", N_("decoder initialization, when it differs"), label=N_("decoder init")),
        DecoderOverride(
            "blocks", N_("resnet decoder: residual blocks per stage, when it differs"), label=N_("decoder blocks")
        ),
        DecoderOverride(
            "attention",
            N_("cnn, resnet decoder: heads of its self-attention block, when it differs (0: none)"),
            label=N_("decoder attention heads"),
        ),
        Knob(
            "decoder_kernel",
            "decoder",
            "kernel",
            int,
            N_(
                "pixelcnn: masked convolution size (odd); wavenet: causal convolution size (2 or more); with the "
                "layers, it sets the receptive field"
            ),
            "decoder",
            label=N_("decoder kernel"),
            lo=1,
            hi=9,
            kinds=IMAGES_AND_SERIES,
            when=Needs("decoder_arch", *CAUSAL_CONV_DECODERS),
        ),
        Knob(
            "decoder_couplings",
            "decoder",
            "couplings",
            int,
            N_("flow decoder: affine coupling steps over the series, each conditioned on z"),
            "decoder",
            label=N_("decoder couplings"),
            lo=1,
            hi=MAX_COUPLINGS,
            kinds=frozenset({"series"}),
            when=Needs("decoder_arch", "flow"),
        ),
        Knob(
            "decoder_gated",
            "decoder",
            "gated",
            bool,
            N_("pixelcnn, wavenet: gated activations tanh(a) * sigmoid(b)"),
            "decoder",
            label=N_("decoder gated"),
            kinds=IMAGES_AND_SERIES,
            when=Needs("decoder_arch", *CAUSAL_CONV_DECODERS),
        ),
        Knob(
            "embedding",  # not "embed": a Streamlit page reserves that query parameter
            "encoder+decoder",
            "embed",
            int,
            N_("sequences: width of the token embeddings"),
            "encoder",
            label=N_("embedding width"),
            lo=2,
            hi=1024,
            kinds=TOKENS,
        ),
        Knob(
            "bidirectional",
            "encoder",
            "bidirectional",
            bool,
            N_("gru, lstm encoder: read the sequence in both directions"),
            "encoder",
            label=N_("bidirectional"),
            kinds=SEQUENCES,
            when=Needs("arch", "gru", "lstm"),
        ),
        Knob(
            "pool",
            "encoder",
            "pool",
            str,
            N_("gru, lstm encoder: summarise x by the last state or the mean over the steps"),
            "encoder",
            label=N_("pooling"),
            choices=POOLS,
            kinds=SEQUENCES,
            when=Needs("arch", "gru", "lstm"),
        ),
        Knob(
            "heads",
            "encoder+decoder",
            "heads",
            int,
            N_("transformer: attention heads"),
            "encoder",
            label=N_("attention heads"),
            lo=1,
            hi=16,
            kinds=SEQUENCES,
        ),
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
            label=N_("word dropout"),
            lo=0.0,
            hi=1.0,
            kinds=TOKENS,
        ),
        Knob(
            "z_every_step",
            "decoder",
            "z_every_step",
            bool,
            N_("gru, lstm decoder: z joins the input of every step, not only the initial state"),
            "decoder",
            label=N_("z at every step"),
            kinds=SEQUENCES,
        ),
        Knob(
            "likelihood",
            "likelihood",
            "name",
            str,
            N_("p(x|z): bernoulli, gaussian or categorical"),
            "likelihood",
            label=N_("likelihood"),
            choices=LIKELIHOODS,
        ),
        Knob(
            "variance",
            "likelihood",
            "variance",
            str,
            N_("gaussian variance: fixed, learned or per-pixel"),
            "likelihood",
            label=N_("variance"),
            choices=VARIANCES,
            kinds=IMAGES_AND_SERIES,
            when=Needs("likelihood", "gaussian"),
        ),
        Knob(
            "sigma",
            "likelihood",
            "sigma",
            float,
            N_("gaussian: the fixed standard deviation (initial value when learned)"),
            "likelihood",
            label=N_("sigma"),
            lo=0.001,
            hi=10.0,
            kinds=IMAGES_AND_SERIES,
            when=Needs("likelihood", "gaussian"),
        ),
        Knob(
            "output_activation",
            "likelihood",
            "output",
            str,
            N_("gaussian: the mean's output layer, mu = sigmoid(out) in (0, 1), tanh(out) in (-1, 1) or out itself"),
            "likelihood",
            label=N_("output activation"),
            choices=OUTPUT_ACTIVATIONS,
            kinds=IMAGES_AND_SERIES,
            when=Needs("likelihood", "gaussian"),
        ),
        Knob(
            "data_range",
            "likelihood",
            "data_range",
            str,
            N_("the interval the values are scaled to for the model: 0,1 or -1,1 (pictures are drawn back from it)"),
            "likelihood",
            label=N_("data range"),
            choices=tuple(DATA_RANGES),
            kinds=IMAGES_AND_SERIES,
        ),
        Knob(
            "bins",
            "likelihood",
            "bins",
            int,
            N_("categorical: grey levels per pixel"),
            "likelihood",
            label=N_("bins"),
            lo=2,
            hi=256,
            kinds=IMAGES,
            when=Needs("likelihood", "categorical"),
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
            label=N_("objective"),
            choices=OBJECTIVES,
        ),
        Knob(
            "beta",
            "objective",
            "beta",
            float,
            N_("weight of the KL term (vae, factorvae); of the total correlation (beta-tcvae)"),
            "objective",
            label=N_("beta"),
            lo=0.0,
            hi=10000,
        ),
        Knob(
            "alpha",
            "objective",
            "alpha",
            float,
            N_("beta-tcvae: weight of the index-code mutual information"),
            "objective",
            label=N_("alpha"),
            lo=0.0,
            hi=10000,
            when=Needs("objective", "beta-tcvae"),
        ),
        Knob(
            "gamma",
            "objective",
            "gamma",
            float,
            N_("beta-tcvae: weight of the dimension-wise KL"),
            "objective",
            label=N_("gamma"),
            lo=0.0,
            hi=10000,
            when=Needs("objective", "beta-tcvae"),
        ),
        Knob(
            "factorvae_gamma",
            "objective",
            "factorvae_gamma",
            float,
            N_("factorvae: weight of the total correlation estimated by the discriminator"),
            "objective",
            label=N_("factorvae gamma"),
            lo=0.0,
            hi=10000,
            when=Needs("objective", "factorvae"),
        ),
        Knob(
            "kl_warmup",
            "objective",
            "kl_warmup",
            float,
            N_("epochs over which the KL weight rises linearly from 0 to beta"),
            "objective",
            label=N_("kl warmup"),
            lo=0.0,
            hi=1e06,
        ),
        Knob(
            "free_bits",
            "objective",
            "free_bits",
            float,
            N_("per-dimension KL floor lambda in nats (0 = off)"),
            "objective",
            label=N_("free bits"),
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
            label=N_("capacity"),
            lo=0.0,
            hi=10000,
            optional=True,
        ),
        Knob(
            "capacity_gamma",
            "objective",
            "capacity_gamma",
            float,
            N_("capacity annealing: gamma"),
            "objective",
            label=N_("capacity gamma"),
            lo=0.0,
            hi=1e06,
            when=Needs("capacity", SET),
        ),
        Knob(
            "capacity_epochs",
            "objective",
            "capacity_epochs",
            float,
            N_("capacity annealing: epochs for C to reach C_max (empty = all of training)"),
            "objective",
            label=N_("capacity epochs"),
            lo=0.0,
            hi=1e06,
            optional=True,
            when=Needs("capacity", SET),
        ),
        Knob(
            "epochs",
            "train",
            "epochs",
            int,
            N_("training epochs"),
            "optimization",
            label=N_("epochs"),
            lo=1,
            hi=100_000,
        ),
        Knob(
            "batch_size",
            "train",
            "batch_size",
            int,
            N_("mini-batch size"),
            "optimization",
            label=N_("batch size"),
            lo=1,
            hi=65_536,
        ),
        Knob("lr", "train", "lr", float, N_("Adam learning rate"), "optimization", label=N_("lr"), lo=1e-08, hi=10.0),
        Knob(
            "weight_decay",
            "train",
            "weight_decay",
            float,
            N_("decoupled weight decay (AdamW)"),
            "optimization",
            label=N_("weight decay"),
            lo=0.0,
            hi=10.0,
        ),
        Knob(
            "early_stopping",
            "train",
            "early_stopping",
            bool,
            N_(
                "hold out a tenth of the training split; keep the epoch with the best held-out -ELBO, and stop after "
                "patience epochs without a better one (the test split is never looked at)"
            ),
            "optimization",
            label=N_("early stopping"),
        ),
        Knob(
            "patience",
            "train",
            "patience",
            int,
            N_(
                "early stopping: epochs without a better held-out -ELBO before training stops (raise it where an "
                "epoch is a few steps, on a small training set)"
            ),
            "optimization",
            label=N_("patience"),
            lo=1,
            hi=100_000,
            when=Needs("early_stopping", True),
        ),
        Knob(
            "seed",
            "train",
            "seed",
            int,
            N_("random seed (runs are reproducible on the CPU)"),
            "optimization",
            label=N_("seed"),
            lo=0,
            hi=2**53 - 1,
        ),
        Knob(
            "device",
            "train",
            "device",
            str,
            N_("auto (CUDA when present), cpu, cuda, cuda:N"),
            "optimization",
            label=N_("device"),
        ),
    ]
)
