"""The importance-weighted bound (IWAE, Burda et al. 2015), an estimate of log p(x).

With z_k ~ q(z|x):

    log p(x) >= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)

It tightens as K grows and equals the ELBO at K = 1.
"""

from __future__ import annotations

import math

import torch


@torch.no_grad()
def iwae_log_px(
    model,
    x: torch.Tensor,
    k: int,
    generator: torch.Generator | None = None,
    max_chunk_bytes: int = 50_000_000,
    posterior=None,
) -> torch.Tensor:
    """The IWAE estimate of log p(x) with ``k`` importance samples, shape (B,).

    Each x is encoded once; eps of shape (k, b, D) is decoded in chunks of examples
    sized so that one chunk's decoder pass (its output, or a wide decoder's feature maps)
    stays under ``max_chunk_bytes``. The
    log-mean-exp over k is taken in float32. No Python loop over examples. ``posterior`` replaces
    the encoder's q(z|x) as the proposal (any proposal gives a lower bound; a better one, a tighter).
    """
    q = model.encode(x) if posterior is None else posterior
    d = q.mean.shape[1]
    per_example = k * model.decode_numel * 4
    b = max(1, min(len(x), max_chunk_bytes // max(per_example, 1)))
    out = []
    for s in range(0, len(x), b):
        xs, qs = x[s : s + b], q[s : s + b]
        n = len(xs)
        ks = max(1, min(k, max_chunk_bytes // max(n * model.decode_numel * 4, 1)))
        parts = []
        for k0 in range(0, k, ks):  # only when one example alone exceeds the budget
            kk = min(ks, k - k0)
            z, log_q = qs.rsample_with_log_prob(generator, (kk,))  # (kk, n, D), (kk, n)
            xr = xs.unsqueeze(0).expand(kk, *xs.shape).reshape(kk * n, *xs.shape[1:])
            params = model.decode(z.reshape(kk * n, d), xr)
            log_px_z = model.likelihood.log_prob(params, xr).view(kk, n)
            parts.append(log_px_z + model.prior.log_prob(z) - log_q)
        log_w = torch.cat(parts).float()
        out.append(torch.logsumexp(log_w, 0) - math.log(k))
    return torch.cat(out)
