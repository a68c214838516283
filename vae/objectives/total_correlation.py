"""The KL decomposition and the total correlation (beta-TCVAE, FactorVAE).

With q(z) = (1/N) sum_n q(z|x_n) the aggregate posterior (Chen et al. 2018):

    E_x KL(q(z|x) || p(z)) = I_q(x; z)                            index-code MI
                           + KL(q(z) || prod_j q(z_j))            total correlation (TC)
                           + sum_j KL(q(z_j) || p(z_j))           dimension-wise KL

beta-TCVAE:  rec + alpha * MI + beta * TC + gamma * dimension-wise KL, the three
estimated on each mini-batch by minibatch-weighted sampling (MWS):
log q(z_i) ~ logsumexp_j log q(z_i | x_j) - log(N M), N the dataset size, M the batch.
FactorVAE (Kim & Mnih 2018):  rec + beta * KL + gamma * TC, with TC ~ E[logit D(z)]
from a discriminator D trained alongside to tell codes z from codes whose dimensions
were shuffled across the batch (a sample of prod_j q(z_j)).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vae.models.posteriors import DiagonalGaussian, log_normal_std

FACTORVAE_HIDDEN = 256  # the discriminator: two hidden layers (the paper's six of 1000 are for 64x64 dSprites)


def kl_decomposition_terms(
    z: torch.Tensor, q: DiagonalGaussian, log_norm: float, own: DiagonalGaussian | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per example (B,): index-code MI, total correlation and dimension-wise KL terms.

    z_i ~ q(z|x_i); with log q(z_i|x_j) summed over dimensions (joint) or not (marginals):

        log q(z_i)     ~ logsumexp_j log q(z_i|x_j) - log_norm
        log q(z_i,d)   ~ logsumexp_j log q(z_i,d|x_j,d) - log_norm

    ``log_norm`` is log(N M) for minibatch-weighted sampling in training (a constant:
    the gradients do not depend on it) and log N when the batch is the whole split.
    The three terms sum to log q(z|x) - log p(z), the one-sample KL. ``z`` is drawn from ``own``, the
    posteriors of its own examples among the mixture's ``q`` (default: the first len(z) of them): some rows of
    the batch at a time bound the (B, M, D) block in memory.
    """
    pair = q.pairwise_log_prob(z)  # (B, M, D)
    log_qz = torch.logsumexp(pair.sum(2), 1) - log_norm
    log_prod = (torch.logsumexp(pair, 1) - log_norm).sum(1)
    own = q[: len(z)] if own is None else own
    return own.log_prob(z) - log_qz, log_qz - log_prod, log_prod - log_normal_std(z)


class TCDiscriminator:
    """FactorVAE's discriminator D(z) and its optimiser: logits (codes, shuffled codes)."""

    def __init__(self, latent_dim: int, device, seed: int = 0):
        h = FACTORVAE_HIDDEN
        with torch.random.fork_rng(devices=[]):  # initialised from the run's seed, whatever ran before
            torch.manual_seed(seed)
            self.net = nn.Sequential(
                nn.Linear(latent_dim, h), nn.LeakyReLU(0.2), nn.Linear(h, h), nn.LeakyReLU(0.2), nn.Linear(h, 2)
            ).to(device)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-4, betas=(0.5, 0.9))

    def total_correlation(self, z: torch.Tensor) -> torch.Tensor:
        """TC ~ mean log D(z) / (1 - D(z)): the density-ratio estimate, differentiable in z."""
        logits = self.net(z)
        return (logits[:, 0] - logits[:, 1]).mean()

    def update(self, z: torch.Tensor) -> None:
        """One step: codes (class 0) against dimension-shuffled codes (class 1)."""
        z = z.detach()
        b = len(z)
        shuffled = torch.stack([col[torch.randperm(b, device=z.device)] for col in z.T], 1)
        logits = self.net(torch.cat([z, shuffled]))
        target = torch.cat([torch.zeros(b, dtype=torch.long), torch.ones(b, dtype=torch.long)]).to(z.device)
        self.opt.zero_grad(set_to_none=True)
        F.cross_entropy(logits, target).backward()
        self.opt.step()
