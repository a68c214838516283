"""Output distributions p(x|z) over images.

Each likelihood turns the decoder's raw output (B, P*C, H, W) into a distribution
over x in [0, 1]^(C x H x W) and gives

  * ``log_prob(out, x)``: log p(x|z) summed over pixels, in nats, shape (B,)
  * ``mean(out)``: E[x|z], the image one shows as "the reconstruction"
  * ``sample(out, generator, temperature)``: a draw x ~ p(x|z); the temperature T
    divides logits (Bernoulli, categorical) or multiplies sigma (Gaussian); T = 0 gives
    the mode

Bernoulli:   log p = sum x log s(l) + (1-x) log(1 - s(l)),  s = sigmoid, l = logits.
             Grey-level x are allowed (the pytorch/examples convention).
Gaussian:    log p = sum -0.5 [ (x' - mu)^2 / sigma^2 + log(2 pi sigma^2) ],  mu = f(out), f the output
             activation (sigmoid, tanh or the identity), x' = lo + (hi - lo) x the values in the model's
             data range; sigma^2 fixed, one learned scalar, or per pixel from a second head. With sigma
             fixed this is ||x' - mu||^2 / (2 sigma^2) + (P/2) log(2 pi sigma^2): a squared error weighted
             by 1 / (2 sigma^2), so sigma plays the part of beta (loss / weight = MSE + 2 sigma^2 KL).
Categorical: x quantized to K levels k = round(x (K-1));  log p = sum log softmax(l)_k.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vae.config import DATA_RANGES, LikelihoodConfig, VAEConfig
from vae.data.transforms import from_range, quantize, to_range
from vae.i18n import N_, Text
from vae.models.posteriors import LOG_2PI

# log sigma^2 is kept in [LOGVAR_MIN, LOGVAR_MAX]: sigma from 0.01 to ~7.4. Without a
# floor, pixels that are always 0 (MNIST's border) drive sigma -> 0 and log p -> inf.
LOGVAR_MIN, LOGVAR_MAX = 2 * math.log(0.01), 4.0


class Likelihood(nn.Module):
    params_per_pixel = 1

    def log_prob(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def mean(self, out: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def sample(
        self, out: torch.Tensor, generator: torch.Generator | None = None, temperature: float = 1.0, top_k: int = 0
    ) -> torch.Tensor:
        """x ~ p(x|z) from the decoder's output, its randomness scaled by ``temperature`` (0: the mode).
        ``top_k`` applies to tokens (vae.models.sequence.TokenCategorical); a pixel draws from all its values."""
        raise NotImplementedError


class Bernoulli(Likelihood):
    def log_prob(self, out, x):
        return -F.binary_cross_entropy_with_logits(out, x, reduction="none").flatten(1).sum(1)

    def mean(self, out):
        return torch.sigmoid(out)

    def sample(self, out, generator=None, temperature=1.0, top_k=0):
        if temperature <= 0:
            return (out > 0).to(out.dtype)
        return torch.bernoulli(torch.sigmoid(out / temperature), generator=generator)


OUTPUT_LAYERS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": lambda out: out}


class Gaussian(Likelihood):
    """N(x'; mu(z), sigma^2) with ``variance`` fixed, learned (global) or per-pixel, mu = ``output``(out), on
    the values scaled to ``data_range``; :meth:`mean` and :meth:`sample` answer in [0, 1] again."""

    def __init__(self, variance: str, sigma: float, output: str = "sigmoid", data_range: str = "0,1"):
        super().__init__()
        self.variance, self.output, self.data_range = variance, output, data_range
        self.lo, self.hi = DATA_RANGES[data_range]
        self.params_per_pixel = 2 if variance == "per-pixel" else 1
        init = torch.tensor(2 * math.log(sigma))
        if variance == "learned":
            self.logvar = nn.Parameter(init)
        else:
            self.register_buffer("logvar", init)

    def split(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, log sigma^2) from the decoder output, in the model's data range."""
        f = OUTPUT_LAYERS[self.output]
        if self.variance == "per-pixel":
            raw_mu, raw_logvar = out.chunk(2, dim=1)
            return f(raw_mu), raw_logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)
        return f(out), self.logvar.clamp(LOGVAR_MIN, LOGVAR_MAX).to(out.dtype).expand_as(out)

    def log_prob(self, out, x):
        mu, logvar = self.split(out)
        lp = -0.5 * ((to_range(x, self.data_range) - mu) ** 2 * torch.exp(-logvar) + logvar + LOG_2PI)
        return lp.flatten(1).sum(1)

    def mean(self, out):
        return from_range(self.split(out)[0], self.data_range)

    def sample(self, out, generator=None, temperature=1.0, top_k=0):
        mu, logvar = self.split(out)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return from_range((mu + temperature * torch.exp(0.5 * logvar) * eps).clamp(self.lo, self.hi), self.data_range)


