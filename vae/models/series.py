"""Encoders and decoders of real-valued series x (C, L) (``vae.data.modality.Series``).

    mlp   encoder  x flattened -> Linear + activation per hidden width
          decoder  z -> Linear + activation per hidden width -> Linear to (params x C) x L
    cnn   encoder  Conv1d(kernel 4, stride 2, padding 1) + activation per stage: L halves each time
          decoder  z -> Linear to (first width) x L / 2^k -> ConvTranspose1d(kernel 4, stride 2, padding 1)
                   + activation per stage, the last one to the likelihood's parameters: L doubles each time

Both are non-autoregressive: every step of x is drawn at once from z (the weak decoders of the
chapter), and p(x|z) is a Gaussian per step (``vae.models.likelihoods.Gaussian``; "per-pixel"
variance is one variance per step). flow (vae/models/flow_decoder.py) carries the cnn's Gaussian
through affine couplings conditioned on z, so that the steps depend on each other given z. The strong
ones draw each step given z and the steps before it:
wavenet (vae/models/wavenet.py), gru, lstm and transformer (vae/models/series_sequence.py, with the
encoders of the same names).
"""

from __future__ import annotations

import torch
from torch import nn

from vae.config import SEQUENCE_ENCODERS, NetworkConfig
from vae.data.modality import Series
from vae.models.flow_decoder import FlowSeriesDecoder
from vae.models.likelihoods import make_likelihood
from vae.models.networks import DecoderNet, Networks, linear, make_activation
from vae.models.series_sequence import RecurrentSeriesDecoder, SeriesSequenceEncoder, TransformerSeriesDecoder
from vae.models.wavenet import WaveNetDecoder

KERNEL, STRIDE, PADDING = 4, 2, 1  # each stage halves (encoder) or doubles (decoder) the number of steps


def _dense(widths: list[int], n_in: int, cfg: NetworkConfig) -> tuple[list[nn.Module], int]:
    layers: list[nn.Module] = []
    for h in widths:
        layers += [linear(n_in, h), make_activation(cfg.activation)]
        if cfg.dropout:
            layers.append(nn.Dropout(cfg.dropout))
        n_in = h
    return layers, n_in


class SeriesEncoder(nn.Module):
    """x (B, C, L) -> features (B, out_features)."""

    def __init__(self, cfg: NetworkConfig, modality: Series):
        super().__init__()
        c, length = modality.shape
        if cfg.arch == "mlp":
            layers, self.out_features = _dense(cfg.hidden, c * length, cfg)
            self.net = nn.Sequential(nn.Flatten(), *layers)
            return
        layers, n_in = [], c
        for h in cfg.hidden:
            layers += [nn.Conv1d(n_in, h, KERNEL, STRIDE, PADDING), make_activation(cfg.activation)]
            if cfg.dropout:
                layers.append(nn.Dropout(cfg.dropout))
            n_in = h
        self.net = nn.Sequential(*layers, nn.Flatten())
        self.out_features = n_in * (length >> len(cfg.hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SeriesDecoder(DecoderNet):
    """z (B, D) -> the likelihood's parameters (B, out_channels, L), every step at once."""

    def __init__(self, cfg: NetworkConfig, latent_dim: int, modality: Series, out_channels: int):
        super().__init__()
        self.out_channels, self.length = out_channels, modality.length
        self.output_numel = out_channels * modality.length
        if cfg.arch == "mlp":
            layers, n_in = _dense(cfg.hidden, latent_dim, cfg)
            self.net = nn.Sequential(*layers, linear(n_in, out_channels * self.length))
            return
        self.start = (cfg.hidden[0], self.length >> len(cfg.hidden))  # channels, steps before the first stage
        layers: list[nn.Module] = [linear(latent_dim, self.start[0] * self.start[1]), make_activation(cfg.activation)]
        layers.append(nn.Unflatten(1, self.start))
        widths = [*cfg.hidden[1:], out_channels]
        n_in = cfg.hidden[0]
        for i, h in enumerate(widths):
            layers.append(nn.ConvTranspose1d(n_in, h, KERNEL, STRIDE, PADDING))
            if i < len(widths) - 1:
                layers.append(make_activation(cfg.activation))
            n_in = h
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), self.out_channels, self.length)


def make_series_networks(config, modality: Series) -> Networks:
    """The networks of a model of series."""
    likelihood = make_likelihood(config.likelihood)
    out_channels = likelihood.params_per_pixel * modality.shape[0]
    if config.encoder.arch in SEQUENCE_ENCODERS:
        encoder = SeriesSequenceEncoder(config.encoder, modality.shape)
    else:
        encoder = SeriesEncoder(config.encoder, modality)
    if config.decoder.arch == "flow":
        base = SeriesDecoder(config.decoder, config.latent_dim, modality, out_channels)
        decoder = FlowSeriesDecoder(base, config.decoder, config.latent_dim, modality)
    elif config.decoder.arch == "wavenet":
        decoder = WaveNetDecoder(config.decoder, config.latent_dim, modality.shape, out_channels)
    elif config.decoder.arch in ("gru", "lstm"):
        decoder = RecurrentSeriesDecoder(config.decoder, config.latent_dim, modality.shape, out_channels)
    elif config.decoder.arch == "transformer":
        decoder = TransformerSeriesDecoder(config.decoder, config.latent_dim, modality.shape, out_channels)
    else:
        decoder = SeriesDecoder(config.decoder, config.latent_dim, modality, out_channels)
    return Networks(encoder, likelihood, lambda: decoder)
