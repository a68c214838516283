"""Batch norm couples a batch: in training mode, one example's -ELBO depends on the other examples of its batch.

A BatchNorm layer in training mode normalises each feature by the statistics of the batch B it is given,

    y_i = gamma (h_i - mean_B(h)) / sqrt(var_B(h) + eps) + beta,

so q(z|x_i), and p(x_i|z_i) through the decoder's layers, are functions of every example of B, not of x_i alone:
the ELBO stops being a sum of per-example terms. In evaluation mode it uses the running averages fixed during
training, and a LayerNorm normalises each example by its own features: neither depends on B.

:func:`batch_coupling` scores one test example x_0 in training mode inside several batches (:data:`CONTEXTS`: 127
others of its own class, 127 random ones, 127 blank images, a batch of two) and in evaluation mode; the spread is
the largest minus the smallest -ELBO. Everything else is held fixed, so that only the batch moves the number:

* x_0's reparameterisation noise eps_0 (K draws) is the same in every batch, and so is every other row's;
* only the normalisation layers are put in training mode (dropout stays off) on a float64 copy of the model (the
  running statistics of the model itself are untouched; float64 keeps the batch size's effect on the matrix
  products' rounding far below 1e-4 nats);

    -ELBO(x_0 | B) = 1/K sum_k [-log p(x_0 | z_0k)] + KL(q(z|x_0) || p(z)),   z_0k = mu_0 + sigma_0 eps_0k

(the KL in closed form, or at the draws where it has none). :func:`train_mode_gap` is the test split's -ELBO
scored in random training-size batches in training mode minus the same in evaluation mode.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from vae.i18n import N_
from vae.models.networks import NORM_TYPES
from vae.models.vae import VAE

BATCH = 128  # the batches the example is scored in (the pytorch/examples batch size)
SAMPLES = 16  # draws of eps_0 averaged in each -ELBO
COUPLING_SEED = 0
CONTEXTS = ("same class", "random", "blank", "pair")  # the batches x_0 is scored in, training mode
TRAIN, EVAL = N_("training mode"), N_("evaluation mode")  # the modes x_0 is scored in


def has_batch_norm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def scoring_copy(model: VAE, norms_in_training_mode: bool) -> VAE:
    """A float64 copy of ``model`` in evaluation mode, with its normalisation layers in training mode when asked
    (batch statistics, dropout still off); the running averages it updates are the copy's."""
    twin = copy.deepcopy(model).double().eval()
    if norms_in_training_mode:
        for m in twin.modules():
            if isinstance(m, NORM_TYPES):
                m.train()
    return twin


@torch.no_grad()
def example_elbo(twin: VAE, batch: torch.Tensor, eps: torch.Tensor) -> dict[str, Any]:
    """-ELBO, reconstruction and KL of row 0 of ``batch`` (float64) with noise ``eps`` (K, B, D), and its decoded
    posterior mean (the picture)."""
    q = twin.encode(batch)  # the encoder's output depends on the batch alone: computed once for every draw
    terms = [elbo_terms(twin, q, batch, e) for e in eps]
    rec = float(sum(r[0] for r, _ in terms)) / len(eps)
    kl = float(sum(k[0] for _, k in terms)) / len(eps)
    picture = twin.decode_mean(q.mean)[0].float()
    return {"elbo": rec + kl, "reconstruction": rec, "kl": kl, "picture": picture}


def elbo_terms(twin: VAE, q, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(-log p(x|z), KL) per example (B,) at z from the noise ``eps`` (B, D) through q = q(z|x)."""
    z, log_q = q.transform(eps)
    rec = -twin.log_px_z(z, x)
    return rec, twin.kl_dims(q, z, log_q).sum(-1)


def context_batches(x: torch.Tensor, labels: torch.Tensor | None, index: int, generator: torch.Generator):
    """context -> a batch with x[index] as its row 0: 127 others of its class (where labels say which), 127 random
    examples, 127 blank ones (zeros), one random other."""
    others = torch.cat([torch.arange(index), torch.arange(index + 1, len(x))])
    shuffled = others[torch.randperm(len(others), generator=generator)]
    x0 = x[index : index + 1]
    batches = {"random": torch.cat([x0, x[shuffled[: BATCH - 1]]]), "pair": torch.cat([x0, x[shuffled[:1]]])}
    if labels is not None:
        same = shuffled[labels[shuffled] == labels[index]][: BATCH - 1]
        if len(same):
            batches["same class"] = torch.cat([x0, x[same]])
    batches["blank"] = torch.cat([x0, torch.zeros_like(x[: BATCH - 1])])
    return {c: batches[c] for c in CONTEXTS if c in batches}


def batch_coupling(
    model: VAE, x: torch.Tensor, labels: Any = None, index: int = 0, seed: int = COUPLING_SEED
) -> dict[str, Any]:
    """x[index]'s -ELBO in each context of :func:`context_batches` in training mode, and in evaluation mode in
    every one of them (the module's docstring).

    Returns {"rows": [{"context", "mode", "batch_size", "elbo", "reconstruction", "kl", "picture"}], "spread_train",
    "spread_eval"} (nats: the largest minus the smallest -ELBO of the training-mode rows, of the evaluation-mode
    ones). ``x`` is as the likelihood sees it (:func:`vae.analysis.evaluation.test_inputs`).
    """
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    labels = None if labels is None else torch.as_tensor(labels)
    batches = {c: b.to(device).double() for c, b in context_batches(x.cpu(), labels, index, g).items()}
    eps = torch.randn(SAMPLES, BATCH, model.latent_dim, generator=g, dtype=torch.float64).to(device)
    rows = []
    for mode, twin in ((TRAIN, scoring_copy(model, True)), (EVAL, scoring_copy(model, False))):
        for context, batch in batches.items():
            r = example_elbo(twin, batch, eps[:, : len(batch)])
            rows.append({"context": context, "mode": mode, "batch_size": len(batch), **r})
    train = [r["elbo"] for r in rows if r["mode"] != EVAL]
    evals = [r["elbo"] for r in rows if r["mode"] == EVAL]
    return {"rows": rows, "spread_train": max(train) - min(train), "spread_eval": max(evals) - min(evals)}


@torch.no_grad()
def train_mode_gap(model: VAE, x: torch.Tensor, batch_size: int, seed: int = COUPLING_SEED) -> dict[str, float]:
    """The -ELBO of ``x`` (one posterior draw, the same noise in both modes) scored in evaluation mode and in
    training mode in random batches of ``batch_size``: {"eval", "train", "gap": train - eval}, nats per example."""
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=g).to(device)
    eps = torch.randn(len(x), model.latent_dim, generator=g, dtype=torch.float64).to(device)
    out = {}
    for mode, train in (("eval", False), ("train", True)):
        twin, total = scoring_copy(model, train), 0.0
        for s in range(0, len(x), batch_size):
            idx = order[s : s + batch_size]
            xb = x[idx].double()
            rec, kl = elbo_terms(twin, twin.encode(xb), xb, eps[idx])
            total += float((rec + kl).sum())
        out[mode] = total / len(x)
    out["gap"] = out["train"] - out["eval"]
    return out
