"""Encoder and decoder networks: MLP, CNN and ResNet, for any image size.

An encoder maps x of shape (B, C, H, W) to a feature vector (B, F); the model puts
the Gaussian heads mu(x) and log sigma^2(x) on top. A decoder maps z (B, D) to the
parameters of p(x|z), shaped (B, P*C, H, W) where P is the number of parameters per
pixel the likelihood needs.

CNN and ResNet stages halve the resolution with 4x4 stride-2 convolutions
(s -> floor(s/2)); their decoders undo that with 4x4 stride-2 transposed
convolutions whose ``output_padding`` restores odd sizes exactly (7 -> 14 -> 28, or
3 -> 7), so nothing is tied to 28x28. ``attention`` heads add a self-attention block at the
coarsest map of either (vae/models/attention.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from vae.config import NetworkConfig
from vae.errors import ConfigError
from vae.i18n import N_
from vae.models.attention import SelfAttention2d

LEAKY_SLOPE = 0.2
ACTIVATIONS = {  # the activation knob's values and the modules they make
    "relu": nn.ReLU,
    "leaky_relu": partial(nn.LeakyReLU, LEAKY_SLOPE),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}
ACTIVATION_TYPES = tuple(getattr(a, "func", a) for a in ACTIVATIONS.values())


def make_activation(name: str) -> nn.Module:
    return ACTIVATIONS[name]()


NORM_TYPES = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)  # what make_norm makes


def make_norm(name: str, n: int, conv: bool) -> nn.Module:
    """batch -> BatchNorm; layer -> LayerNorm (GroupNorm with one group for feature maps)."""
    if name == "batch":
        return nn.BatchNorm2d(n) if conv else nn.BatchNorm1d(n)
    if name == "layer":
        return nn.GroupNorm(1, n) if conv else nn.LayerNorm(n)
    return nn.Identity()


MAX_LAYER_PARAMETERS = 100_000_000


def linear(n_in: int, n_out: int) -> nn.Linear:
    """nn.Linear, refused before allocation when it would be unreasonably large."""
    if n_in * n_out > MAX_LAYER_PARAMETERS:
        raise ConfigError(
            N_(
                "a {n_in} x {n_out} linear layer would have {value:.0f}M weights (limit {value2:.0f}M); use smaller "
                "layers, fewer categorical bins or a convolutional network"
            ),
            n_in=n_in,
            n_out=n_out,
            value=n_in * n_out / 1e6,
            value2=MAX_LAYER_PARAMETERS / 1e6,
        )
    return nn.Linear(n_in, n_out)


def _block(cfg: NetworkConfig, layer: nn.Module, n_out: int, conv: bool) -> list[nn.Module]:
    """layer -> norm -> activation -> dropout."""
    mods = (
        [layer] + ([make_norm(cfg.norm, n_out, conv)] if cfg.norm != "none" else []) + [make_activation(cfg.activation)]
    )
    if cfg.dropout > 0:
        mods.append(nn.Dropout(cfg.dropout))
    return mods


def stage_sizes(side: int, n_stages: int, what: str) -> list[int]:
    """Spatial side after each stride-2 stage: [s, s//2, s//4, ...]."""
    sizes = [side]
    for _ in range(n_stages):
        sizes.append(sizes[-1] // 2)
    if sizes[-1] < 1:
        raise ConfigError(
            N_(
                "{what}: {n_stages} stride-2 stages need images of at least {value} pixels a side, these are {side}; "
                "use fewer stages"
            ),
            what=what,
            n_stages=n_stages,
            value=2**n_stages,
            side=side,
        )
    return sizes


class ResidualBlock(nn.Module):
    """y = act(x + conv(act(norm(conv(x)))))  -- two 3x3 convolutions and a skip; ``plain``: y = act(conv(...)),
    the same layers without the skip (a plain network of the same depth)."""

    def __init__(self, ch: int, cfg: NetworkConfig):
        super().__init__()
        self.skip = not cfg.plain
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, padding=1),
            make_norm(cfg.norm, ch, True),
            make_activation(cfg.activation),
            nn.Conv2d(ch, ch, 3, padding=1),
            make_norm(cfg.norm, ch, True),
        )
        self.act = make_activation(cfg.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x) if self.skip else self.body(x))


