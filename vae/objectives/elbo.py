"""The ELBO and its training variants (beta-VAE, KL warm-up, free bits, capacity).

For q(z|x) = N(mu, diag sigma^2) and p(z) = N(0, I), per latent dimension j:

    KL_j = 0.5 * (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)     (vae/models/posteriors.py)

    ELBO(x) = E_q[log p(x|z)] - sum_j KL_j
    negative ELBO = reconstruction + KL, reconstruction = E_q[-log p(x|z)] (one sample)

Training losses (all per example, averaged over the mini-batch):

    beta-VAE + warm-up + free bits:  rec + beta_t * sum_j max(lambda, mean_batch KL_j)
    capacity annealing:              rec + gamma * |sum_j mean_batch KL_j - C_t|

with beta_t = beta * min(1, t / warm-up) (Bowman et al. 2016), lambda the free bits
(Kingma et al. 2016) and C_t = C_max * min(1, t / anneal) (Burgess et al. 2018).
"""

from __future__ import annotations

import torch

from vae.config import ObjectiveConfig


def warmup_beta(beta: float, warmup_epochs: float, progress: float) -> float:
    """beta_t = beta * min(1, t / warmup), t in epochs (fractional); beta if no warm-up."""
    if warmup_epochs <= 0:
        return beta
    return beta * min(1.0, progress / warmup_epochs)


def capacity_at(c_max: float, anneal_epochs: float, progress: float) -> float:
    """C_t = C_max * min(1, t / anneal_epochs)."""
    if anneal_epochs <= 0:
        return c_max
    return c_max * min(1.0, progress / anneal_epochs)


def training_loss(
    rec: torch.Tensor,
    kl_dims: torch.Tensor,
    cfg: ObjectiveConfig,
    progress: float,
    total_epochs: float,
) -> tuple[torch.Tensor, float]:
    """The scalar to minimise and the KL weight (beta_t, or C_t under capacity).

    rec: (B,) reconstruction -log p(x|z); kl_dims: (B, D); progress: epochs done.
    """
    kl_d = kl_dims.mean(0)
    if cfg.capacity is not None:
        epochs = cfg.capacity_epochs if cfg.capacity_epochs is not None else total_epochs
        c = capacity_at(cfg.capacity, epochs, progress)
        return rec.mean() + cfg.capacity_gamma * (kl_d.sum() - c).abs(), c
    b = warmup_beta(cfg.beta, cfg.kl_warmup, progress)
    return rec.mean() + b * free_bits_kl(kl_d, cfg.free_bits), b


def free_bits_kl(kl_d: torch.Tensor, free_bits: float) -> torch.Tensor:
    """sum_j max(lambda, KL_j) for the batch-mean KL per dimension (the plain sum when lambda = 0)."""
    return kl_d.clamp(min=free_bits).sum() if free_bits > 0 else kl_d.sum()
