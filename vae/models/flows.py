"""Normalizing flows after the encoder's Gaussian: a more flexible q(z|x).

z_0 ~ N(mu(x), diag sigma^2(x)), then z_k = f_k(z_{k-1}; h(x)) for k = 1..K, and

    log q(z_K|x) = log N(z_0; mu, sigma^2) - sum_k log |det df_k / dz_{k-1}|

exactly, so the ELBO, the IWAE bound and the diagnostics stay comparable with the Gaussian.
The flow's parameters are computed from the encoder's features h(x) (amortized).

Planar (Rezende & Mohamed 2015; amortized as in van den Berg et al. 2018):

    f(z) = z + u' tanh(w.z + b),   log|det| = log|1 + u'.psi(z)|,   psi(z) = (1 - tanh^2(w.z + b)) w
    u' = u + (m(w.u) - w.u) w / |w|^2,  m(a) = -1 + softplus(a)    (so that w.u' >= -1: invertible)

Inverse autoregressive flow (Kingma et al. 2016), each step a MADE network (Germain et al.
2015) of z and a context c(x), autoregressive in z:

    m, s = MADE(z, c);  sigma = sigmoid(s);  f(z) = sigma * z + (1 - sigma) * m;  log|det| = sum log sigma

with the order of the dimensions reversed between steps.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from vae.models.posteriors import DiagonalGaussian

IAF_FORGET_BIAS = 1.5  # sigma = sigmoid(s + 1.5) starts near 0.82: each step starts close to the identity


class PlanarFlows(nn.Module):
    """K planar steps whose u, w, b come from the encoder's features h (B, H)."""

    def __init__(self, features: int, latent_dim: int, steps: int):
        super().__init__()
        self.d, self.k = latent_dim, steps
        self.params = nn.Linear(features, steps * (2 * latent_dim + 1))

    def forward(self, z: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z (..., B, D) -> (f_K...f_1(z), sum_k log|det|) with the log-determinants shaped (..., B)."""
        p = self.params(h).view(len(h), self.k, 2 * self.d + 1)
        log_det = torch.zeros(z.shape[:-1], device=z.device, dtype=z.dtype)
        for i in range(self.k):
            u, w, b = p[:, i, : self.d], p[:, i, self.d : 2 * self.d], p[:, i, 2 * self.d]
            wu = (w * u).sum(-1, keepdim=True)
            u_hat = u + (F.softplus(wu) - 1 - wu) * w / (w.pow(2).sum(-1, keepdim=True) + 1e-8)
            a = torch.tanh((z * w).sum(-1) + b)  # (..., B)
            z = z + u_hat * a.unsqueeze(-1)
            psi_u = (1 - a.pow(2)) * (w * u_hat).sum(-1)
            log_det = log_det + torch.log((1 + psi_u).abs() + 1e-8)
        return z, log_det


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (MADE's connectivity)."""

    def __init__(self, n_in: int, n_out: int, mask: torch.Tensor):
        super().__init__(n_in, n_out)
        self.register_buffer("mask", mask.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class IAFStep(nn.Module):
    """One IAF step: MADE(z, c) -> (m, s) with output i depending on z_<i only (in ``order``)."""

    def __init__(self, latent_dim: int, hidden: int, context: int, order: torch.Tensor):
        super().__init__()
        d = latent_dim
        degree_in = torch.empty(d, dtype=torch.long)
        degree_in[order] = torch.arange(1, d + 1)  # the position of each dimension in the order
        degree_h = torch.arange(hidden) % d  # 0..D-1; degree-0 units see the context only
        self.hidden = MaskedLinear(d, hidden, degree_h[:, None] >= degree_in[None, :])
        self.context = nn.Linear(context, hidden)
        out_mask = (degree_in[:, None] > degree_h[None, :]).repeat(2, 1)
        self.out = MaskedLinear(hidden, 2 * d, out_mask)
        nn.init.zeros_(self.out.weight)  # each step starts as sigma = sigmoid(1.5), m = 0
        nn.init.zeros_(self.out.bias)

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m, s = self.out(F.elu(self.hidden(z) + self.context(c))).chunk(2, dim=-1)
        sigma = torch.sigmoid(s + IAF_FORGET_BIAS)
        return sigma * z + (1 - sigma) * m, F.logsigmoid(s + IAF_FORGET_BIAS).sum(-1)


class IAF(nn.Module):
    """K IAF steps with a context from the encoder's features; the order reverses after every step."""

    def __init__(self, features: int, latent_dim: int, steps: int, hidden: int):
        super().__init__()
        context = hidden
        self.context = nn.Linear(features, context)
        forward_order, backward_order = torch.arange(latent_dim), torch.arange(latent_dim).flip(0)
        self.steps = nn.ModuleList(
            IAFStep(latent_dim, hidden, context, forward_order if k % 2 == 0 else backward_order) for k in range(steps)
        )

    def forward(self, z: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = F.elu(self.context(h))
        c = c.expand(*z.shape[:-1], c.shape[-1])  # the same context for every sample of an example
        log_det = torch.zeros(z.shape[:-1], device=z.device, dtype=z.dtype)
        for step in self.steps:
            z, ld = step(z, c)
            log_det = log_det + ld
        return z, log_det


def make_flow(name: str, features: int, latent_dim: int, steps: int, iaf_hidden: int) -> nn.Module:
    if name == "planar":
        return PlanarFlows(features, latent_dim, steps)
    return IAF(features, latent_dim, steps, iaf_hidden)


MOMENT_SAMPLES = 64  # draws that estimate a flow posterior's mean and sd
MOMENT_SEED = 0


class FlowPosterior:
    """q(z|x): the Gaussian ``base`` pushed through ``flow`` with the encoder's features ``h``.

    Sampling gives each z with its exact log-density. There is no closed-form KL
    (``closed_form_kl`` is False) and no density at an arbitrary z (the flow is not inverted),
    so the estimators that need log q(z_i|x_j) for every pair refuse it; the mean and sd
    are estimated from MOMENT_SAMPLES draws with a fixed seed (a function of x alone).
    """

    closed_form_kl = False

    def __init__(self, base: DiagonalGaussian, flow: nn.Module, h: torch.Tensor):
        self.base, self.flow, self.h = base, flow, h

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index) -> FlowPosterior:
        return FlowPosterior(self.base[index], self.flow, self.h[index])

    def transform(self, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z and log q(z|x) for standard-normal noise ``eps`` (..., B, D)."""
        z0, log_q0 = self.base.transform(eps)
        z, log_det = self.flow(z0, self.h)
        return z, log_q0 - log_det

    def rsample_with_log_prob(self, generator=None, sample_shape: tuple[int, ...] = ()):
        mu = self.base.mu
        eps = torch.randn((*sample_shape, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
        return self.transform(eps)

    def rsample(self, generator=None, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        return self.rsample_with_log_prob(generator, sample_shape)[0]

    @functools.cached_property
    def _moments(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Estimated once per posterior object: ``mean`` and ``stddev`` share the draws."""
        g = torch.Generator(device=self.base.mu.device).manual_seed(MOMENT_SEED)
        z = self.rsample(g, (MOMENT_SAMPLES,))
        return z.mean(0), z.std(0)

    @property
    def mean(self) -> torch.Tensor:
        return self._moments[0]

    @property
    def stddev(self) -> torch.Tensor:
        return self._moments[1]