class Categorical(Likelihood):
    """Softmax over K levels per value (a grey pixel, or each channel of a colour one); level k stands for the value
    k / (K-1)."""

    def __init__(self, bins: int):
        super().__init__()
        self.bins = bins
        self.params_per_pixel = bins

    def logits(self, out: torch.Tensor) -> torch.Tensor:
        b, pc, h, w = out.shape
        return out.view(b, self.bins, pc // self.bins, h, w)  # (B, K, C, H, W)

    def log_prob(self, out, x):
        target = quantize(x, self.bins)
        return -F.cross_entropy(self.logits(out), target, reduction="none").flatten(1).sum(1)

    def _levels(self, like: torch.Tensor) -> torch.Tensor:
        return torch.linspace(0, 1, self.bins, device=like.device, dtype=like.dtype).view(1, -1, 1, 1, 1)

    def mean(self, out):
        p = torch.softmax(self.logits(out), dim=1)
        return (p * self._levels(out)).sum(1)

    def sample(self, out, generator=None, temperature=1.0, top_k=0):
        logits = self.logits(out).movedim(1, -1)  # (B, C, H, W, K)
        if temperature <= 0:
            return logits.argmax(-1).to(out.dtype) / (self.bins - 1)
        flat = torch.softmax(logits.reshape(-1, self.bins) / temperature, dim=-1)
        k = torch.multinomial(flat, 1, generator=generator).view(logits.shape[:-1])
        return k.to(out.dtype) / (self.bins - 1)


def make_likelihood(cfg: LikelihoodConfig) -> Likelihood:
    if cfg.name == "bernoulli":
        return Bernoulli()
    if cfg.name == "gaussian":
        return Gaussian(cfg.variance, cfg.sigma, cfg.output, cfg.data_range)
    return Categorical(cfg.bins)


def nats_scale(cfg: VAEConfig, kind: str = "image") -> Text:
    """What a model's nats (its distortion, -ELBO and -log p(x)) are nats *of*; only models of one data set and one
    scale may be compared. ``kind``: the modality's kind (image, tokens, series).

    A Gaussian gives a density (-log p(x|z) may be negative, and it shifts with the pixels' scale); a Bernoulli of
    binarized pixels and a categorical over K levels give probabilities (>= 0); a Bernoulli of grey levels gives a
    cross-entropy that is neither. A density and a probability of the same images differ by the bins' width,
    about P log K nats for P pixels, so a Gaussian model on mnist5k sits hundreds of nats below the Bernoulli ones.
    """
    if kind == "tokens":
        return Text(N_("a probability of the tokens (categorical over the vocabulary)"))
    name = cfg.likelihood.name
    if name == "gaussian":
        return Text(N_("a density (Gaussian): its nats may be negative"))
    if name == "categorical":
        return Text(N_("a probability of {bins} levels per value (categorical)"), bins=cfg.likelihood.bins)
    if cfg.data.binarize == "dynamic":
        return Text(N_("a probability of binarized pixels (Bernoulli)"))
    return Text(N_("a cross-entropy of grey levels (Bernoulli), not a probability of the data"))
