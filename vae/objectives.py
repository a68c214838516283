"""The ELBO, its training variants, and the importance-weighted bound.

For q(z|x) = N(mu, diag sigma^2) and p(z) = N(0, I), per latent dimension j:

    KL_j = 0.5 * (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)

    ELBO(x) = E_q[log p(x|z)] - sum_j KL_j
    negative ELBO = reconstruction + KL, reconstruction = E_q[-log p(x|z)] (one sample)

Training losses (all per example, averaged over the mini-batch):

    beta-VAE + warm-up + free bits:  rec + beta_t * sum_j max(lambda, mean_batch KL_j)
    capacity annealing:              rec + gamma * |sum_j mean_batch KL_j - C_t|

The KL decomposition (beta-TCVAE, Chen et al. 2018), with q(z) = (1/N) sum_n q(z|x_n)
the aggregate posterior:

    E_x KL(q(z|x) || p(z)) = I_q(x; z)                            index-code MI
                           + KL(q(z) || prod_j q(z_j))            total correlation (TC)
                           + sum_j KL(q(z_j) || p(z_j))           dimension-wise KL

beta-TCVAE:  rec + alpha * MI + beta * TC + gamma * dimension-wise KL, the three
estimated on each mini-batch by minibatch-weighted sampling (MWS):
log q(z_i) ~ logsumexp_j log q(z_i | x_j) - log(N M), N the dataset size, M the batch.
FactorVAE (Kim & Mnih 2018):  rec + beta * KL + gamma * TC, with TC ~ E[logit D(z)]
from a discriminator D trained alongside to tell codes z from codes whose dimensions
were shuffled across the batch (a sample of prod_j q(z_j)).

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
    return rec.mean() + b * free_bits_kl(kl_d, cfg.free_bits), b


def free_bits_kl(kl_d: torch.Tensor, free_bits: float) -> torch.Tensor:
    """sum_j max(lambda, KL_j) for the batch-mean KL per dimension (the plain sum when lambda = 0)."""
    return kl_d.clamp(min=free_bits).sum() if free_bits > 0 else kl_d.sum()


def kl_decomposition_terms(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, log_norm: float,
                           start: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per example (B,): index-code MI, total correlation and dimension-wise KL terms.

    z_i ~ q(z|x_i); with log q(z_i|x_j) summed over dimensions (joint) or not (marginals):

        log q(z_i)     ~ logsumexp_j log q(z_i|x_j) - log_norm
        log q(z_i,d)   ~ logsumexp_j log q(z_i,d|x_j,d) - log_norm

    ``log_norm`` is log(N M) for minibatch-weighted sampling in training (a constant:
    the gradients do not depend on it) and log N when the batch is the whole split.
    The three terms sum to log q(z|x) - log p(z), the one-sample KL. ``z`` may be the
    rows ``start:start+len(z)`` of the batch (to bound the (B, M, D) block in memory).
    """
    pair = -0.5 * ((z[:, None] - mu[None]).pow(2) * torch.exp(-logvar[None]) + logvar[None] + LOG_2PI)  # (B, M, D)
    log_qz = torch.logsumexp(pair.sum(2), 1) - log_norm
    log_prod = (torch.logsumexp(pair, 1) - log_norm).sum(1)
    own = slice(start, start + len(z))
    return log_normal_diag(z, mu[own], logvar[own]) - log_qz, log_qz - log_prod, log_prod - log_normal_std(z)


class Objective:
    """The training loss of one run: :func:`training_loss`, beta-TCVAE or FactorVAE.

    ``loss(out, progress, total_epochs)`` gives (loss, KL weight); ``update(out)`` runs
    what trains alongside the model after its step (FactorVAE's discriminator).
    """

    def __init__(self, cfg: ObjectiveConfig, latent_dim: int, dataset_size: int, device, seed: int = 0):
        self.cfg, self.n = cfg, dataset_size
        self.discriminator = None
        if cfg.name == "factorvae":
            from torch import nn

            h = FACTORVAE_HIDDEN
            with torch.random.fork_rng(devices=[]):  # initialised from the run's seed, whatever ran before
                torch.manual_seed(seed)
                self.discriminator = nn.Sequential(nn.Linear(latent_dim, h), nn.LeakyReLU(0.2), nn.Linear(h, h),
                                                   nn.LeakyReLU(0.2), nn.Linear(h, 2)).to(device)
            self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=1e-4, betas=(0.5, 0.9))

    def loss(self, out, progress: float, total_epochs: float) -> tuple[torch.Tensor, float]:
        cfg = self.cfg
        if cfg.name == "vae":
            return training_loss(out.rec, out.kl_dims, cfg, progress, total_epochs)
        w = warmup_beta(1.0, cfg.kl_warmup, progress)  # warm-up scales the whole regulariser
        if cfg.name == "beta-tcvae":
            mi, tc, dw = kl_decomposition_terms(out.z, out.mu, out.logvar, math.log(self.n * len(out.z)))
            reg = cfg.alpha * mi.mean() + cfg.beta * tc.mean() + cfg.gamma * dw.mean()
            return out.rec.mean() + w * reg, w * cfg.beta
        kl_term = free_bits_kl(out.kl_dims.mean(0), cfg.free_bits)
        logits = self.discriminator(out.z)
        tc = (logits[:, 0] - logits[:, 1]).mean()  # log D(z) / (1 - D(z)): the density-ratio estimate of TC
        return out.rec.mean() + w * (cfg.beta * kl_term + cfg.factorvae_gamma * tc), w * cfg.beta

    def update(self, out) -> None:
        """FactorVAE: one discriminator step, codes (class 0) against dimension-shuffled codes (class 1)."""
        if self.discriminator is None:
            return
        import torch.nn.functional as F

        z = out.z.detach()
        b = len(z)
        shuffled = torch.stack([col[torch.randperm(b, device=z.device)] for col in z.T], 1)
        logits = self.discriminator(torch.cat([z, shuffled]))
        target = torch.cat([torch.zeros(b, dtype=torch.long), torch.ones(b, dtype=torch.long)]).to(z.device)
        self.d_opt.zero_grad(set_to_none=True)
        F.cross_entropy(logits, target).backward()
        self.d_opt.step()


FACTORVAE_HIDDEN = 256  # the discriminator: two hidden layers (the paper's six of 1000 are for 64x64 dSprites)


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
