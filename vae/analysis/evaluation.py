"""Evaluation of a trained VAE on a data split: ELBO terms, active units, IWAE bound.

All numbers are in nats per example. The negative ELBO is a loss (lower is better):

    -ELBO = E_q[-log p(x|z)] + KL(q(z|x) || p(z))        (one posterior sample)

Active units (Burda et al. 2015): dimension u is active when Var_x(E_q[z_u]) > 0.01.
The IWAE estimate of -log p(x) uses k importance samples (see ``objectives``).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from vae.config import VAEConfig
from vae.data import load_dataset
from vae.data.transforms import binarize
from vae.errors import DataError
from vae.i18n import N_
from vae.models.likelihoods import Gaussian
from vae.models.posteriors import DiagonalGaussian
from vae.models.vae import VAE
from vae.objectives.iwae import iwae_log_px
from vae.objectives.total_correlation import kl_decomposition_terms

ACTIVE_UNIT_THRESHOLD = 0.01
EVAL_SEED_OFFSET = 2  # posterior noise at evaluation: seed + 2
TEST_BINARIZE_SEED_OFFSET = 1  # the one fixed binarization of the test split: seed + 1


def test_inputs(x: torch.Tensor, config: VAEConfig, device: torch.device | str) -> torch.Tensor:
    """The test images as the likelihood sees them.

    Under dynamic binarization the test split is binarized once, with a fixed seed,
    so that every evaluation of every epoch scores the same binary images.
    """
    x = x.to(device)
    if config.data.binarize == "dynamic":
        g = torch.Generator(device=x.device)
        g.manual_seed(config.train.seed + TEST_BINARIZE_SEED_OFFSET)
        x = binarize(x, g)
    return x


@torch.no_grad()
def evaluate(
    model: VAE,
    x: torch.Tensor,
    batch_size: int = 1000,
    generator: torch.Generator | None = None,
) -> dict[str, Any]:
    """Negative ELBO, reconstruction, KL, KL per dimension and active units on ``x``.

    All in nats per example (one posterior sample per example). Active units count
    the dimensions u with Var_x(E_q[z_u]) > 0.01; ``au_variance`` holds the variances. A Gaussian
    likelihood adds ``sigma``: exp(mean log sigma) over the pixels of the examples' decodings (with a fixed or
    learned global variance, sigma itself).
    The KL of a flow posterior or against the VampPrior does not split over dimensions: its
    ``kl_per_dim`` is None.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    rec_sum = torch.zeros((), device=device, dtype=torch.float64)
    per_dim = model.closed_form_kl
    kl_sum = torch.zeros(model.latent_dim if per_dim else 1, device=device, dtype=torch.float64)
    gaussian = isinstance(model.likelihood, Gaussian)
    logvar_sum = torch.zeros((), device=device, dtype=torch.float64)
    mus = []
    for s in range(0, len(x), batch_size):
        xb = x[s : s + batch_size].to(device)
        out = model(xb, generator)
        rec_sum += out.rec.double().sum()
        kl_sum += out.kl_dims.double().sum(0)
        mus.append(out.posterior.mean)
        if gaussian:
            logvar_sum += model.likelihood.split(out.params)[1].double().flatten(1).mean(1).sum()
    model.train(was_training)
    n = len(x)
    mu = torch.cat(mus)
    var = mu.double().var(0, unbiased=False) if n > 1 else torch.zeros(model.latent_dim, dtype=torch.float64)
    rec, kl_d = (rec_sum / n).item(), (kl_sum / n).tolist()
    kl = float(sum(kl_d))
    extra = {"sigma": math.exp(0.5 * float(logvar_sum) / n)} if gaussian else {}
    return {
        **extra,
        "elbo": rec + kl,
        "reconstruction": rec,
        "kl": kl,
        "kl_per_dim": kl_d if per_dim else None,
        "au_variance": var.tolist(),
        "active_units": int((var > ACTIVE_UNIT_THRESHOLD).sum().item()),
        "num": n,
    }


AGGREGATE_EXAMPLES = 10_000  # the aggregate posterior q(z) is the mixture of at most this many examples' q(z|x)
AGGREGATE_OUTER = 2_000  # examples whose codes z_i ~ q(z|x_i) average the terms below
PAIR_BLOCK = 20_000_000  # floats of one (codes, examples, latents) block of log q(z_i,d|x_j,d)


def aggregate_inputs(dataset, config: VAEConfig, device, max_examples: int = AGGREGATE_EXAMPLES) -> torch.Tensor:
    """The examples whose posteriors make the aggregate q(z): the test split, then the training split, at most
    ``max_examples``, as the likelihood sees them (each split binarized once, with a fixed seed, under dynamic
    binarization)."""
    x = test_inputs(dataset.x_test[:max_examples], config, device)
    rest = max_examples - len(x)
    if rest > 0 and len(dataset.x_train):
        x = torch.cat([x, test_inputs(dataset.x_train[:rest], config, device)])
    return x


