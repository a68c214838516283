"""Sequence networks over real-valued series x (C, L): recurrent and Transformer encoders, recurrent decoders.

The chapter's sequence networks, for time series rather than text (vae/models/sequence.py reads tokens). A
step of the series is its C values, read as they are (no embedding):

    gru, lstm     encoder  run over the L steps, h = the last state (of both directions when bidirectional)
                           or the mean of the outputs over the steps (``pool``); ``dropout`` between the
                           layers and on h
    transformer   encoder  e_t = W x_t + P_t (a learned position per step); pre-norm self-attention blocks
                           (``heads``); h = the mean over the steps
    gru, lstm     decoder  autoregressive: the state starts at tanh(W z + b); the input at step t is the
                           previous step x_{t-1} (zeros before the first), joined by z when ``z_every_step``
    transformer   decoder  autoregressive: e_t = W x_{t-1} + P_t, pre-norm blocks of causal self-attention,
                           cross-attention to M = 4 memory vectors made from z (W z + b), and an MLP (the
                           blocks of the token decoder, vae/models/sequence.py)

Each decoder's output at t gives the Gaussian's parameters of x_t:

    log p(x|z) = sum_t log N(x_t; mu_t(x_<t, z), sigma_t^2)

Training is teacher-forced (the true previous steps are fed, one pass over the series). Sampling goes one
step at a time: a recurrent decoder carries its state, so a draw costs L small steps; the transformer
reads the whole prefix again at each step (as the WaveNet decoder of vae/models/wavenet.py re-reads its
receptive field).
"""

from __future__ import annotations

import torch
from torch import nn

from vae.config import NetworkConfig
from vae.errors import ConfigError
from vae.i18n import N_
from vae.models.networks import DecoderNet, linear
from vae.models.sequence import DecoderBlock, RNNDecoder, transformer_encoder
from vae.models.wavenet import WaveNetDecoder, shift


def _recurrent(arch: str):
    return nn.GRU if arch == "gru" else nn.LSTM


class SeriesSequenceEncoder(nn.Module):
    """x (B, C, L) -> h(x) (B, out_features), read step by step (gru, lstm) or with self-attention (transformer)."""

    def __init__(self, cfg: NetworkConfig, x_shape: tuple[int, int]):
        super().__init__()
        c, length = x_shape
        width, layers = cfg.hidden[0], len(cfg.hidden)
        self.arch, self.pool = cfg.arch, cfg.pool
        if cfg.arch in ("gru", "lstm"):
            self.rnn = _recurrent(cfg.arch)(
                c,
                width,
                num_layers=layers,
                batch_first=True,
                bidirectional=cfg.bidirectional,
                dropout=cfg.dropout if layers > 1 else 0.0,
            )
            self.out_features = width * (2 if cfg.bidirectional else 1)
            self.drop = nn.Dropout(cfg.dropout)
        else:
            self.inp = linear(c, width)
            self.pos = nn.Embedding(length, width)
            self.blocks = transformer_encoder(width, cfg.heads, layers, cfg.dropout)
            self.norm = nn.LayerNorm(width)
            self.out_features = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = x.transpose(1, 2)  # (B, L, C)
        if self.arch == "transformer":
            t = self.inp(steps) + self.pos.weight[: steps.shape[1]]
            return self.norm(self.blocks(t)).mean(1)
        out, state = self.rnn(steps)
        if self.pool == "mean":
            return self.drop(out.mean(1))
        h = state[0] if isinstance(state, tuple) else state  # (layers * directions, B, W)
        return self.drop(torch.cat([h[-2], h[-1]], 1) if self.rnn.bidirectional else h[-1])


