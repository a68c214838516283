"""What kind of observation x is: its shape, the networks and likelihoods that apply, how a
batch is cut, how an example is shown and how far apart two examples are.

Everything on the latent side (traversals, interpolation, projections, the collapse
diagnostics, the disentanglement metrics) works on codes z and never asks what x is;
what does ask goes through a modality:

    image   x: (C, H, W) floats in [0, 1]
            encoders  mlp, cnn, resnet       decoders  mlp, cnn, resnet, pixelcnn (autoregressive)
            p(x|z)    bernoulli, gaussian, categorical (per pixel)
            shown as  a grey or RGB picture  distance  Euclidean over pixels
    tokens  x: (L,) token ids: the characters, then END, then PAD up to length L
            encoders  gru, lstm, transformer decoders  gru, lstm (autoregressive), mlp (all at once)
            p(x|z)    categorical over the vocabulary at every step up to END (PAD is not scored)
            shown as  a string               distance  the number of positions that differ
    series  x: (C, L) real values in [0, 1], C channels of L steps
            encoders  mlp, cnn (1-D), gru, lstm, transformer
            decoders  mlp, cnn (1-D transposed convolutions), flow (the cnn's Gaussian through couplings),
                      wavenet, gru, lstm, transformer (autoregressive)
            p(x|z)    gaussian (fixed, learned or per-step variance)
            shown as  curves                 distance  Euclidean over the steps
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vae.config import (
    ARCHS,
    DECODER_ARCHS,
    LIKELIHOODS,
    SEQUENCE_DECODERS,
    SEQUENCE_ENCODERS,
    SERIES_DECODERS,
    SERIES_ENCODERS,
)
from vae.config.knobs import MAX_ATTENTION_CELLS
from vae.errors import ConfigError
from vae.i18n import N_


class Modality:
    """The interface every kind of observation offers (see the module docstring)."""

    kind: str = ""
    encoder_families: tuple[str, ...] = ()
    decoder_families: tuple[str, ...] = ()
    likelihoods: tuple[str, ...] = ()
    textual = False  # an example is read and shown as text (``show`` gives strings): pages print, not draw
    drawable = False  # a reader can draw one with the mouse (the canvas of ui/drawing.py)
    flops_on_meta = True  # its networks can be counted on PyTorch's meta device (no storage)
    form_defaults: dict[str, Any] = {}  # the settings the Train form switches to for this kind (empty: its own)

    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(int(s) for s in shape)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.shape == other.shape

    def __hash__(self) -> int:
        return hash((self.kind, self.shape))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.shape})"

    @property
    def numel(self) -> int:
        """Values in one example."""
        return int(np.prod(self.shape))

    def check(self, config) -> None:
        """Refuse a configuration whose networks or likelihood do not apply to this kind of data."""
        for which, arch, allowed in (
            ("encoder", config.encoder.arch, self.encoder_families),
            ("decoder", config.decoder.arch, self.decoder_families),
        ):
            if arch not in allowed:
                raise ConfigError(
                    N_("{which}.arch={arch!r} does not read {kind} data; choose one of {value}"),
                    which=which,
                    arch=arch,
                    kind=self.kind,
                    value=", ".join(allowed),
                )
        if config.likelihood.name not in self.likelihoods:
            raise ConfigError(
                N_("likelihood {name!r} is not defined for {kind} data; choose one of {value}"),
                name=config.likelihood.name,
                kind=self.kind,
                value=", ".join(self.likelihoods),
            )

    def batch(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """The examples ``index`` of ``x``, ready for the encoder."""
        return x[index]

    def example_batch(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n made-up examples of the largest size (what a cost estimate times): uniform values in [0, 1]."""
        return torch.rand(n, *self.shape, generator=generator)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "shape": list(self.shape)}

    error_name = N_("mean squared error")  # what :meth:`errors` measures, as a page names it

    def errors(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """How far each example of ``b`` is from the same example of ``a`` (N, ...): (N,) (here the mean squared
        difference over its values)."""
        return ((np.asarray(b, np.float64) - np.asarray(a, np.float64)) ** 2).reshape(len(a), -1).mean(1)

    def hover_text(self, x) -> list[str] | None:
        """What a point of the latent map says about its example under the pointer (None: nothing more than
        its index and label; a picture does not fit in a tooltip)."""
        return None

    def as_input(self, x) -> torch.Tensor:
        """One example (its shape) as a batch of one for the encoder, of the dtype the networks read."""
        return torch.as_tensor(np.asarray(x, dtype=np.float32))[None]

    def clip(self, x: torch.Tensor) -> torch.Tensor:
        """A decoded mean E[x|z] held to the data's range: real values in [0, 1]."""
        return x.clamp(0, 1)


MAX_IMAGE_SIDE = 4096


class Image(Modality):
    """Pictures (C, H, W) with values in [0, 1]: grey (C = 1) or RGB (C = 3)."""

    kind = "image"
    error_name = N_("mean squared pixel error")
    encoder_families = tuple(ARCHS)
    decoder_families = tuple(DECODER_ARCHS)
    likelihoods = tuple(LIKELIHOODS)
    drawable = True

    def __init__(self, shape: tuple[int, ...]):
        super().__init__(shape)
        if len(self.shape) != 3 or not all(0 < s <= MAX_IMAGE_SIDE for s in self.shape):
            raise ConfigError(
                N_("an image is shaped (C, H, W) of 1 to {most} each; got {shape}"), most=MAX_IMAGE_SIDE, shape=shape
            )

    def check(self, config) -> None:
        """The families apply; an attention block's map has at most MAX_ATTENTION_CELLS cells: its weights grow
        as the square of them (vae/models/attention.py), and a checkpoint's settings must not make the server
        allocate that."""
        super().check(config)
        _, h, w = self.shape
        for which, net in (("encoder", config.encoder), ("decoder", config.decoder)):
            cells = (h >> len(net.hidden)) * (w >> len(net.hidden))
            if net.attention and cells > MAX_ATTENTION_CELLS:
                raise ConfigError(
                    N_(
                        "{which}.attention: its map would have {cells} cells ({h} x {w} pictures after {stages} "
                        "stride-2 stages), over the {most} an attention block may read; add stages to its hidden "
                        "channels"
                    ),
                    which=which,
                    cells=cells,
                    h=h,
                    w=w,
                    stages=len(net.hidden),
                    most=MAX_ATTENTION_CELLS,
                )

    @staticmethod
    def show(x: np.ndarray) -> np.ndarray:
        """(..., C, H, W) in [0, 1] -> (..., H, W) grey or (..., H, W, 3) RGB uint8, as a picture is drawn."""
        a = np.clip(np.round(np.asarray(x) * 255), 0, 255).astype(np.uint8)
        if a.shape[-3] == 1:
            return a[..., 0, :, :]
        return np.moveaxis(a, -3, -1)

    @staticmethod
    def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Euclidean distance over pixels between every row of ``a`` (N, ...) and of ``b`` (M, ...): (N, M)."""
        return torch.cdist(a.flatten(1).float(), b.flatten(1).float())


PAD, END, UNK = 0, 1, 2  # the special tokens of every vocabulary, before its characters
SPECIALS = ("<pad>", "<end>", "<unk>")
MAX_VOCAB, MAX_LENGTH = 512, 256


class Tokens(Modality):
    """Sequences of tokens (characters), (L,) integer ids: the sequence, then END, then PAD to length L.

    ``vocab[i]`` is the text of token i; the first three are PAD, END and UNK. An autoregressive decoder
    starts from END as its "beginning of sequence" input (the token before the first one). Only the steps
    up to and including END are scored: what follows is padding.
    """

    kind = "tokens"
    encoder_families = SEQUENCE_ENCODERS
    decoder_families = SEQUENCE_DECODERS
    likelihoods = ("categorical",)
    textual = True
    flops_on_meta = False  # packed sequences need their lengths on the CPU
    form_defaults = {
        "arch": "gru",
        "decoder_arch": None,
        "likelihood": "categorical",
        "binarize": "none",
        "prior": "standard",
    }

    def __init__(self, shape: tuple[int, ...], vocab: list[str]):
        super().__init__(shape)
        if len(self.shape) != 1 or not 2 <= self.shape[0] <= MAX_LENGTH:
            raise ConfigError(
                N_("a token sequence is shaped (L,) with 2 <= L <= {most}; got {shape}"),
                most=MAX_LENGTH,
                shape=self.shape,
            )
        vocab = list(vocab)
        if (
            tuple(vocab[:3]) != SPECIALS
            or not 4 <= len(vocab) <= MAX_VOCAB
            or not all(isinstance(t, str) for t in vocab)
            or len(set(vocab)) != len(vocab)
        ):
            raise ConfigError(
                N_("a vocabulary is {specials} then 1 to {most} distinct characters; got {count} entries"),
                specials=", ".join(SPECIALS),
                most=MAX_VOCAB - 3,
                count=len(vocab),
            )
        self.vocab = vocab
        self.index = {t: i for i, t in enumerate(vocab)}

    @property
    def length(self) -> int:
        return self.shape[0]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __eq__(self, other) -> bool:
        return super().__eq__(other) and self.vocab == other.vocab

    def __hash__(self) -> int:
        return hash((self.kind, self.shape, tuple(self.vocab)))

    def check(self, config) -> None:
        """The families apply; the VampPrior's pseudo-inputs are continuous and tokens are not."""
        super().check(config)
        if config.prior.name == "vamp":
            raise ConfigError(
                N_("the VampPrior learns continuous pseudo-inputs, which token sequences are not: use prior standard")
            )
        if config.data.binarize != "none":
            raise ConfigError(N_("data.binarize applies to images; set it to 'none' for token sequences"))

    def encode(self, texts: list[str]) -> torch.Tensor:
        """Strings -> (N, L) ids: each character's id (UNK when not in the vocabulary), END, PAD. A string
        longer than L - 1 characters is refused (its END would not fit)."""
        x = torch.full((len(texts), self.length), PAD, dtype=torch.long)
        for i, t in enumerate(texts):
            if len(t) > self.length - 1:
                raise ConfigError(
                    N_("{text!r} has {n} characters; this model reads at most {most}"),
                    text=t if len(t) <= 40 else t[:40] + "...",  # a message quotes a short prefix, never all of it
                    n=len(t),
                    most=self.length - 1,
                )
            ids = [self.index.get(c, UNK) for c in t] + [END]
            x[i, : len(ids)] = torch.tensor(ids)
        return x

    def show(self, x) -> list[str] | str:
        """(..., L) ids -> the strings they spell, up to the first END (UNK shows as '?')."""
        a = np.asarray(x)
        if a.ndim == 1:
            out = []
            for t in a.tolist():
                if t in (END, PAD):
                    break
                out.append("?" if t == UNK or t >= len(self.vocab) else self.vocab[t])
            return "".join(out)
        return [self.show(row) for row in a]

    def example_batch(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n made-up sequences of the longest length: random characters, then END in the last place."""
        x = torch.randint(len(SPECIALS), self.vocab_size, (n, self.length), generator=generator)
        x[:, -1] = END
        return x

    @staticmethod
    def mask(x: torch.Tensor) -> torch.Tensor:
        """(B, L) True at the scored steps: every token up to and including the first END."""
        ended_before = torch.cumsum((x == END).long(), 1) - (x == END).long()  # ENDs strictly before t
        return (ended_before == 0) & (x != PAD)

    @staticmethod
    def lengths(x: torch.Tensor) -> torch.Tensor:
        """(B,) scored steps per sequence (its characters and END)."""
        return Tokens.mask(x).sum(1)

    @staticmethod
    def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """How many positions differ between every row of ``a`` (N, L) and of ``b`` (M, L): (N, M)."""
        return (a.unsqueeze(1) != b.unsqueeze(0)).sum(-1).float()

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "vocab": self.vocab}

    error_name = N_("positions that differ")

    def errors(self, a, b) -> np.ndarray:
        """How many positions (characters, END, padding) differ between each pair of sequences (N, L): (N,)."""
        return (np.asarray(a) != np.asarray(b)).sum(-1).astype(np.float64)

    def hover_text(self, x) -> list[str]:
        """The text of each sequence (N, L)."""
        return self.show(np.asarray(x))

    def as_input(self, x) -> torch.Tensor:
        """One sequence (L,) of ids as a batch of one."""
        return torch.as_tensor(np.asarray(x, dtype=np.int64))[None]

    def clip(self, x: torch.Tensor) -> torch.Tensor:
        """Token ids are in range by construction."""
        return x


class Series(Modality):
    """Real-valued series (C, L): C channels of L steps, values in [0, 1] (``waves``)."""

    kind = "series"
    encoder_families = SERIES_ENCODERS
    decoder_families = SERIES_DECODERS
    likelihoods = ("gaussian",)
    flops_on_meta = False
    form_defaults = {"arch": "mlp", "decoder_arch": None, "likelihood": "gaussian", "binarize": "none"}

    def __init__(self, shape: tuple[int, ...]):
        super().__init__(shape)
        if len(self.shape) != 2 or not 1 <= self.shape[0] <= 16 or not 4 <= self.shape[1] <= 4096:
            raise ConfigError(
                N_("a series is shaped (C, L) with 1 to 16 channels of 4 to 4096 steps; got {shape}"), shape=self.shape
            )

    @property
    def length(self) -> int:
        return self.shape[1]

    def check(self, config) -> None:
        """The families apply; a 1-D convolution (a flow decoder's base too) halves L at each stage, so L must
        allow it."""
        super().check(config)
        for which, net in (("encoder", config.encoder), ("decoder", config.decoder)):
            if net.arch in ("cnn", "flow") and self.length % (2 ** len(net.hidden)):
                raise ConfigError(
                    N_(
                        "{which}: {stages} stride-2 stages need a length divisible by {n}; "
                        "this series has {length} steps"
                    ),
                    which=which,
                    stages=len(net.hidden),
                    n=2 ** len(net.hidden),
                    length=self.length,
                )
        if config.encoder.attention or config.decoder.attention:
            raise ConfigError(
                N_("attention blocks are for image networks; for attention over a series' steps use arch transformer")
            )
        if config.data.binarize != "none":
            raise ConfigError(N_("data.binarize applies to images; set it to 'none' for series"))

    @staticmethod
    def show(x) -> np.ndarray:
        """Series are drawn as curves: the values themselves, (..., C, L)."""
        return np.asarray(x, dtype=np.float32)

    @staticmethod
    def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Euclidean distance over the steps between every row of ``a`` (N, C, L) and of ``b`` (M, C, L): (N, M)."""
        return torch.cdist(a.flatten(1).float(), b.flatten(1).float())


MODALITIES = {m.kind: m for m in (Image, Tokens, Series)}


def as_modality(what: Modality | tuple[int, ...]) -> Modality:
    """A modality as it is, or a shape of real values as one: (C, L) a :class:`Series`, (C, H, W) an
    :class:`Image` (token sequences need their vocabulary: they are always given as a :class:`Tokens`)."""
    if isinstance(what, Modality):
        return what
    return Series(what) if len(what) == 2 else Image(what)


def modality_from_json(meta: dict[str, Any]) -> Modality:
    """The modality a checkpoint's metadata records: ``{"kind", "shape"}`` (and ``vocab`` for tokens); older
    files hold only ``image_shape``."""
    spec = meta.get("modality")
    if spec is None:
        return Image(meta["image_shape"])
    if not isinstance(spec, dict) or spec.get("kind") not in MODALITIES or not isinstance(spec.get("shape"), list):
        raise ConfigError(N_("unknown modality {spec!r}; known: {value}"), spec=spec, value=", ".join(MODALITIES))
    if spec["kind"] == "tokens":
        vocab = spec.get("vocab")
        if not isinstance(vocab, list):
            raise ConfigError(N_("a tokens modality needs its vocabulary; got {spec!r}"), spec=spec)
        return Tokens(spec["shape"], vocab)
    if spec["kind"] == "series":
        return Series(spec["shape"])
    return Image(spec["shape"])