@torch.no_grad()
def aggregate_posterior_terms(
    model: VAE, x: torch.Tensor, generator: torch.Generator | None = None, outer: int = AGGREGATE_OUTER
) -> dict[str, float] | None:
    """The mutual information I(x;z) and the KL split into index-code MI, total correlation and dimension-wise
    KL, with the aggregate posterior of all of ``x`` (nats per example); None for a flow posterior (the
    estimator needs log q(z_i|x_j) for every pair).

    q(z) = (1/N) sum_j q(z|x_j) over all N examples of ``x``, evaluated exactly, so the terms are those of the
    data set's empirical distribution (Chen et al. 2018 with the whole set as the batch; He et al. 2019's I(x;z)
    is the index-code MI). Their expectation over x is averaged over ``outer`` examples drawn at random, one
    z_i ~ q(z|x_i) each:

        I(x;z) = index-code MI = mean_i [log q(z_i|x_i) - log q(z_i)]          at most log N
        TC                     = mean_i [log q(z_i) - sum_d log q(z_i,d)]
        dimension-wise KL      = mean_i [sum_d log q(z_i,d) - log p(z_i)]

    The last two need a prior that factorises (N(0, I)); against the VampPrior only I(x;z) is given. The
    three sum to the one-sample KL of the ``outer`` codes.
    """
    if model.flow is not None:
        return None
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    x = x.to(device)
    parts = [model.encode(x[s : s + 1000]) for s in range(0, len(x), 1000)]
    q = DiagonalGaussian(torch.cat([p.mu for p in parts]), torch.cat([p.logvar for p in parts]))
    n, d = q.mu.shape
    pick = torch.randperm(n, generator=generator, device="cpu")[:outer].to(device)
    qi = q[pick]
    z = qi.rsample(generator)
    log_n = math.log(n)
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    block = max(1, PAIR_BLOCK // (n * d))
    for s in range(0, len(z), block):  # a (block, N, D) slab of log q(z_i,d|x_j,d) at a time
        terms = kl_decomposition_terms(z[s : s + block], q, log_n, own=qi[s : s + block])
        sums += torch.stack([t.double().sum() for t in terms])
    model.train(was_training)
    mi, tc, dw = (sums / len(z)).tolist()
    out = {"mutual_info": mi, "num": n, "outer": len(z), "log_n": log_n}
    if model.closed_form_kl:  # the last two need a prior that factorises
        out["decomposition"] = {"index_code_mi": mi, "total_correlation": tc, "dimwise_kl": dw}
    return out


AR_IWAE_PASSES = 20_000  # decoder passes the IWAE bound of an autoregressive model may take (k=100: 200 examples)


def iwae_examples(model: VAE, n: int, k: int) -> int:
    """How many of ``n`` examples the IWAE bound scores: all, or for an autoregressive decoder
    (a full convolutional pass per importance sample) the first AR_IWAE_PASSES / k, at least 100."""
    return n if not model.autoregressive else min(n, max(100, AR_IWAE_PASSES // k))


def evaluate_full(
    model: VAE, x: torch.Tensor, iwae_k: int = 100, seed: int = 0, iwae_num: int | None = None
) -> dict[str, Any]:
    """:func:`evaluate` plus ``iwae_nll``, the IWAE estimate of -log p(x) with k samples.

    ``seed`` is the run's seed: the ELBO terms then use the same posterior noise as
    the trainer's final evaluation and reproduce its numbers exactly. The bound is
    averaged over the first ``iwae_num`` examples (default :func:`iwae_examples`),
    reported as ``iwae_num``.
    """
    device = next(model.parameters()).device
    g = torch.Generator(device=device)
    g.manual_seed(seed + EVAL_SEED_OFFSET)
    out = evaluate(model, x, generator=g)
    model.eval()
    n = iwae_examples(model, len(x), iwae_k) if iwae_num is None else min(iwae_num, len(x))
    nll = []
    for s in range(0, n, 500):
        nll.append(-iwae_log_px(model, x[s : min(n, s + 500)].to(device), iwae_k, generator=g).double())
    out["iwae_nll"] = float(torch.cat(nll).mean())
    out["iwae_k"] = iwae_k
    out["iwae_num"] = n
    out["num_test"] = out["num"]
    return out


def checkpoint_split(ck, split: str = "test", data_root: str | None = None):
    """The dataset a checkpoint was trained on and one split as its likelihood sees it.

    Returns (dataset, x on the model's device, labels, factors or None). Refuses a
    dataset whose image shape differs from the model's.
    """

    if data_root:
        ck.config.data.data_root = data_root
    ds = load_dataset(ck.config.data)
    if tuple(ds.x_shape) != tuple(ck.x_shape):
        raise DataError(
            N_("dataset {name} holds examples of shape {shape}; the model expects {value}"),
            name=ds.name,
            shape=ds.x_shape,
            value=tuple(ck.x_shape),
        )
    x, y = ds.split(split)
    device = next(ck.model.parameters()).device
    x = test_inputs(x, ck.config, device) if split == "test" else x.to(device)
    return ds, x, y.numpy(), ds.factors(split)
