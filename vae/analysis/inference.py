"""How good is the encoder? The true posterior beside q(z|x), and the inference gaps.

The encoder only approximates the posterior, q(z|x) ~ p(z|x). Following Cremer, Li and
Duvenaud (2018, "Inference Suboptimality in Variational Autoencoders"), the gap between
log p(x) and the ELBO of the amortized q splits in two:

    log p(x) - ELBO(q_amortized) =  [log p(x) - ELBO(q*)]              approximation gap
                                  + [ELBO(q*) - ELBO(q_amortized)]     amortization gap

q* is the best posterior of the same family for this one example: a diagonal Gaussian
whose mean and log-variance are optimised by Adam for x alone, from several starts (the
encoder's q, the prior, jittered copies of q and, for a 2-D latent, the true posterior's
moments and mode): started from the encoder's q alone, Adam can stay in the wrong basin
(on mnist5k-mlp-z2, 20 nats short for 3-5 % of the examples). The approximation gap is
the family's fault (a Gaussian cannot take the true posterior's shape); the amortization
gap is the encoder's (one network for every x, of limited capacity).

log p(x) comes from the IWAE bound with a large k and q* as the proposal (any proposal
gives a lower bound; the encoder's q can miss a mode that q* found), or, for a 2-D
latent, from the true posterior on a grid:

    p(z|x) = p(x|z) p(z) / p(x),   log p(x) ~ logsumexp_ij [log p(x|z_ij) + log p(z_ij)] + log(dz1 dz2)

Every ELBO here is estimated with the same fixed noise (common random numbers), so
that two posteriors are compared on equal terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vae.errors import ConfigError
from vae.i18n import N_, Text
from vae.models.posteriors import DiagonalGaussian
from vae.models.priors import StandardNormal
from vae.models.vae import VAE
from vae.objectives.iwae import iwae_ladder, iwae_log_px

ELBO_SAMPLES = 64  # posterior draws per example for every ELBO estimate here
OPTIMIZE_STEPS = 300  # Adam steps on q*'s mean and log-variance
OPTIMIZE_LR = 0.01
OPTIMIZE_SAMPLES = 8  # draws per step of the optimisation's ELBO gradient
JITTERS = 2  # starts of q* at the encoder's q moved by JITTER_SD of its sd (besides q itself and the prior)
JITTER_SD = 3.0
PRUNE_AFTER = 50  # Adam steps every start takes; then only each example's KEEP_STARTS best go on
KEEP_STARTS = 2
GAPS_EXAMPLES = 100  # test examples the averaged gaps are measured on
GAPS_IWAE_K = 1000
GRID_SIZE = 121  # points per axis of the 2-D grid
GRID_NLL_SIZE = 41  # per axis for -log p(x) over a split: within 1e-3 nats of GRID_SIZE's on mnist5k-mlp-z2
FLOW_SAMPLES = 400  # draws that show a flow posterior over the true one
GRID_SD = 6.0  # the first grid covers the prior's +-4 sd and q's +-GRID_SD sd around its mean
GRID_TAIL = 15.0  # nats below the densest cell that still count as mass when the grid zooms in


def log_joint(model: VAE, x: torch.Tensor, z: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """log p(x|z) + log p(z) for one example ``x`` (1, ...) at each z (N, D): shape (N,)."""
    out = []
    for s in range(0, len(z), chunk):
        zs = z[s : s + chunk]
        xs = x.expand(len(zs), *x.shape[1:])
        out.append(model.log_px_z(zs, xs) + model.prior.log_prob(zs))
    return torch.cat(out)


def _log_px_z(model: VAE, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x_b|z_sb) for draws z (S, B, D) of the examples x (B, ...): shape (S, B)."""
    s, b, d = z.shape
    xs = x.unsqueeze(0).expand(s, *x.shape).reshape(s * b, *x.shape[1:])
    return model.log_px_z(z.reshape(s * b, d), xs).view(s, b)