class RecurrentSeriesDecoder(DecoderNet):
    """(z, x) -> the likelihood's parameters (B, out_channels, L) of every x_t given x_<t and z, by teacher forcing."""

    autoregressive = True

    def __init__(self, cfg: NetworkConfig, latent_dim: int, x_shape: tuple[int, int], out_channels: int):
        super().__init__()
        c, length = x_shape
        self.arch, self.x_shape = cfg.arch, (c, length)
        self.width, self.layers, self.z_every_step = cfg.hidden[0], len(cfg.hidden), cfg.z_every_step
        states = 2 if cfg.arch == "lstm" else 1  # an LSTM's state is (h, c)
        self.initial = linear(latent_dim, states * self.layers * self.width)
        self.rnn = _recurrent(cfg.arch)(
            c + (latent_dim if cfg.z_every_step else 0),
            self.width,
            num_layers=self.layers,
            batch_first=True,
            dropout=cfg.dropout if self.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.out = linear(self.width, out_channels)
        self.output_numel = out_channels * length
        self.work_numel = length * (out_channels + (states + 3) * self.width)

    initial_state = RNNDecoder.initial_state  # tanh(W z + b), split into layers (and h, c)
    mean = WaveNetDecoder.mean  # no closed-form mean: a draw with a fixed seed, a function of z alone

    def _inputs(self, prev: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The steps fed (B, l, C), joined by z when it enters every step."""
        if self.z_every_step:
            prev = torch.cat([prev, z.unsqueeze(1).expand(-1, prev.shape[1], -1)], -1)
        return prev

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ConfigError(N_("an autoregressive decoder needs x to score (teacher forcing); to draw, sample"))
        out, _ = self.rnn(self._inputs(shift(x).transpose(1, 2), z), self.initial_state(z))
        return self.out(self.drop(out)).transpose(1, 2)

    @torch.no_grad()
    def sample(self, z, likelihood, generator=None, temperature=1.0, top_k=0, **_progress) -> torch.Tensor:
        """Draw x ~ p(x|z) one step at a time, carrying the recurrent state; (B, C, L)."""
        c, length = self.x_shape
        x = torch.zeros((len(z), c, length), device=z.device, dtype=z.dtype)
        prev, state = x.new_zeros((len(z), 1, c)), self.initial_state(z)
        for t in range(length):
            out, state = self.rnn(self._inputs(prev, z), state)
            x_t = likelihood.sample(self.out(out).transpose(1, 2), generator, temperature)  # (B, C, 1)
            x[:, :, t : t + 1] = x_t
            prev = x_t.transpose(1, 2)
        return x


class TransformerSeriesDecoder(DecoderNet):
    """(z, x) -> the likelihood's parameters (B, out_channels, L): causal self-attention over x_<t, cross-attention
    to ``MEMORY`` vectors made from z."""

    autoregressive = True
    pixel_by_pixel = True  # a pass over the prefix per step to draw one
    MEMORY = 4

    def __init__(self, cfg: NetworkConfig, latent_dim: int, x_shape: tuple[int, int], out_channels: int):
        super().__init__()
        c, length = x_shape
        self.x_shape, self.width = (c, length), cfg.hidden[0]
        self.inp = linear(c, self.width)
        self.pos = nn.Embedding(length, self.width)
        self.memory = linear(latent_dim, self.MEMORY * self.width)
        self.blocks = nn.ModuleList(DecoderBlock(self.width, cfg.heads, cfg.dropout) for _ in cfg.hidden)
        self.norm = nn.LayerNorm(self.width)
        self.out = linear(self.width, out_channels)
        self.output_numel = out_channels * length
        self.work_numel = length * (out_channels + 6 * self.width) + cfg.heads * length * length

    mean = WaveNetDecoder.mean

    def _params(self, prev: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """prev (B, l, C): the steps fed at positions 0 .. l-1 -> parameters (B, out_channels, l)."""
        n = prev.shape[1]
        t = self.inp(prev) + self.pos.weight[:n]
        memory = self.memory(z).view(len(z), self.MEMORY, self.width)
        causal = torch.triu(torch.ones(n, n, dtype=torch.bool, device=prev.device), 1)  # True: may not look
        for block in self.blocks:
            t = block(t, memory, causal)
        return self.out(self.norm(t)).transpose(1, 2)

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ConfigError(N_("an autoregressive decoder needs x to score (teacher forcing); to draw, sample"))
        return self._params(shift(x).transpose(1, 2), z)

    @torch.no_grad()
    def sample(self, z, likelihood, generator=None, temperature=1.0, top_k=0, **_progress) -> torch.Tensor:
        """Draw x ~ p(x|z) one step at a time, each reading the prefix drawn so far; (B, C, L)."""
        c, length = self.x_shape
        x = torch.zeros((len(z), c, length), device=z.device, dtype=z.dtype)
        for t in range(length):
            params = self._params(shift(x[:, :, : t + 1]).transpose(1, 2), z)
            x[:, :, t : t + 1] = likelihood.sample(params[:, :, -1:], generator, temperature)
        return x