class Encoder(nn.Module):
    """x (B, C, H, W) -> features (B, out_features)."""

    def __init__(self, cfg: NetworkConfig, x_shape: tuple[int, int, int]):
        super().__init__()
        c, h, w = x_shape
        layers: list[nn.Module] = []
        if cfg.arch == "mlp":
            layers.append(nn.Flatten())
            n_in = c * h * w
            for n in cfg.hidden:
                layers += _block(cfg, linear(n_in, n), n, conv=False)
                n_in = n
            self.out_features = n_in
        else:
            hs = stage_sizes(h, len(cfg.hidden), "encoder")
            ws = stage_sizes(w, len(cfg.hidden), "encoder")
            ch = c
            if cfg.arch == "resnet":
                layers += _block(cfg, nn.Conv2d(c, cfg.hidden[0], 3, padding=1), cfg.hidden[0], conv=True)
                ch = cfg.hidden[0]
            for n in cfg.hidden:
                layers += _block(cfg, nn.Conv2d(ch, n, 4, stride=2, padding=1), n, conv=True)
                if cfg.arch == "resnet":
                    layers += [ResidualBlock(n, cfg) for _ in range(cfg.blocks)]
                ch = n
            if cfg.attention:  # every cell of the last stage's map reads every other (vae/models/attention.py)
                layers.append(SelfAttention2d(ch, cfg.attention, (hs[-1], ws[-1])))
            layers.append(nn.Flatten())
            self.out_features = ch * hs[-1] * ws[-1]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class DecoderNet(nn.Module):
    """What the model asks of every decoder of p(x|z), whatever x is:

    forward(z)        the likelihood's parameters for all of x at once (``autoregressive`` False), or
    forward(z, x)     for each part of x given z and the parts before it, by teacher forcing (True)
    sample(z, likelihood, generator, temperature, top_k, **progress)    a draw x ~ p(x|z), (B, *x_shape)
    mean(z, likelihood)    E[x|z] decoded (an autoregressive decoder, with none in closed form: a stand-in)
    log_prob(z, x, likelihood)    log p(x|z) (B,): the likelihood of forward's parameters, or a flow's density
    output_numel      floats of its output per example; ``work_numel`` at its peak (IWAE chunks by it)
    pixel_by_pixel    drawing one example takes a network pass per pixel (the pages draw fewer)
    """

    autoregressive = False
    pixel_by_pixel = False
    scores_itself = False  # log p(x|z) is its own (a flow's density), not the likelihood's of its output
    output_numel = 0
    work_numel = 0

    def sample(self, z, likelihood, generator=None, temperature=1.0, top_k=0, **_progress) -> torch.Tensor:
        """All of x at once: the likelihood's draw from forward(z)."""
        return likelihood.sample(self(z), generator, temperature, top_k)

    def mean(self, z: torch.Tensor, likelihood) -> torch.Tensor:
        """The likelihood's mean of forward(z)."""
        return likelihood.mean(self(z))

    def log_prob(self, z: torch.Tensor, x: torch.Tensor, likelihood) -> torch.Tensor:
        """log p(x|z) (B,): the likelihood of x under forward(z), or forward(z, x) by teacher forcing."""
        return likelihood.log_prob(self(z, x) if self.autoregressive else self(z), x)


@dataclass
class Networks:
    """What a kind of data builds for a model: its encoder q's trunk, its likelihood p(x|z), and its decoder,
    built when the model calls ``decoder()`` (an image decoder is built after the heads, the prior and the
    flow, so that a seed gives the initial weights it always has)."""

    encoder: nn.Module
    likelihood: nn.Module
    decoder: Callable[[], DecoderNet]


class Decoder(DecoderNet):
    """z (B, D) -> likelihood parameters (B, out_channels, H, W)."""

    def __init__(self, cfg: NetworkConfig, latent_dim: int, x_shape: tuple[int, int, int], out_channels: int):
        super().__init__()
        _, h, w = x_shape
        self.out_shape = (out_channels, h, w)
        self.output_numel = out_channels * h * w
        layers: list[nn.Module] = []
        if cfg.arch == "mlp":
            n_in = latent_dim
            for n in cfg.hidden:
                layers += _block(cfg, linear(n_in, n), n, conv=False)
                n_in = n
            layers += [linear(n_in, out_channels * h * w), nn.Unflatten(1, self.out_shape)]
        else:
            hs = stage_sizes(h, len(cfg.hidden), "decoder")[::-1]  # smallest first
            ws = stage_sizes(w, len(cfg.hidden), "decoder")[::-1]
            ch = cfg.hidden[0]
            layers += _block(cfg, linear(latent_dim, ch * hs[0] * ws[0]), ch * hs[0] * ws[0], conv=False)
            layers.append(nn.Unflatten(1, (ch, hs[0], ws[0])))
            if cfg.attention:  # on the first, coarsest map, before any up-sampling (vae/models/attention.py)
                layers.append(SelfAttention2d(ch, cfg.attention, (hs[0], ws[0])))
            resnet = cfg.arch == "resnet"
            for i in range(len(cfg.hidden)):
                if resnet:
                    layers += [ResidualBlock(ch, cfg) for _ in range(cfg.blocks)]
                last = i == len(cfg.hidden) - 1
                n = cfg.hidden[i + 1] if not last else (ch if resnet else out_channels)
                pad = (hs[i + 1] - 2 * hs[i], ws[i + 1] - 2 * ws[i])
                up = nn.ConvTranspose2d(ch, n, 4, stride=2, padding=1, output_padding=pad)
                layers += [up] if (last and not resnet) else _block(cfg, up, n, conv=True)
                ch = n
            if resnet:
                layers.append(nn.Conv2d(ch, out_channels, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def initialize(module: nn.Module, scheme: str, activation: str) -> None:
    """Weights for a stable gradient flow; zero biases. ``default`` keeps PyTorch's own (Kaiming-uniform with
    a = sqrt 5: Var W = 1 / (3 n_in), a gain of 1 / sqrt 3, which shrinks a deep tanh network's signal).

    xavier   Glorot-uniform, Var W = 2 / (n_in + n_out): gain 1, for tanh and sigmoid layers
    he       Kaiming-normal, sd W = gain / sqrt(n_in) with the ReLU gain sqrt 2 (leaky_relu: sqrt(2 / (1 + 0.2^2)))
             for every activation, tanh included: the scheme is derived for ReLU layers (PyTorch's recommended gain
             for tanh is 5/3, Glorot's 1)
    """
    if scheme == "default":
        return
    nonlinearity = "leaky_relu" if activation == "leaky_relu" else "relu"
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)):
            if scheme == "xavier":
                nn.init.xavier_uniform_(m.weight)
            else:
                nn.init.kaiming_normal_(
                    m.weight, a=LEAKY_SLOPE if nonlinearity == "leaky_relu" else 0, nonlinearity=nonlinearity
                )
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
