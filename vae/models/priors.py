"""The prior p(z) over the latent space.

The standard normal p(z) = N(0, I) is the prior of every model here: sampling,
traversals (in units of its standard deviation) and the KL all refer to it.
"""

from __future__ import annotations

import torch

from vae.models.posteriors import log_normal_std


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
