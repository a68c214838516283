"""Posterior-collapse diagnostics: rate, distortion, active units, I(x;z), a verdict.

For a model and a data split (all in nats per example):

  rate R       = E_x KL(q(z|x) || p(z)), and its split over dimensions KL_j
                 (Alemi et al. 2018)
  distortion D = E_x E_q[-log p(x|z)]
  active units = #{u : Var_x(E_q[z_u]) > 0.01}                (Burda et al. 2015)
  I(x; z)      = E_x E_q[log q(z|x)] - E_q(z)[log q(z)]       (He et al. 2019)
                 with the aggregate posterior q(z) = (1/B) sum_i q(z|x_i) over a batch
                 of B examples, so the estimate can never exceed log B.

The verdict (thresholds below, all documented in ``VERDICT_RULES``):

  collapsed  the rate is under COLLAPSED_RATE nats or no unit is active:
             z carries almost nothing about x
  partial    at least PARTIAL_INACTIVE_FRACTION of the latent dimensions are inactive
  healthy    otherwise
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from vae.analysis.evaluation import ACTIVE_UNIT_THRESHOLD, evaluate_full, kl_decomposition
from vae.models.vae import VAE

COLLAPSED_RATE = 0.5  # nats: below this the code holds less than one nat of anything
PARTIAL_INACTIVE_FRACTION = 0.25
MI_BATCH = 500
VERDICT_RULES = (
    f"collapsed: rate < {COLLAPSED_RATE} nats or 0 active units; "
    f"partial: at least {PARTIAL_INACTIVE_FRACTION:.0%} of the latent dimensions inactive "
    f"(Var_x E_q[z_u] <= {ACTIVE_UNIT_THRESHOLD}); healthy: otherwise"
)

WHAT_IS_COLLAPSE = (
    "Posterior collapse: the encoder's q(z|x) becomes the prior p(z) = N(0, I) for every x, "
    "so the KL term costs nothing but z also says nothing about x, and the decoder models "
    "the data on its own. It happens when the KL penalty (beta) outweighs what z is worth to "
    "the decoder, when the decoder is strong enough not to need z, or early in training "
    "before the decoder has learned to use z."
)


@dataclass
class Remedy:
    """A fix to try, with the configuration changes that apply it (``section.field``)."""

    title: str
    why: str
    changes: dict[str, Any] = field(default_factory=dict)


@torch.no_grad()
def mutual_information(model: VAE, x: torch.Tensor, batch_size: int = MI_BATCH, seed: int = 0) -> float:
    """He et al. (2019)'s estimate of I(x; z) under q, averaged over batches.

    With z_i ~ q(z|x_i):  I = mean_i [ log q(z_i|x_i) - log (1/B) sum_j q(z_i|x_j) ].
    Both terms use the same draws z_i (He et al. use the closed-form entropy for the
    first; sharing the draws cancels their noise, so an encoder that ignores x scores
    exactly 0). Bounded above by log(batch size).
    """
    device = next(model.parameters()).device
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    model.eval()
    vals, weights = [], []
    for s in range(0, len(x), batch_size):
        xb = x[s : s + batch_size].to(device)
        if len(xb) < 2:
            continue
        q = model.encode(xb)
        b = len(q)
        z = q.rsample(g)  # (b, d)
        log_q = q.pairwise_log_prob(z).sum(-1)  # (b, b): log q(z_i|x_j)
        log_qz = torch.logsumexp(log_q, dim=1) - math.log(b)
        vals.append((log_q.diagonal() - log_qz).mean().item())
        weights.append(b)
    return float(np.average(vals, weights=weights))


def verdict(rate: float, active_units: int, latent_dim: int) -> str:
    if rate < COLLAPSED_RATE or active_units == 0:
        return "collapsed"
    if (latent_dim - active_units) / latent_dim >= PARTIAL_INACTIVE_FRACTION:
        return "partial"
    return "healthy"


AR_LOW_RATE = 5.0  # nats: below it, an autoregressive decoder is taken to model x without z


def strong_decoder_collapse(config, verdict_: str, rate: float) -> bool:
    """The decoder is autoregressive, beta <= 1, and the rate is low: the decoder models x without z.

    The KL term is not what pushes q(z|x) to the prior here (beta is not above 1): a
    decoder that sees the earlier pixels can model x on its own, and any information
    in z then only costs KL (Chen et al. 2017; Gulrajani et al. 2016).
    """
    ob = config.objective
    return (config.decoder.arch == "pixelcnn" and ob.capacity is None and ob.beta <= 1
            and (verdict_ != "healthy" or rate < AR_LOW_RATE))


def weaker_pixelcnn(dec) -> dict[str, Any]:
    """Half the masked layers (at least one) and a 3x3 kernel: a narrower receptive field."""
    changes: dict[str, Any] = {"decoder.hidden": dec.hidden[: max(1, len(dec.hidden) // 2)]}
    if dec.kernel > 3:
        changes["decoder.kernel"] = 3
    return changes


def remedies(config, verdict_: str, rate: float | None = None) -> list[Remedy]:
    """Which knobs to turn for this configuration, most direct first."""
    strong = rate is not None and strong_decoder_collapse(config, verdict_, rate)
    if verdict_ == "healthy" and not strong:
        return []
    ob, out = config.objective, []
    if strong:
        from vae.models.pixelcnn import receptive_field

        dec, ch = config.decoder, weaker_pixelcnn(config.decoder)
        rf = receptive_field(len(dec.hidden), dec.kernel)["rows_up"]
        rf_new = receptive_field(len(ch["decoder.hidden"]), ch.get("decoder.kernel", dec.kernel))["rows_up"]
        out.append(Remedy("Weaken the decoder: fewer layers or a smaller kernel",
                          f"each pixel now sees {rf} rows up; with {rf_new} the decoder cannot draw a whole "
                          "digit from its own earlier pixels and must take the global shape from z "
                          "(Chen et al. 2017)", ch))
    if ob.capacity is None and ob.beta > 1:
        out.append(Remedy("Lower beta", f"beta = {ob.beta:g} weighs the KL term {ob.beta:g}x; "
                          "beta = 1 is the plain ELBO", {"objective.beta": 1.0}))
    if ob.kl_warmup == 0 and ob.capacity is None:
        warm = max(1.0, round(config.train.epochs / 2))
        out.append(Remedy("KL warm-up", "start with no KL penalty so the decoder learns to use z "
                          f"first, then raise it to beta over {warm:g} epochs (Bowman et al. 2016)",
                          {"objective.kl_warmup": warm}))
    if ob.free_bits == 0 and ob.capacity is None:
        out.append(Remedy("Free bits", "every dimension may keep lambda nats of KL without penalty, "
                          "so none is pushed all the way to the prior (Kingma et al. 2016)",
                          {"objective.free_bits": 0.5}))
    dec = config.decoder
    if dec.arch != "pixelcnn" and (len(dec.hidden) > 1 or any(h > 256 for h in dec.hidden)):
        weaker = [min(h, 256) for h in dec.hidden[:1]]
        out.append(Remedy("Weaker decoder", "a decoder that can model x alone has no use for z",
                          {"decoder.hidden": weaker}))
    if verdict_ == "partial" and config.latent_dim > 2:
        out.append(Remedy("Smaller latent size", "idle dimensions cost nothing but clutter traversals "
                          "and maps; fewer dimensions make each one count",
                          {"latent_dim": max(2, config.latent_dim // 2)}))
    return out


def explain(verdict_: str, numbers: dict[str, Any], config) -> str:
    """A paragraph a student can follow: what collapse is, and what the numbers say."""
    d = config.latent_dim
    au, rate, mi = numbers["active_units"], numbers["rate"], numbers["mutual_info"]
    facts = (f"Here {au} of {d} latent dimensions are active (their posterior means vary across "
             f"inputs by more than {ACTIVE_UNIT_THRESHOLD}), the rate is {rate:.2f} nats and z holds "
             f"about {mi:.2f} nats of information about x (at most {numbers['mutual_info_max']:.2f} "
             f"measurable with batches of {numbers['mi_batch']}).")
    if strong_decoder_collapse(config, verdict_, rate):
        return (f"{facts} The cause is the decoder, not the KL weight (beta = {config.objective.beta:g}): "
                "it is autoregressive (pixelcnn), so it models x without z, pixel by pixel from the pixels "
                "before. Any information in z only costs KL, and the ELBO is best with q(z|x) close to the "
                "prior. Weaken the decoder (fewer layers or a smaller kernel: a smaller receptive field), "
                "or make z cheap to use with free bits or KL warm-up.")
    if verdict_ == "collapsed":
        return (f"{WHAT_IS_COLLAPSE} {facts} That is collapse: the decoder ignores z, so reconstructions "
                "look alike and traversals change nothing.")
    if verdict_ == "partial":
        return (f"{facts} Some dimensions have collapsed to the prior while the rest carry the code. "
                f"A few idle dimensions are normal (the model uses only as many as it needs), but with "
                f"{d - au} of {d} idle the latent space is partly collapsed. {WHAT_IS_COLLAPSE}")
    return f"{facts} The code is in use: no sign of posterior collapse."


def collapse_report(model: VAE, x: torch.Tensor, iwae_k: int = 100, seed: int = 0,
                    mi_batch: int = MI_BATCH, iwae_num: int | None = None) -> dict[str, Any]:
    """All the collapse diagnostics for ``model`` on images ``x`` (as the likelihood sees them).

    The IWAE bound is scored on the first ``iwae_num`` examples (default: all, but a
    bounded number for an autoregressive decoder, see ``evaluation.iwae_examples``).
    """
    ev = evaluate_full(model, x, iwae_k=iwae_k, seed=seed, iwae_num=iwae_num)
    b = min(mi_batch, len(x))
    kl = np.asarray(ev["kl_per_dim"])
    numbers = {
        "kl_per_dim": ev["kl_per_dim"],
        "kl_order": np.argsort(-kl, kind="stable").tolist(),  # most informative first
        "rate": ev["kl"],
        "distortion": ev["reconstruction"],
        "elbo": ev["elbo"],
        "au_variance": ev["au_variance"],
        "active_units": ev["active_units"],
        "au_threshold": ACTIVE_UNIT_THRESHOLD,
        "mutual_info": mutual_information(model, x, b, seed),
        "mutual_info_max": math.log(b),
        "mi_batch": b,
        "iwae_nll": ev["iwae_nll"],
        "iwae_k": iwae_k,
        "iwae_num": ev["iwae_num"],
        "kl_decomposition": kl_decomposition(model, x, generator=torch.Generator(device=x.device).manual_seed(seed)),
        "num": ev["num"],
        "latent_dim": model.latent_dim,
    }
    v = verdict(numbers["rate"], numbers["active_units"], model.latent_dim)
    numbers["verdict"] = v
    numbers["verdict_rules"] = VERDICT_RULES
    numbers["explanation"] = explain(v, numbers, model.config)
    numbers["remedies"] = [r.__dict__ for r in remedies(model.config, v, numbers["rate"])]
    return numbers


def kl_history(history: list[dict[str, Any]]) -> np.ndarray:
    """KL per dimension across epochs, shape (epochs, latent_dim): when each unit woke or died."""
    rows = [h["kl_per_dim"] for h in history if "kl_per_dim" in h]
    return np.asarray(rows, dtype=float) if rows else np.zeros((0, 0))
