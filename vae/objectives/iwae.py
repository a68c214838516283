"""The importance-weighted bound (IWAE, Burda et al. 2015), an estimate of log p(x).

With z_k ~ q(z|x):

    log p(x) >= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)

It tightens as K grows and equals the ELBO at K = 1.
"""

from __future__ import annotations

import math

import torch


@torch.no_grad()
def iwae_log_weights(
    model,
    x: torch.Tensor,
    k: int,
    generator: torch.Generator | None = None,
    max_chunk_bytes: int = 50_000_000,
    posterior=None,
) -> torch.Tensor:
    """log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x) for ``k`` draws z_k ~ q(z|x) of each example, (k, B) float32.

    Each x is encoded once; eps of shape (k, b, D) is decoded in chunks of examples
    sized so that one chunk's decoder pass (its output, or a wide decoder's feature maps)
    stays under ``max_chunk_bytes``. No Python loop over examples. ``posterior`` replaces
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
            log_px_z = model.log_px_z(z.reshape(kk * n, d), xr).view(kk, n)
            parts.append(log_px_z + model.prior.log_prob(z) - log_q)
        out.append(torch.cat(parts).float())
    return torch.cat(out, 1)


def iwae_log_px(model, x: torch.Tensor, k: int, generator: torch.Generator | None = None, **kw) -> torch.Tensor:
    """The IWAE estimate of log p(x) with ``k`` importance samples, shape (B,): log (1/k) sum_k w_k, the
    log-mean-exp taken in float32 (keywords as :func:`iwae_log_weights`)."""
    return torch.logsumexp(iwae_log_weights(model, x, k, generator, **kw), 0) - math.log(k)


def iwae_ladder(model, x: torch.Tensor, ks, generator: torch.Generator | None = None, **kw) -> dict[int, torch.Tensor]:
    """E[IWAE_k] for each k of ``ks``, shape (B,) each, from one set of K = max(ks) draws: the K log-weights are cut
    into K // k groups of k, and the groups' IWAE_k averaged. Each is an unbiased estimate of the expected bound,
    which rises with k (Burda et al. 2015), and the small k average many groups: the column rises with k where
    separate draws for each k did not (one example read -156.2, -157.8, -151.2 at k = 1, 10, 100)."""
    big = max(ks)
    log_w = iwae_log_weights(model, x, big, generator, **kw)
    out = {}
    for k in ks:
        groups = big // k
        w = log_w[: groups * k].view(groups, k, -1)
        out[k] = (torch.logsumexp(w, 1) - math.log(k)).mean(0)
    return out
