"""What kind of observation x is: its shape, the networks and likelihoods that apply, how a
batch is cut, how an example is shown and how far apart two examples are.

Everything on the latent side (traversals, interpolation, projections, the collapse
diagnostics, the disentanglement metrics) works on codes z and never asks what x is;
what does ask goes through a modality. Today there is one, the image:

    x: (C, H, W) floats in [0, 1]
    encoders  mlp, cnn, resnet            decoders  mlp, cnn, resnet, pixelcnn (autoregressive)
    p(x|z)    bernoulli, gaussian, categorical (per pixel)
    shown as  a grey or RGB picture       distance  Euclidean over pixels

A sequence modality (tokens, real-valued series) adds padding and masks to ``batch``,
its own families, and a string or a curve to ``show``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vae.config import ARCHS, DECODER_ARCHS, LIKELIHOODS
from vae.errors import ConfigError
from vae.i18n import N_


class Modality:
    """The interface every kind of observation offers (see the module docstring)."""

    kind: str = ""
    encoder_families: tuple[str, ...] = ()
    decoder_families: tuple[str, ...] = ()
    likelihoods: tuple[str, ...] = ()

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

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "shape": list(self.shape)}


class Image(Modality):
    """Pictures (C, H, W) with values in [0, 1]: grey (C = 1) or RGB (C = 3)."""

    kind = "image"
    encoder_families = tuple(ARCHS)
    decoder_families = tuple(DECODER_ARCHS)
    likelihoods = tuple(LIKELIHOODS)

    def __init__(self, shape: tuple[int, ...]):
        super().__init__(shape)
        if len(self.shape) != 3:
            raise ConfigError(N_("an image is shaped (C, H, W); got {shape}"), shape=self.shape)

    def check(self, config) -> None:
        """The families apply, and an autoregressive pixelcnn decoder gets grey images: the order of the
        R, G and B values inside a pixel is not modelled."""
        super().check(config)
        if config.decoder.arch == "pixelcnn" and self.shape[0] != 1:
            raise ConfigError(
                N_(
                    "the pixelcnn decoder models grey images (1 channel); these images have {value} channels and the "
                    "R->G->B order inside a pixel is not implemented: use a cnn or resnet decoder"
                ),
                value=self.shape[0],
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


MODALITIES = {m.kind: m for m in (Image,)}


def modality_from_json(meta: dict[str, Any]) -> Modality:
    """The modality a checkpoint's metadata records: ``{"kind", "shape"}``; older files hold only
    ``image_shape``."""
    spec = meta.get("modality")
    if spec is None:
        return Image(meta["image_shape"])
    if not isinstance(spec, dict) or spec.get("kind") not in MODALITIES or not isinstance(spec.get("shape"), list):
        raise ConfigError(N_("unknown modality {spec!r}; known: {value}"), spec=spec, value=", ".join(MODALITIES))
    return MODALITIES[spec["kind"]](spec["shape"])
