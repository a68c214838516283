"""Encoder-decoder symmetry: the same encoder with a decoder narrower than, equal to and wider than it.

The numbers of a model, with its parameters counted per network, and the sharpness of what it generates:

    sharpness = mean_p Var_s E[x_p | z_s] / mean_p Var_i x_p,i,      z_s ~ p(z), s = 1..SAMPLES

the pixel variance of its prior samples' means (decoded once each) over the data's pixel variance: a decoder that
draws every sample as the same grey average scores 0, one whose samples vary as much as the data does scores 1.
"""

from __future__ import annotations

from typing import Any

import torch

from vae.models.networks import count_parameters
from vae.models.vae import VAE

SAMPLES = 500
SHARPNESS_SEED = 0


@torch.no_grad()
def sharpness(model: VAE, x: torch.Tensor, samples: int = SAMPLES, seed: int = SHARPNESS_SEED) -> float:
    """The module's sharpness of ``model``'s prior samples against the pictures ``x`` (N, *shape) in [0, 1]."""
    g = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
    drawn = model.sample_prior(samples, generator=g).float().cpu()
    return float(drawn.var(0, unbiased=False).mean() / x.float().var(0, unbiased=False).mean())


def symmetry_row(model: VAE, metrics: dict[str, Any], x: torch.Tensor) -> dict[str, Any]:
    """{"encoder", "decoder" (parameters), "elbo", "distortion", "rate", "sharpness"} of a model, from its final
    test metrics and the data ``x`` its samples are measured against."""
    return {
        "encoder": count_parameters(model.encoder) + count_parameters(model.fc_mu) + count_parameters(model.fc_logvar),
        "decoder": count_parameters(model.decoder),
        "elbo": metrics["elbo"],
        "distortion": metrics["reconstruction"],
        "rate": metrics["kl"],
        "sharpness": sharpness(model, x),
    }
