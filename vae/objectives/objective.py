"""The training loss of one run, whichever objective its configuration names.

vae          rec + beta_t * KL, with warm-up, free bits or capacity   (elbo.py)
beta-tcvae   rec + w_t * (alpha MI + beta TC + gamma dimension-wise KL)  (total_correlation.py)
factorvae    rec + w_t * (beta KL + gamma TC), TC from a discriminator
"""

from __future__ import annotations

import math

import torch

from vae.config import ObjectiveConfig
from vae.objectives.elbo import free_bits_kl, training_loss, warmup_beta
from vae.objectives.total_correlation import TCDiscriminator, kl_decomposition_terms


class Objective:
    """The training loss of one run: :func:`training_loss`, beta-TCVAE or FactorVAE.

    ``loss(out, progress, total_epochs)`` gives (loss, KL weight); ``update(out)`` runs
    what trains alongside the model after its step (FactorVAE's discriminator).
    """

    def __init__(self, cfg: ObjectiveConfig, latent_dim: int, dataset_size: int, device, seed: int = 0):
        self.cfg, self.n = cfg, dataset_size
        self.discriminator = TCDiscriminator(latent_dim, device, seed) if cfg.name == "factorvae" else None

    def loss(self, out, progress: float, total_epochs: float) -> tuple[torch.Tensor, float]:
        cfg = self.cfg
        if cfg.name == "vae":
            return training_loss(out.rec, out.kl_dims, cfg, progress, total_epochs)
        w = warmup_beta(1.0, cfg.kl_warmup, progress)  # warm-up scales the whole regulariser
        if cfg.name == "beta-tcvae":
            mi, tc, dw = kl_decomposition_terms(out.z, out.posterior, math.log(self.n * len(out.z)))
            reg = cfg.alpha * mi.mean() + cfg.beta * tc.mean() + cfg.gamma * dw.mean()
            return out.rec.mean() + w * reg, w * cfg.beta
        kl_term = free_bits_kl(out.kl_dims.mean(0), cfg.free_bits)
        tc = self.discriminator.total_correlation(out.z)
        return out.rec.mean() + w * (cfg.beta * kl_term + cfg.factorvae_gamma * tc), w * cfg.beta

    def update(self, out) -> None:
        """FactorVAE: one discriminator step on this batch's codes."""
        if self.discriminator is not None:
            self.discriminator.update(out.z)