@torch.no_grad()
def elbo(model: VAE, x: torch.Tensor, q: DiagonalGaussian, eps: torch.Tensor) -> torch.Tensor:
    """ELBO(x; q) = E_q[log p(x|z) + log p(z) - log q(z|x)] for each example, shape (B,).

    ``eps`` (S, B, D) is the fixed noise: z_s = mu + sigma eps_s, the same for every posterior compared.
    """
    z, log_q = q.transform(eps)  # (S, B, D), (S, B)
    return (_log_px_z(model, x, z) + model.prior.log_prob(z) - log_q).mean(0)


@dataclass
class GridPosterior:
    """The true posterior p(z|x) of a 2-D latent on a grid: ``z1`` (n,), ``z2`` (n,), ``prob`` (n, n)
    summing to 1 (rows: z2, columns: z1), and log p(x) from the grid."""

    z1: np.ndarray
    z2: np.ndarray
    prob: np.ndarray
    log_px: float


def _adam(model: VAE, x: torch.Tensor, q0: DiagonalGaussian, steps: int, lr: float, eps, g) -> tuple:
    """Adam on each row's own mean and log-variance from ``q0``; the best row seen (start included) under the
    fixed noise ``eps``. Returns (mean, log-variance, ELBO per row, the best ELBOs every 25 steps)."""
    mu = q0.mean.detach().clone().requires_grad_(True)
    logvar = q0.logvar.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([mu, logvar], lr=lr)
    best_mu, best_lv = q0.mean.detach().clone(), q0.logvar.detach().clone()
    best = elbo(model, x, q0, eps)
    trace = [best.clone()]
    for step in range(1, steps + 1):
        q = DiagonalGaussian(mu, logvar)
        z = q.rsample(g, (OPTIMIZE_SAMPLES,))  # (S, B, D)
        if isinstance(model.prior, StandardNormal):  # q* is Gaussian: its KL has a closed form, less noise
            kl = q.kl_per_dim().sum(1)
        else:  # a learned prior (the VampPrior, a flow): the sampled KL
            kl = (q.log_prob(z) - model.prior.log_prob(z)).mean(0)
        loss = -(_log_px_z(model, x, z).mean(0) - kl).sum()
        # gradients for q*'s parameters only: the model (shared by every session) is left untouched
        mu.grad, logvar.grad = torch.autograd.grad(loss, [mu, logvar])
        opt.step()
        if step % 25 == 0 or step == steps:
            now = elbo(model, x, DiagonalGaussian(mu.detach(), logvar.detach()), eps)
            better = now > best
            best = torch.where(better, now, best)
            best_mu[better], best_lv[better] = mu.detach()[better], logvar.detach()[better]
            trace.append(best.clone())
    return best_mu, best_lv, best, trace


def grid_moments(grid: GridPosterior) -> tuple[list[float], list[float], list[float]]:
    """The mean, the variance and the mode (z1, z2) of a grid posterior."""
    p1, p2 = grid.prob.sum(0), grid.prob.sum(1)  # the marginals of z1 (columns) and z2 (rows)
    mean = [float(p1 @ grid.z1), float(p2 @ grid.z2)]
    var = [float(p1 @ (grid.z1 - mean[0]) ** 2), float(p2 @ (grid.z2 - mean[1]) ** 2)]
    row, col = np.unravel_index(np.argmax(grid.prob), grid.prob.shape)
    return mean, var, [float(grid.z1[col]), float(grid.z2[row])]


def posterior_starts(
    q0: DiagonalGaussian, g: torch.Generator, grids: list[GridPosterior] | None = None
) -> list[DiagonalGaussian]:
    """Where q* is searched from: the encoder's q, the prior N(0, I), JITTERS copies of q moved by JITTER_SD of
    its sd, and, with the true posterior of a 2-D latent on a grid, Gaussians at its moments and at its mode."""
    mean, logvar = q0.mean, q0.logvar
    starts = [q0, DiagonalGaussian(torch.zeros_like(mean), torch.zeros_like(logvar))]
    for _ in range(JITTERS):
        noise = torch.randn(mean.shape, generator=g, device=mean.device)
        starts.append(DiagonalGaussian(mean + JITTER_SD * q0.stddev * noise, logvar))
    if grids is not None:
        m = [grid_moments(gr) for gr in grids]
        at = dict(device=mean.device, dtype=mean.dtype)
        grid_mean = torch.tensor([a for a, _, _ in m], **at)
        grid_lv = torch.tensor([v for _, v, _ in m], **at).clamp_min(1e-8).log()
        grid_mode = torch.tensor([o for *_, o in m], **at)
        starts += [DiagonalGaussian(grid_mean, grid_lv), DiagonalGaussian(grid_mode, grid_lv)]
    return starts


