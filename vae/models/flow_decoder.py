"""A flow in the decoder: p(x|z) a normalizing flow conditioned on z, for real-valued series.

The chapter's preview names flows "for the posterior, the prior, or even the decoder". This is the
decoder's: the Gaussian decoder of series (vae/models/series.py, a 1-D CNN of z and the Gaussian
likelihood's variance) becomes the *base* of a conditional RealNVP on the time axis (Dinh et al. 2017):

    u  ~ N(mu(z), diag sigma^2)                       the base: the Gaussian decoder itself
    x' = f_K o ... o f_1 (u)                          K affine couplings, each conditioned on z
    f_k(y) = m_k y + (1 - m_k) (y exp(s_k) + t_k),    (s_k, t_k) = g_k * net_k(m_k y, z)
    log p(x|z) = log N(f^-1(x'); mu(z), sigma^2) + sum_k log |det d f_k^-1|
               = log N(u; mu(z), sigma^2) - sum_k sum_t (1 - m_k,t) s_k,t      (change of variables)

x' is x in the likelihood's data range; m_k keeps the even steps of the series in odd k and the odd steps
in even k, so every step is transformed, and net_k (1-D convolutions of kernel 3 over the kept steps, z a
bias per channel) sets a transformed step from its neighbours' values and z. |s| <= COUPLING_SCALE. The
gates g_k start at 0 (whatever the initialisation scheme), so the flow starts as the identity and the
model as the Gaussian decoder it extends; with K couplings, x given z is no longer independent across the
steps, which the per-step Gaussian cannot express.

Not autoregressive: scoring is one pass of f^-1, a draw one pass of f (u ~ the base, then f(u)); the
model calls :meth:`FlowSeriesDecoder.log_prob` for log p(x|z). E[x|z] has no closed form; the stand-in
that pages draw is f(mu(z)), the base's mean carried through the flow.

Not offered for images: a flow over pixels needs continuous values (dequantised 8-bit levels) and many
multi-scale steps (RealNVP's 28 x 28 models hold millions of parameters and train for hours), beyond the
seconds-long trainings of this app; the series are continuous already and 64 values long.
"""

from __future__ import annotations

import torch
from torch import nn

from vae.config import NetworkConfig
from vae.data.modality import Series
from vae.data.transforms import from_range, to_range
from vae.models.networks import DecoderNet, linear, make_activation
from vae.models.posteriors import log_normal_diag

COUPLING_SCALE = 2.0  # |s| <= 2: a coupling scales a value by at most e^2
COUPLING_KERNEL = 3  # a transformed step reads its two neighbours (kept) in the first layer


class SeriesCoupling(nn.Module):
    """One affine coupling of the module's docstring over x' (B, C, L), with the binary step mask ``mask`` (L,)."""

    def __init__(self, mask: torch.Tensor, channels: int, hidden: int, latent_dim: int, activation: str):
        super().__init__()
        self.register_buffer("mask", mask.float().view(1, 1, -1))
        pad = COUPLING_KERNEL // 2
        self.inp = nn.Conv1d(channels + 1, hidden, COUPLING_KERNEL, padding=pad)  # + the mask as a channel
        self.cond = linear(latent_dim, hidden)  # z: a bias per channel, at every step
        self.act = make_activation(activation)
        self.mid = nn.Conv1d(hidden, hidden, COUPLING_KERNEL, padding=pad)
        self.out = nn.Conv1d(hidden, 2 * channels, COUPLING_KERNEL, padding=pad)
        self.gate = nn.Parameter(torch.zeros(2, 1, 1))  # (s, t) gates: the coupling starts as the identity

    def scale_shift(self, y: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(s, t) (B, C, L) from the kept steps of y and z, zero on the kept steps."""
        kept = y * self.mask
        h = self.inp(torch.cat([kept, self.mask.expand(len(y), 1, -1)], 1)) + self.cond(z).unsqueeze(-1)
        h = self.act(self.mid(self.act(h)))
        s, t = self.out(self.act(h)).chunk(2, 1)
        free = 1 - self.mask
        s = COUPLING_SCALE * torch.tanh(self.gate[0] * s / COUPLING_SCALE)
        return s * free, self.gate[1] * t * free

    def forward(self, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """f_k(y)."""
        s, t = self.scale_shift(y, z)
        return y * torch.exp(s) + t

    def inverse(self, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(f_k^-1(x), log |det d f_k^-1 / dx| (B,)): the kept steps pass unchanged, so s and t are known."""
        s, t = self.scale_shift(x, z)
        return (x - t) * torch.exp(-s), -s.flatten(1).sum(1)


class FlowSeriesDecoder(DecoderNet):
    """z (B, D) -> the base's parameters (B, out_channels, L) (``forward``); ``log_prob``, ``sample`` and
    ``mean`` carry them through the couplings (the module's docstring)."""

    scores_itself = True

    def __init__(self, base: DecoderNet, cfg: NetworkConfig, latent_dim: int, modality: Series):
        """base: the Gaussian decoder whose draws the couplings carry (vae.models.series.SeriesDecoder)."""
        super().__init__()
        channels, length = modality.shape
        self.base = base
        even = torch.arange(length) % 2 == 0
        hidden = cfg.hidden[-1]
        self.couplings = nn.ModuleList(
            SeriesCoupling(even if k % 2 else ~even, channels, hidden, latent_dim, cfg.activation)
            for k in range(cfg.couplings)
        )
        self.output_numel = self.base.output_numel
        self.work_numel = max(self.base.output_numel, 2 * hidden * length)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """The base Gaussian's parameters, as the Gaussian decoder gives them."""
        return self.base(z)

    def inverse(self, x_range: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(u = f^-1(x'), log |det d f^-1 / dx'| (B,)) for x' (B, C, L) in the data range."""
        logdet = torch.zeros(len(x_range), device=x_range.device, dtype=x_range.dtype)
        for coupling in reversed(self.couplings):
            x_range, ld = coupling.inverse(x_range, z)
            logdet = logdet + ld
        return x_range, logdet

    def push(self, u: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """f(u): the base's values through the couplings, in order."""
        for coupling in self.couplings:
            u = coupling(u, z)
        return u

    def log_prob(self, z: torch.Tensor, x: torch.Tensor, likelihood) -> torch.Tensor:
        """log p(x|z) (B,) for x in [0, 1], by the change of variables (the module's docstring)."""
        mu, logvar = likelihood.split(self.base(z))
        u, logdet = self.inverse(to_range(x, likelihood.data_range), z)
        return log_normal_diag(u.flatten(1), mu.flatten(1), logvar.flatten(1)) + logdet

    def sample(self, z, likelihood, generator=None, temperature=1.0, top_k=0, **_progress) -> torch.Tensor:
        """x = f(u), u = mu(z) + T sigma eps: one pass, held to the data's range."""
        mu, logvar = likelihood.split(self.base(z))
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        x = self.push(mu + temperature * torch.exp(0.5 * logvar) * eps, z)
        return from_range(x.clamp(likelihood.lo, likelihood.hi), likelihood.data_range)

    def mean(self, z: torch.Tensor, likelihood) -> torch.Tensor:
        """The stand-in for E[x|z]: f(mu(z)), the base's mean through the flow."""
        return from_range(self.push(likelihood.split(self.base(z))[0], z), likelihood.data_range)
