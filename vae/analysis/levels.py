"""The image likelihoods on one scale: the probability of the 8-bit values v = 0..255 a picture is made of.

Data such as MNIST are 8-bit grey levels, x = v / 255. A model of them is compared with another by the
probability it gives those discrete values (Theis et al. 2016; PixelCNN++), in bits per dimension:

    bits/dim = -log P(v) / (P ln 2),   P = the number of values in one x (pixels x channels)

Each likelihood gives P(v | z) per value as follows (``data_range`` [lo, hi] scales x' = lo + (hi - lo) x):

  Gaussian     the density's mass over the value's bin, c +- w/2 with c = lo + (hi - lo) v / 255 and
               w = (hi - lo) / 255: Phi((c + w/2 - mu) / sigma) - Phi((c - w/2 - mu) / sigma), the first
               bin open below and the last open above (so the 256 masses sum to 1)
  categorical  over K levels, level k = round(v (K - 1) / 255): P(k) spread evenly over the n_k values of
               its bin, P(v) = P(k) / n_k (K = 256: P(k) itself)
  Bernoulli    none: it is a distribution over {0, 1}. On grey levels its "log-likelihood" is a
               cross-entropy, not a probability of the data; on binarized pixels it is the probability of
               other data (the binary draws). Neither is on this scale.

The -ELBO of the values, E_q[-log P(v|z)] + KL(q(z|x) || p(z)), bounds -log P(v) as the ELBO does.
"""

from __future__ import annotations

import math

import torch

from vae.data.transforms import quantize, to_range
from vae.models.likelihoods import Bernoulli, Categorical, Gaussian, Likelihood

LEVELS = 256  # 8-bit values
TINY = 1e-12  # below this mass the bin is its density times its width (the difference of two Phi underflows)


def values(x: torch.Tensor) -> torch.Tensor:
    """The 8-bit values v of pictures x = v / 255 (nearest)."""
    return quantize(x, LEVELS)


def on_the_scale(likelihood: Likelihood) -> bool:
    """Whether ``likelihood`` gives a probability of 8-bit values (a Gaussian or a categorical)."""
    return isinstance(likelihood, (Gaussian, Categorical))


