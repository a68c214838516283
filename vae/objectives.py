"""The ELBO, its training variants, and the importance-weighted bound.

For q(z|x) = N(mu, diag sigma^2) and p(z) = N(0, I), per latent dimension j:

    KL_j = 0.5 * (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)

    ELBO(x) = E_q[log p(x|z)] - sum_j KL_j
    negative ELBO = reconstruction + KL, reconstruction = E_q[-log p(x|z)] (one sample)

Training losses (all per example, averaged over the mini-batch):

    beta-VAE + warm-up + free bits:  rec + beta_t * sum_j max(lambda, mean_batch KL_j)
    capacity annealing:              rec + gamma * |sum_j mean_batch KL_j - C_t|

IWAE (Burda et al. 2015), with z_k ~ q(z|x):

    log p(x) >= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)
"""

from __future__ import annotations

import math

import torch

from .config import ObjectiveConfig

LOG_2PI = math.log(2 * math.pi)


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) per example and dimension, shape (B, D), nats."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


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
    kl_term = kl_d.clamp(min=cfg.free_bits).sum() if cfg.free_bits > 0 else kl_d.sum()
    return rec.mean() + b * kl_term, b


def log_normal_std(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over the last dimension."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(-1)


def log_normal_diag(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)) summed over the last dimension."""
    return -0.5 * ((z - mu).pow(2) * torch.exp(-logvar) + logvar + LOG_2PI).sum(-1)


@torch.no_grad()
def iwae_log_px(
    model,
    x: torch.Tensor,
    k: int,
    generator: torch.Generator | None = None,
    max_chunk_bytes: int = 50_000_000,
) -> torch.Tensor:
    """The IWAE estimate of log p(x) with ``k`` importance samples, shape (B,).

    Each x is encoded once; eps of shape (k, b, D) is decoded in chunks of examples
    sized so that one chunk's decoder pass (its output, or a wide decoder's feature maps)
    stays under ``max_chunk_bytes``. The
    log-mean-exp over k is taken in float32. No Python loop over examples.
    """
    mu, logvar = model.encode(x)
    d = mu.shape[1]
    per_example = k * model.decode_numel * 4
    b = max(1, min(len(x), max_chunk_bytes // max(per_example, 1)))
    out = []
    for s in range(0, len(x), b):
        xs, m, lv = x[s : s + b], mu[s : s + b], logvar[s : s + b]
        n = len(xs)
        ks = max(1, min(k, max_chunk_bytes // max(n * model.decode_numel * 4, 1)))
        parts = []
        for k0 in range(0, k, ks):  # only when one example alone exceeds the budget
            kk = min(ks, k - k0)
            eps = torch.randn((kk, n, d), generator=generator, device=x.device, dtype=m.dtype)
            z = m + torch.exp(0.5 * lv) * eps  # (kk, n, D)
            xr = xs.unsqueeze(0).expand(kk, *xs.shape).reshape(kk * n, *xs.shape[1:])
            params = model.decode(z.reshape(kk * n, d), xr)
            log_px_z = model.likelihood.log_prob(params, xr).view(kk, n)
            parts.append(log_px_z + log_normal_std(z) - log_normal_diag(z, m, lv))
        log_w = torch.cat(parts).float()
        out.append(torch.logsumexp(log_w, 0) - math.log(k))
    return torch.cat(out)
