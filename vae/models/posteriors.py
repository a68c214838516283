"""The approximate posterior q(z|x) that the encoder outputs.

A posterior object is what the model, the objectives, evaluation and diagnostics
ask about q(z|x); they never take its parameters apart. It offers:

    rsample(generator, sample_shape)   z ~ q(z|x), differentiable (reparameterization)
    rsample_with_log_prob(...)         the draws and log q(z|x) of each
    transform(eps)                     z and log q(z|x) for given standard-normal noise
    log_prob(z)                        log q(z|x) at any z, summed over the latent dimensions (Gaussian)
    mean                               E_q[z], shape (B, D): the code a point on a map shows
    kl_per_dim()                       KL(q(z|x) || N(0, I)) per dimension, when it has a closed form
    pairwise_log_prob(z)               log q(z_i,d | x_j,d) for every pair: the aggregate posterior's estimators

The diagonal Gaussian, q(z|x) = N(mu(x), diag sigma^2(x)), is the one the encoder
heads give; a flow posterior (vae/models/flows.py) has no closed-form KL
(``closed_form_kl`` False) and no density at an arbitrary z, and the code that needs
one estimates it by sampling or refuses.
"""

from __future__ import annotations

import math

import torch

LOG_2PI = math.log(2 * math.pi)


def log_normal_std(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over the last dimension."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(-1)


def log_normal_diag(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)) summed over the last dimension."""
    return -0.5 * ((z - mu).pow(2) * torch.exp(-logvar) + logvar + LOG_2PI).sum(-1)


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) = 0.5 (mu^2 + sigma^2 - 1 - log sigma^2), per example and dimension, nats."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


class DiagonalGaussian:
    """q(z|x) = N(mu, diag exp(logvar)) for a batch: ``mu`` and ``logvar`` of shape (B, D)."""

    closed_form_kl = True

    def __init__(self, mu: torch.Tensor, logvar: torch.Tensor):
        self.mu, self.logvar = mu, logvar

    @property
    def mean(self) -> torch.Tensor:
        return self.mu

    @property
    def stddev(self) -> torch.Tensor:
        return torch.exp(0.5 * self.logvar)

    def __len__(self) -> int:
        return len(self.mu)

    def __getitem__(self, index) -> DiagonalGaussian:
        """The posteriors of some examples (rows)."""
        return DiagonalGaussian(self.mu[index], self.logvar[index])

    def rsample(self, generator: torch.Generator | None = None, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I), of shape (*sample_shape, B, D): the reparameterization trick."""
        mu = self.mu
        eps = torch.randn((*sample_shape, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + self.stddev * eps

    def transform(self, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z = mu + sigma eps for standard-normal noise ``eps`` (..., B, D), and log q(z|x)."""
        z = self.mu + self.stddev * eps
        return z, self.log_prob(z)

    def rsample_with_log_prob(
        self, generator: torch.Generator | None = None, sample_shape: tuple[int, ...] = ()
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`rsample` and the log-density of each draw, (*sample_shape, B)."""
        z = self.rsample(generator, sample_shape)
        return z, self.log_prob(z)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z|x) for z of shape (..., B, D), summed over D."""
        return log_normal_diag(z, self.mu, self.logvar)

    def kl_per_dim(self) -> torch.Tensor:
        """KL(q(z|x) || N(0, I)) per example and dimension, (B, D), in closed form."""
        return kl_per_dim(self.mu, self.logvar)

    def pairwise_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z_i,d | x_j,d) for z (B', D) against every posterior j: shape (B', B, D)."""
        mu, logvar = self.mu[None], self.logvar[None]
        return -0.5 * ((z[:, None] - mu).pow(2) * torch.exp(-logvar) + logvar + LOG_2PI)