def _gaussian_log_mass(mu: torch.Tensor, logvar: torch.Tensor, v: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """log of the Gaussian's mass over each value's bin (float64), bins as in the module's docstring."""
    mu, sigma = mu.double(), torch.exp(0.5 * logvar.double())
    w = (hi - lo) / (LEVELS - 1)
    c = lo + w * v.double()
    upper, lower = (c + w / 2 - mu) / sigma, (c - w / 2 - mu) / sigma
    first, last = v == 0, v == LEVELS - 1
    log_below = torch.special.log_ndtr(upper)  # P(x' < c + w/2)
    log_above = torch.special.log_ndtr(-lower)  # P(x' > c - w/2)
    mass = torch.special.ndtr(upper) - torch.special.ndtr(lower)
    log_density = -0.5 * (((c - mu) / sigma) ** 2 + math.log(2 * math.pi)) - torch.log(sigma) + math.log(w)
    inner = torch.where(mass > TINY, torch.log(mass.clamp_min(TINY)), log_density)
    return torch.where(first, log_below, torch.where(last, log_above, inner))


def _values_per_level(bins: int, device) -> torch.Tensor:
    """n_k: how many of the 256 values fall in each of the categorical's K levels."""
    return torch.bincount(quantize(torch.arange(LEVELS, device=device) / (LEVELS - 1), bins), minlength=bins)


@torch.no_grad()
def log_prob_values(likelihood: Likelihood, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log P(v | z) of the 8-bit values of ``x`` (B, C, H, W), summed over them: (B,) nats, float64.

    ``out``: the decoder's output for these x. Raises TypeError for a Bernoulli (see the module's docstring).
    """
    v = values(x)
    if isinstance(likelihood, Gaussian):
        mu, logvar = likelihood.split(out)
        lp = _gaussian_log_mass(mu, logvar, v, likelihood.lo, likelihood.hi)
    elif isinstance(likelihood, Categorical):
        logp = torch.log_softmax(likelihood.logits(out).double(), dim=1)  # (B, K, C, H, W)
        k = quantize(x, likelihood.bins)
        n_k = _values_per_level(likelihood.bins, x.device).double()
        lp = logp.gather(1, k.unsqueeze(1)).squeeze(1) - torch.log(n_k[k])
    else:
        raise TypeError(f"a {type(likelihood).__name__} gives no probability of 8-bit values")
    return lp.flatten(1).sum(1)


@torch.no_grad()
def value_distribution(likelihood: Likelihood, out: torch.Tensor, index: tuple[int, int, int]) -> torch.Tensor:
    """What the likelihood predicts for one value of one picture: ``out`` (1, P*C, H, W), ``index`` (c, row,
    col). Returns P(v) for v = 0..255 (float64, sums to 1); for a Bernoulli its two values, P(0) and P(255)
    (a pixel is 0 or 1 to it), the rest 0."""
    c, r, col = index
    v = torch.arange(LEVELS, device=out.device)
    if isinstance(likelihood, Bernoulli):
        p = torch.sigmoid(out[0, c, r, col].double())
        dist = torch.zeros(LEVELS, dtype=torch.float64, device=out.device)
        dist[0], dist[-1] = 1 - p, p
        return dist
    if isinstance(likelihood, Gaussian):
        mu, logvar = likelihood.split(out)
        return torch.exp(_gaussian_log_mass(mu[0, c, r, col], logvar[0, c, r, col], v, likelihood.lo, likelihood.hi))
    logp = torch.log_softmax(likelihood.logits(out)[0, :, c, r, col].double(), dim=0)  # (K,)
    k = quantize(v / (LEVELS - 1), likelihood.bins)
    return torch.exp(logp[k]) / _values_per_level(likelihood.bins, out.device).double()[k]


def bits_per_dim(nats: float, dims: int) -> float:
    """Nats per example as bits per value: nats / (dims ln 2)."""
    return nats / (dims * math.log(2))


@torch.no_grad()
def values_elbo(model, x: torch.Tensor, generator: torch.Generator | None = None, batch: int = 500) -> dict:
    """The -ELBO of the 8-bit values of ``x``, E_q[-log P(v|z)] + KL (one draw of z per example), in nats per
    example and in bits per dimension: {"nats", "bits_per_dim", "reconstruction", "kl"}. The model must be
    :func:`on_the_scale` and not autoregressive."""
    was = model.training
    model.eval()
    rec = kl = 0.0
    for s in range(0, len(x), batch):
        xb = x[s : s + batch]
        out = model(xb, generator)
        rec -= float(log_prob_values(model.likelihood, out.params, xb).sum())
        kl += float(out.kl.double().sum())
    model.train(was)
    n, dims = len(x), math.prod(x.shape[1:])
    nats = (rec + kl) / n
    return {"nats": nats, "bits_per_dim": bits_per_dim(nats, dims), "reconstruction": rec / n, "kl": kl / n}


@torch.no_grad()
def decoded_at_means(model, x: torch.Tensor) -> torch.Tensor:
    """The decoder's output at z = E[q(z|x)] for ``x``: the parameters of p(x|z) a page shows."""
    was = model.training
    model.eval()
    out = model.decode(model.encode(x).mean)
    model.train(was)
    return out


@torch.no_grad()
def fixed_sigma_identity(model, x: torch.Tensor) -> dict:
    """With a fixed sigma, -log p(x|z) = ||x' - mu||^2 / (2 sigma^2) + (P/2) log(2 pi sigma^2), checked on ``x``
    at the posterior means: {"reconstruction", "squared_error", "weight", "constant", "difference"}
    (nats per example, the squared error summed over the values; weight = 1 / (2 sigma^2))."""
    lk = model.likelihood
    if not (isinstance(lk, Gaussian) and lk.variance == "fixed"):
        raise TypeError("the identity holds for a Gaussian likelihood with a fixed variance")
    out = decoded_at_means(model, x)
    mu, logvar = lk.split(out)
    sigma2 = float(torch.exp(logvar.flatten()[0].double()))
    rec = float(-lk.log_prob(out.double(), x.double()).mean())
    sq = float(((to_range(x.double(), lk.data_range) - mu.double()) ** 2).flatten(1).sum(1).mean())
    dims = math.prod(x.shape[1:])
    weight, const = 1 / (2 * sigma2), 0.5 * dims * math.log(2 * math.pi * sigma2)
    return {
        "reconstruction": rec,
        "squared_error": sq,
        "weight": weight,
        "constant": const,
        "difference": rec - (weight * sq + const),
    }


@torch.no_grad()
def sigma_maps(model, x: torch.Tensor) -> torch.Tensor | None:
    """sigma(z) per pixel at z = E[q(z|x)] (B, C, H, W), in the data range's units; None unless the likelihood
    is a Gaussian with a per-pixel variance."""
    lk = model.likelihood
    if not (isinstance(lk, Gaussian) and lk.variance == "per-pixel"):
        return None
    return torch.exp(0.5 * lk.split(decoded_at_means(model, x))[1])


@torch.no_grad()
def pixel_prediction(model, x1: torch.Tensor, index: tuple[int, int, int]) -> torch.Tensor:
    """P(v | z) over the 256 values of pixel ``index`` (c, row, col) of the one picture ``x1`` (1, C, H, W), at
    z = E[q(z|x)] (:func:`value_distribution`)."""
    return value_distribution(model.likelihood, decoded_at_means(model, x1), index)


def lesson_numbers(model, x: torch.Tensor, seed: int = 0) -> dict:
    """What the likelihood lesson tabulates for one model on test pictures ``x``: {"values": :func:`values_elbo`
    or None (off the scale or autoregressive), "identity": :func:`fixed_sigma_identity` or None}."""
    g = torch.Generator(device=x.device).manual_seed(seed)
    on_scale = on_the_scale(model.likelihood) and not model.autoregressive
    lk = model.likelihood
    fixed = isinstance(lk, Gaussian) and lk.variance == "fixed"
    return {
        "values": values_elbo(model, x, g) if on_scale else None,
        "identity": fixed_sigma_identity(model, x[:100]) if fixed else None,
    }


def data_spread(x: torch.Tensor, data_range: str = "0,1") -> torch.Tensor:
    """The variances of the data along their principal directions (the covariance's eigenvalues, largest
    first), in the model's data range: what a fixed sigma is set against."""
    flat = to_range(x.flatten(1).double(), data_range)
    flat = flat - flat.mean(0)
    return torch.linalg.eigvalsh(flat.T @ flat / max(1, len(flat) - 1)).flip(0)


def ppca_kept(spread: torch.Tensor, sigma: float, latent_dim: int) -> int:
    """How many latent directions probabilistic PCA with noise sigma^2 keeps (Tipping & Bishop 1999): those whose
    variance exceeds sigma^2, at most ``latent_dim``. The linear VAE with a fixed sigma has the same optimum
    (Lucas et al. 2019), so it predicts where the units of a fixed-sigma model switch off."""
    return min(latent_dim, int((spread > sigma**2).sum()))


def grey_pixel(x1: torch.Tensor) -> tuple[int, int, int]:
    """The (c, row, col) of the picture ``x1`` (C, H, W) whose value is nearest mid-grey, nearest the centre among
    equals: where the likelihoods' predictions differ most (on a black or white pixel they all agree)."""
    c, h, w = x1.shape
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    centre = ((rows - (h - 1) / 2) ** 2 + (cols - (w - 1) / 2) ** 2) / (h * h + w * w)
    score = (x1.cpu() - 0.5).abs() + 1e-3 * centre  # grey first; the centre breaks ties
    i = int(score.flatten().argmin())
    return i // (h * w), (i // w) % h, i % w
