"""The prior p(z) over the latent space.

    standard   p(z) = N(0, I)
    vamp       p(z) = (1/K) sum_k q(z|u_k)      the VampPrior (Tomczak & Welling 2018)

The VampPrior's components are the encoder's own Gaussian posteriors of K pseudo-inputs
u_k, learned with the model (u_k = sigmoid(a_k), images in [0, 1]); it makes the prior
match the aggregate posterior instead of pulling every code towards N(0, I). Its KL
against q(z|x) has no closed form: the model estimates it from the sample.

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


def make_prior(config, shape: tuple[int, ...]):
    if config.prior.name == "vamp":
        return VampPrior(config.latent_dim, config.prior.pseudo_inputs, shape)
    return StandardNormal(config.latent_dim)