def optimize_posterior(
    model: VAE,
    x: torch.Tensor,
    steps: int = OPTIMIZE_STEPS,
    lr: float = OPTIMIZE_LR,
    eps: torch.Tensor | None = None,
    seed: int = 0,
    grids: list[GridPosterior] | None = None,
) -> tuple[DiagonalGaussian, torch.Tensor, list[float]]:
    """q*(z|x) for each example of ``x``: Adam on its own mean and log-variance from several starts
    (:func:`posterior_starts`; ``grids``, the true posteriors of a 2-D latent, add their moments and modes),
    all examples and starts in one batch. After PRUNE_AFTER steps only each example's KEEP_STARTS best starts
    go on (successive halving: 2.3x less work for 6 starts, the same gaps to 0.01 nats on mnist5k-mlp-z2).

    Returns (q*, its ELBO per example under the fixed noise ``eps``, the mean ELBO every 25 steps). Each
    example's q* is the best of the ones evaluated from every start (the starts included), so the optimisation
    never lowers an example's ELBO from the amortized one. For a flow posterior q* is still a Gaussian,
    started from the flow's mean and sd: the best Gaussian, to compare the flow with. Local search from a few
    starts can still miss the best Gaussian, so ELBO(q*) is a lower bound on the best Gaussian's ELBO (and the
    approximation gap an upper bound), except for a 2-D latent, where the grid shows where the mass is.
    """
    model.eval()
    g = torch.Generator(device=x.device).manual_seed(seed)
    with torch.no_grad():
        q0 = model.encode(x)
        if q0.closed_form_kl:
            q0 = DiagonalGaussian(q0.mean, q0.logvar)
        else:  # a flow posterior: q* starts from the Gaussian with its mean and sd
            q0 = DiagonalGaussian(q0.mean, 2 * q0.stddev.clamp_min(1e-6).log())
    b, d = q0.mean.shape
    if eps is None:
        eps = torch.randn((ELBO_SAMPLES, b, d), generator=g, device=x.device)
    starts = posterior_starts(q0, g, grids)
    n = len(starts)
    q = DiagonalGaussian(torch.cat([q.mean for q in starts]), torch.cat([q.logvar for q in starts]))
    first = min(steps, PRUNE_AFTER) if n > KEEP_STARTS else steps
    mu, lv, best, trace = _adam(model, x.repeat(n, *[1] * (x.dim() - 1)), q, first, lr, eps.repeat(1, n, 1), g)
    trace = [t.view(n, b).max(0).values for t in trace]
    if steps > first:  # the starts behind after PRUNE_AFTER steps rarely end best: each example's best ones go on
        kept_rows = (best.view(n, b).topk(KEEP_STARTS, dim=0).indices * b + torch.arange(b, device=x.device)).view(-1)
        n, q = KEEP_STARTS, DiagonalGaussian(mu[kept_rows], lv[kept_rows])
        mu, lv, best, rest = _adam(
            model, x.repeat(n, *[1] * (x.dim() - 1)), q, steps - first, lr, eps.repeat(1, n, 1), g
        )
        trace += [t.view(n, b).max(0).values for t in rest[1:]]  # rest[0] is where the first part ended
    rows = best.view(n, b).argmax(0) * b + torch.arange(b, device=x.device)  # each example's best start
    mu, lv, best = mu[rows], lv[rows], best[rows]
    amortized = elbo(model, x, q0, eps)  # in a batch of its own, as callers score it: never below, not even by 1e-6
    kept = amortized >= best
    mu[kept], lv[kept], best[kept] = q0.mean[kept], q0.logvar[kept], amortized[kept]
    return DiagonalGaussian(mu, lv), best, [torch.maximum(t, amortized).mean().item() for t in trace]


@torch.no_grad()
def _on_grid(model: VAE, x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, n: int):
    z1, z2 = (torch.linspace(lo[i].item(), hi[i].item(), n, device=x.device) for i in range(2))
    zz2, zz1 = torch.meshgrid(z2, z1, indexing="ij")
    lj = log_joint(model, x, torch.stack([zz1.reshape(-1), zz2.reshape(-1)], 1)).double().view(n, n)
    return z1, z2, lj


