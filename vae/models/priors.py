"""The prior p(z) over the latent space.

    standard   p(z) = N(0, I)
    vamp       p(z) = (1/K) sum_k q(z|u_k)      the VampPrior (Tomczak & Welling 2018)
    flow       z = f_K o ... o f_1(u), u ~ N(0, I)   RealNVP affine couplings (Dinh et al. 2017), learned

The VampPrior's components are the encoder's own Gaussian posteriors of K pseudo-inputs
u_k, learned with the model (u_k = sigmoid(a_k), images in [0, 1]); it makes the prior
match the aggregate posterior instead of pulling every code towards N(0, I). Its KL
against q(z|x) has no closed form: the model estimates it from the sample.

The flow prior's density is the change of variables through the inverse of its steps,

    log p(z) = log N(f^-1(z); 0, I) + sum_k log |det d f_k^-1 / d h|,

each step an affine coupling: with a binary mask m (alternating halves of the dimensions),

    f(u) = m * u + (1 - m) * (u * exp(s(m * u)) + t(m * u)),   log |det df/du| = sum (1 - m) * s(m * u),

s = FLOW_PRIOR_SCALE * tanh(.) and t from a small MLP of the masked half (for one dimension, m = 0 and s, t are
learned constants: an affine map). Its KL against q(z|x) has no closed form: the model estimates it from the
sample, as for the VampPrior; its moments (for traversals) are those of FLOW_PRIOR_MOMENT_SAMPLES draws.

Sampling, traversals (centred on the prior's mean, in units of its sd) and the KL
diagnostics all use the chosen prior.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vae.models.posteriors import LOG_2PI, log_normal_std


class StandardNormal:
    """p(z) = N(0, I) over ``latent_dim`` dimensions."""

    def __init__(self, latent_dim: int):
        self.latent_dim = latent_dim

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) = -0.5 sum_d (z_d^2 + log 2 pi), summed over the last dimension."""
        return log_normal_std(z)

    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """z ~ N(0, temperature^2 I), shape (n, latent_dim)."""
        return temperature * torch.randn((n, self.latent_dim), generator=generator, device=device)

    def moments(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The prior's mean and sd per dimension: 0 and 1."""
        return torch.zeros(self.latent_dim), torch.ones(self.latent_dim)


class VampPrior(nn.Module):
    """p(z) = (1/K) sum_k q(z|u_k) over K learned pseudo-inputs of the data's shape.

    ``encode`` (the model's Gaussian encoder, given by the model) maps the pseudo-inputs to
    their posteriors each time the prior is used, so the prior follows the encoder as it learns.
    """

    def __init__(self, latent_dim: int, pseudo_inputs: int, shape: tuple[int, ...]):
        super().__init__()
        self.latent_dim = latent_dim
        # logits of the pseudo-inputs: they start as faint noise around grey 0.5 and are learned
        self.logits = nn.Parameter(0.1 * torch.randn(pseudo_inputs, *shape))
        self.encode = None  # set by the model: x -> DiagonalGaussian

    @property
    def pseudo_inputs(self) -> torch.Tensor:
        """The pseudo-inputs u_k as images in [0, 1], (K, C, H, W)."""
        return torch.sigmoid(self.logits)

    def components(self):
        return self.encode(self.pseudo_inputs)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) = logsumexp_k log N(z; mu_k, sigma_k^2) - log K, for z (..., D): shape (...)."""
        q = self.components()
        mu, logvar = q.mu, q.logvar  # (K, D)
        zz = z.unsqueeze(-2)  # (..., 1, D)
        log_k = -0.5 * ((zz - mu).pow(2) * torch.exp(-logvar) + logvar + LOG_2PI).sum(-1)  # (..., K)
        return torch.logsumexp(log_k, -1) - math.log(mu.shape[0])

    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """z ~ q(z|u_k) with k uniform; ``temperature`` scales each component's sd."""
        q = self.components()
        k = torch.randint(0, q.mu.shape[0], (n,), generator=generator, device=device)
        eps = torch.randn((n, self.latent_dim), generator=generator, device=device)
        return q.mu[k] + temperature * q.stddev[k] * eps

    def moments(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The mixture's mean and sd per dimension."""
        q = self.components()
        mean = q.mu.mean(0)
        var = (q.stddev.pow(2) + q.mu.pow(2)).mean(0) - mean.pow(2)
        return mean, var.clamp_min(1e-12).sqrt()


FLOW_PRIOR_HIDDEN = 64  # units of each coupling's MLP
FLOW_PRIOR_SCALE = 2.0  # |s| <= 2: a step scales a dimension by at most e^2
FLOW_PRIOR_MOMENT_SAMPLES = 4096
FLOW_PRIOR_MOMENT_SEED = 0


class Coupling(nn.Module):
    """One affine coupling step (the module's docstring) with a fixed binary ``mask`` (D,)."""

    def __init__(self, mask: torch.Tensor, hidden: int = FLOW_PRIOR_HIDDEN):
        super().__init__()
        d = len(mask)
        self.register_buffer("mask", mask.float())
        self.net = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.out = nn.Linear(hidden, 2 * d)
        nn.init.zeros_(self.out.weight)  # each step starts as the identity: the prior starts as N(0, I)
        nn.init.zeros_(self.out.bias)

    def _scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.out(self.net(kept)).chunk(2, -1)
        free = 1 - self.mask
        return FLOW_PRIOR_SCALE * torch.tanh(s) * free, t * free

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """f(u)."""
        s, t = self._scale_shift(u * self.mask)
        return u * torch.exp(s) + t

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(f^-1(z), log |det d f^-1 / dz|): the masked half passes unchanged, so s and t are known from z."""
        s, t = self._scale_shift(z * self.mask)
        return (z - t) * torch.exp(-s), -s.sum(-1)


class FlowPrior(nn.Module):
    """p(z): ``steps`` affine couplings over N(0, I) (the module's docstring), masks alternating halves."""

    def __init__(self, latent_dim: int, steps: int):
        super().__init__()
        self.latent_dim = latent_dim
        half = torch.arange(latent_dim) < latent_dim // 2
        self.steps = nn.ModuleList(Coupling(half if k % 2 == 0 else ~half) for k in range(steps))

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(u = f^-1(z), log |det d f^-1 / dz|) for z (..., D)."""
        logdet = torch.zeros(z.shape[:-1], device=z.device, dtype=z.dtype)
        for step in reversed(self.steps):
            z, ld = step.inverse(z)
            logdet = logdet + ld
        return z, logdet

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) = log N(f^-1(z); 0, I) + log |det d f^-1 / dz|, for z (..., D): shape (...)."""
        u, logdet = self.inverse(z)
        return log_normal_std(u) + logdet

    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """z = f(T u), u ~ N(0, I): ``temperature`` scales the base distribution's sd."""
        z = temperature * torch.randn((n, self.latent_dim), generator=generator, device=device)
        for step in self.steps:
            z = step(z)
        return z

    def moments(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The prior's mean and sd per dimension, from FLOW_PRIOR_MOMENT_SAMPLES draws of a fixed seed."""
        device = next(self.parameters()).device
        with torch.no_grad():
            g = torch.Generator(device=device).manual_seed(FLOW_PRIOR_MOMENT_SEED)
            z = self.sample(FLOW_PRIOR_MOMENT_SAMPLES, g, device=device)
        return z.mean(0).cpu(), z.std(0).clamp_min(1e-6).cpu()


def make_prior(config, shape: tuple[int, ...]):
    if config.prior.name == "vamp":
        return VampPrior(config.latent_dim, config.prior.pseudo_inputs, shape)
    if config.prior.name == "flow":
        return FlowPrior(config.latent_dim, config.prior.flow_steps)
    return StandardNormal(config.latent_dim)