@torch.no_grad()
def grid_posterior(model: VAE, x: torch.Tensor, q=None, n: int = GRID_SIZE) -> GridPosterior:
    """p(z|x) over an n x n grid for one example ``x`` (1, ...) of a model with a 2-D latent.

    Two passes: a wide grid over the prior's +-4 sd and the posterior ``q``'s +-GRID_SD sd finds where
    the mass is (the cells within e^-GRID_TAIL of the densest, two cells more on each side); a grid of
    the same size over that box gives the picture and log p(x), with cells small enough for a narrow
    posterior.
    """
    if model.latent_dim != 2:
        raise ConfigError(
            N_(
                "the true posterior is drawn on a grid for a 2-D latent only; this model has {latent_dim} dimensions "
                "(the averaged gaps work for any size)"
            ),
            latent_dim=model.latent_dim,
        )
    model.eval()
    q = model.encode(x) if q is None else q
    four = torch.full((2,), 4.0, device=x.device)
    lo = torch.minimum(q.mean[0] - GRID_SD * q.stddev[0], -four)
    hi = torch.maximum(q.mean[0] + GRID_SD * q.stddev[0], four)
    z1, z2, lj = _on_grid(model, x, lo, hi, n)
    rows, cols = torch.nonzero(lj > lj.max() - GRID_TAIL, as_tuple=True)
    step = torch.stack([z1[1] - z1[0], z2[1] - z2[0]])
    lo = torch.stack([z1[cols.min()], z2[rows.min()]]) - 2 * step
    hi = torch.stack([z1[cols.max()], z2[rows.max()]]) + 2 * step
    z1, z2, lj = _on_grid(model, x, lo, hi, n)
    cell = (z1[1] - z1[0]).item() * (z2[1] - z2[0]).item()
    log_mass = torch.logsumexp(lj.reshape(-1), 0)
    prob = torch.exp(lj - log_mass)
    return GridPosterior(z1.cpu().numpy(), z2.cpu().numpy(), prob.cpu().numpy(), float(log_mass + math.log(cell)))


def has_grid_nll(model: VAE) -> bool:
    """-log p(x) of a whole split is integrated on grids: a 2-D latent, and a decoder that is not autoregressive
    (which would take a full pass per grid point, 3,362 an example: there the IWAE bound stays)."""
    return model.latent_dim == 2 and not model.autoregressive


@torch.no_grad()
def grid_nll(model: VAE, x: torch.Tensor, n: int = GRID_NLL_SIZE) -> float:
    """-log p(x) averaged over the examples ``x`` of a model with a 2-D latent, each integrated on its own grid
    (:func:`grid_posterior`): the quantity the IWAE bound approaches from above, not a bound."""
    model.eval()
    total = 0.0
    for s in range(0, len(x), 100):
        xs = x[s : s + 100]
        q = model.encode(xs)
        total += sum(-grid_posterior(model, xs[i : i + 1], q[i : i + 1], n).log_px for i in range(len(xs)))
    return total / len(x)


def example_bounds(model: VAE, x: torch.Tensor, ks=(1, 10, 100, 1000), seed: int = 0) -> dict:
    """For one example ``x`` (1, ...): the IWAE bound for each k, ELBO(amortized q), ELBO(q*), q and q*,
    and, for a 2-D latent, the grid's log p(x) and true posterior (whose moments and mode also start q*)."""
    model.eval()
    g = torch.Generator(device=x.device).manual_seed(seed)
    eps = torch.randn((ELBO_SAMPLES, 1, model.latent_dim), generator=g, device=x.device)
    with torch.no_grad():
        q = model.encode(x)
    grid = grid_posterior(model, x, q) if model.latent_dim == 2 else None
    q_star, elbo_star, trace = optimize_posterior(model, x, eps=eps, seed=seed, grids=None if grid is None else [grid])
    with torch.no_grad():
        out = {
            # the encoder's q; one set of max(ks) draws, cut into groups of k (a column that rises with k)
            "iwae": {int(k): float(v[0]) for k, v in iwae_ladder(model, x, [int(k) for k in ks], g).items()},
            "elbo_amortized": float(elbo(model, x, q, eps)[0]),
            "elbo_optimized": float(elbo_star[0]),
            "q": q,
            "q_star": q_star,
            "trace": trace,
        }
    if not q.closed_form_kl:  # a flow: its density is drawn by its samples
        out["q_samples"] = q.rsample(g, (FLOW_SAMPLES,))[:, 0].detach().cpu().numpy()
    if grid is not None:
        out["grid"] = grid
        out["log_px"] = grid.log_px
    else:
        out["log_px"] = out["iwae"][max(ks)]
    return out


def inference_gaps(
    model: VAE,
    x: torch.Tensor,
    n: int = GAPS_EXAMPLES,
    iwae_k: int = GAPS_IWAE_K,
    steps: int = OPTIMIZE_STEPS,
    seed: int = 0,
) -> dict:
    """The two gaps averaged over the first ``n`` examples of ``x`` (nats per example).

    {"log_px", "elbo_optimized", "elbo_amortized", "approximation_gap", "amortization_gap",
     "num", "estimated_by": {...}}: log p(x) by the IWAE bound with k = ``iwae_k`` (by the grid
    for a 2-D latent); ELBO(q*) by
    ``steps`` Adam steps per example; both ELBOs with the same ELBO_SAMPLES draws of noise.
    """
    model.eval()
    x = x[:n]
    g = torch.Generator(device=x.device).manual_seed(seed)
    eps = torch.randn((ELBO_SAMPLES, len(x), model.latent_dim), generator=g, device=x.device)
    with torch.no_grad():
        q = model.encode(x)
        elbo_amortized = elbo(model, x, q, eps)
    grids = None
    if model.latent_dim == 2:  # the grid: log p(x) itself (up to its discretisation), and where q* may start
        grids = [grid_posterior(model, x[i : i + 1], q[i : i + 1], GRID_NLL_SIZE) for i in range(len(x))]
    q_star, elbo_optimized, _ = optimize_posterior(model, x, steps=steps, eps=eps, seed=seed, grids=grids)
    if grids is not None:
        log_px = torch.tensor([gr.log_px for gr in grids])
        how = Text(N_("the true posterior on a {n} x {n} grid (a 2-D latent)"), n=GRID_NLL_SIZE)
    else:
        with torch.no_grad():  # the proposal q*: a tighter bound than the encoder's q, and never under ELBO(q*)
            log_px = iwae_log_px(model, x, iwae_k, g, posterior=q_star)
        how = Text(N_("IWAE bound, k={k}, with q* as the proposal"), k=iwae_k)
    lp, eo, ea = (float(v.double().mean()) for v in (log_px, elbo_optimized, elbo_amortized))
    return {
        "log_px": lp,
        "elbo_optimized": eo,
        "elbo_amortized": ea,
        "approximation_gap": lp - eo,
        "amortization_gap": eo - ea,
        "num": len(x),
        "approximation_gap_is_bound": grids is None,
        "estimated_by": {
            "log_px": how,
            "elbo_optimized": Text(
                N_(
                    "a Gaussian q* per example, the best of {steps} Adam steps (lr {lr}) from each of {starts} starts: "
                    "the encoder's q, the prior, {jitters} jittered copies of q and the true posterior's moments and "
                    "mode on the grid"
                )
                if grids is not None
                else N_(
                    "a Gaussian q* per example, the best of {steps} Adam steps (lr {lr}) from each of {starts} starts: "
                    "the encoder's q, the prior and {jitters} jittered copies of q. A local search: the best Gaussian "
                    "may be better still, so the approximation gap is an upper bound"
                ),
                steps=steps,
                lr=OPTIMIZE_LR,
                starts=JITTERS + (4 if grids is not None else 2),
                jitters=JITTERS,
            ),
            "elbo": Text(
                N_("{n} posterior samples per example, the same noise for both posteriors")
                if model.flow is None
                else N_(
                    "{n} posterior samples per example, the same noise for both posteriors; q is a flow and q* the "
                    "best Gaussian: a negative amortization gap means the flow beats every Gaussian"
                ),
                n=ELBO_SAMPLES,
            ),
        },
    }
