"""Posterior-collapse diagnostics: rate, distortion, active units, I(x;z), a verdict.

For a model and a data split (all in nats per example):

  rate R       = E_x KL(q(z|x) || p(z)), and its split over dimensions KL_j
                 (Alemi et al. 2018)
  distortion D = E_x E_q[-log p(x|z)]
  active units = #{u : Var_x(E_q[z_u]) > 0.01}                (Burda et al. 2015)
  I(x; z)      = E_x E_q[log q(z|x)] - E_q(z)[log q(z)]       (He et al. 2019)
                 with the aggregate posterior q(z) = (1/N) sum_i q(z|x_i) over the N examples
                 of the data set (at most AGGREGATE_EXAMPLES), so it can never exceed log N;
                 the KL decomposition (Chen et al. 2018) uses the same q(z).

The verdict weighs what z carries, not only how many units move (thresholds below, in
``VERDICT_THRESHOLDS``). A unit is *used* when it is active and its KL_j is at least
INFORMATIVE_KL nats: a unit whose mean varies a little but which carries less is idle.

  collapsed  the rate is under COLLAPSED_RATE nats or no unit is used:
             z carries almost nothing about x
  partial    at least PARTIAL_INACTIVE_FRACTION of the latent dimensions are not used
  weak       the KL weight is above 1 and the used units carry under WEAK_RATE_PER_UNIT nats
             each on average: every unit moves, but the code holds a few nats and the
             reconstructions pay for it (beta = 50 with free bits 0.5: 16 of 16 active,
             4.3 nats, distortion 193 against 102 at beta = 1)
  healthy    otherwise
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from vae.analysis.evaluation import ACTIVE_UNIT_THRESHOLD, AGGREGATE_OUTER, aggregate_posterior_terms, evaluate_full
from vae.analysis.inference import grid_nll, has_grid_nll
from vae.config import AUTOREGRESSIVE_SEQUENCE_DECODERS
from vae.config.datasets import kind_of
from vae.config.run import default_hidden
from vae.models import wavenet
from vae.models.pixelcnn import receptive_field
from vae.models.vae import VAE

COLLAPSED_RATE = 0.5  # nats: below this the code holds less than one nat of anything
PARTIAL_INACTIVE_FRACTION = 0.25
INFORMATIVE_KL = 0.1  # nats: an active unit carrying less than this is idle
WEAK_RATE_PER_UNIT = 1.0  # nats a used unit holds on average, below which a beta > 1 model is weak
VERDICT_THRESHOLDS = {
    "collapsed_rate": COLLAPSED_RATE,
    "partial_inactive_fraction": PARTIAL_INACTIVE_FRACTION,
    "active_unit_threshold": ACTIVE_UNIT_THRESHOLD,
    "informative_kl": INFORMATIVE_KL,
    "weak_rate_per_unit": WEAK_RATE_PER_UNIT,
}


@dataclass
class Remedy:
    """A fix to try, named by a code (``REMEDIES``), with the configuration changes that apply it
    (``section.field``) and the numbers a sentence about it needs. :mod:`vae.wording` words it."""

    code: str
    changes: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


REMEDIES = (
    "weaken_pixelcnn",
    "weaken_wavenet",
    "word_dropout",
    "lower_beta",
    "kl_warmup",
    "free_bits",
    "weaker_decoder",
    "smaller_latent",
)


def mutual_information(model: VAE, x: torch.Tensor, seed: int = 0, outer: int = AGGREGATE_OUTER) -> float | None:
    """He et al. (2019)'s I(x; z) under q with the aggregate posterior of all of ``x`` (at most log len(x));
    None for a flow posterior. See :func:`vae.analysis.evaluation.aggregate_posterior_terms`."""
    g = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
    terms = aggregate_posterior_terms(model, x, generator=g, outer=outer)
    return None if terms is None else terms["mutual_info"]


def used_units(au_variance, kl_per_dim) -> int:
    """Units that are active (Var_x E_q[z_u] > ACTIVE_UNIT_THRESHOLD) and carry at least INFORMATIVE_KL nats; where
    the KL does not split over dimensions (a flow posterior, the VampPrior), the active ones."""
    active = [v > ACTIVE_UNIT_THRESHOLD for v in au_variance]
    if kl_per_dim is None:
        return sum(active)
    return sum(a and kl >= INFORMATIVE_KL for a, kl in zip(active, kl_per_dim))


def verdict(rate: float, used: int, latent_dim: int, beta: float = 1.0) -> str:
    """collapsed, partial, weak or healthy (the module's docstring); ``used``: :func:`used_units`."""
    if rate < COLLAPSED_RATE or used == 0:
        return "collapsed"
    if (latent_dim - used) / latent_dim >= PARTIAL_INACTIVE_FRACTION:
        return "partial"
    if beta > 1 and rate / used < WEAK_RATE_PER_UNIT:
        return "weak"
    return "healthy"


AR_LOW_RATE = 5.0  # nats: below it, an autoregressive decoder is taken to model x without z
AUTOREGRESSIVE_DECODERS = ("pixelcnn", "wavenet", *AUTOREGRESSIVE_SEQUENCE_DECODERS)
WORD_DROPOUT_REMEDY = 0.5  # the share of input tokens a text decoder is given as <unk> (Bowman et al. 2016)


def strong_decoder_collapse(config, verdict_: str, rate: float) -> bool:
    """The decoder is autoregressive, beta <= 1, and the rate is low: the decoder models x without z.

    The KL term is not what pushes q(z|x) to the prior here (beta is not above 1): a
    decoder that sees the earlier pixels can model x on its own, and any information
    in z then only costs KL (Chen et al. 2017; Gulrajani et al. 2016).
    """
    ob = config.objective
    return (
        config.decoder.arch in AUTOREGRESSIVE_DECODERS
        and ob.capacity is None
        and ob.beta <= 1
        and (verdict_ != "healthy" or rate < AR_LOW_RATE)
    )


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
    dec = config.decoder
    if strong and dec.arch == "pixelcnn":
        ch = weaker_pixelcnn(dec)
        rf = receptive_field(len(dec.hidden), dec.kernel)["rows_up"]
        rf_new = receptive_field(len(ch["decoder.hidden"]), ch.get("decoder.kernel", dec.kernel))["rows_up"]
        out.append(Remedy("weaken_pixelcnn", ch, {"rows_up": rf, "rows_up_after": rf_new}))
    elif strong and dec.arch == "wavenet":  # half the causal layers: a field of about the square root of the steps
        fewer = dec.hidden[: max(1, len(dec.hidden) // 2)]
        steps = {n: wavenet.receptive_field(len(h), dec.kernel) for n, h in (("steps", dec.hidden), ("after", fewer))}
        out.append(Remedy("weaken_wavenet", {"decoder.hidden": fewer}, steps))
    elif strong and kind_of(config.data.name) == "series":  # gru, lstm, transformer: every step at once from z
        out.append(Remedy("weaker_decoder", {"decoder.arch": "cnn", "decoder.hidden": default_hidden("cnn")[::-1]}))
    elif strong and dec.word_dropout < WORD_DROPOUT_REMEDY:  # a token decoder: weaken what it reads of x
        out.append(Remedy("word_dropout", {"decoder.word_dropout": WORD_DROPOUT_REMEDY}))
    if ob.capacity is None and ob.beta > 1:
        out.append(Remedy("lower_beta", {"objective.beta": 1.0}, {"beta": ob.beta}))
    if ob.kl_warmup == 0 and ob.capacity is None and verdict_ != "weak":  # warm-up wakes units, not a small code
        warm = max(1.0, round(config.train.epochs / 2))
        out.append(Remedy("kl_warmup", {"objective.kl_warmup": warm}, {"epochs": warm}))
    if ob.capacity is None and (ob.free_bits == 0 or verdict_ == "weak"):  # weak: grant each unit more
        out.append(Remedy("free_bits", {"objective.free_bits": max(0.5, 4 * ob.free_bits)}))
    if dec.arch not in AUTOREGRESSIVE_DECODERS and (len(dec.hidden) > 1 or any(h > 256 for h in dec.hidden)):
        out.append(Remedy("weaker_decoder", {"decoder.hidden": [min(h, 256) for h in dec.hidden[:1]]}))
    if verdict_ == "partial" and config.latent_dim > 2:
        out.append(Remedy("smaller_latent", {"latent_dim": max(2, config.latent_dim // 2)}))
    return out


def with_diagnosis(report: dict[str, Any], config) -> dict[str, Any]:
    """A stored report with its diagnosis made again from ``config``: the cause and the remedies are cheap codes
    derived from the verdict and the rate, so a report stored before a change of them reads as now."""
    return {**report, **diagnosis(config, report["verdict"], report["rate"])}


def diagnosis(config, verdict_: str, rate: float) -> dict[str, Any]:
    """The codes a report words: the cause (``"strong_decoder"`` when an autoregressive decoder models x
    without z, else None), the KL weight, the remedies and the verdict's thresholds."""
    return {
        "cause": "strong_decoder" if strong_decoder_collapse(config, verdict_, rate) else None,
        "decoder_arch": config.decoder.arch,
        "data_kind": kind_of(config.data.name),
        "beta": config.objective.beta,
        "verdict_thresholds": VERDICT_THRESHOLDS,
        "remedies": [r.__dict__ for r in remedies(config, verdict_, rate)],
    }


def collapse_report(
    model: VAE,
    x: torch.Tensor,
    iwae_k: int = 100,
    seed: int = 0,
    iwae_num: int | None = None,
    aggregate: torch.Tensor | None = None,
) -> dict[str, Any]:
    """All the collapse diagnostics for ``model`` on examples ``x`` (as the likelihood sees them).

    The IWAE bound is scored on the first ``iwae_num`` examples (default: all, but a
    bounded number for an autoregressive decoder, see ``evaluation.iwae_examples``).
    I(x;z) and the KL decomposition take the aggregate posterior of ``aggregate`` (default ``x``;
    the reports pass the whole data set, :func:`vae.analysis.evaluation.aggregate_inputs`), so their
    cap is log N with N = ``aggregate_num``. For a 2-D latent (and a decoder that is not autoregressive),
    ``nll`` is -log p(x) itself, integrated on a grid (:func:`vae.analysis.inference.grid_nll`), and
    ``nll_exact`` is true; otherwise ``nll`` is the IWAE bound.
    """
    ev = evaluate_full(model, x, iwae_k=iwae_k, seed=seed, iwae_num=iwae_num)
    kl = None if ev["kl_per_dim"] is None else np.asarray(ev["kl_per_dim"])
    agg_x = x if aggregate is None else aggregate
    agg = aggregate_posterior_terms(model, agg_x, generator=torch.Generator(device=x.device).manual_seed(seed))
    exact = grid_nll(model, x[: ev["iwae_num"]]) if has_grid_nll(model) else None
    numbers = {
        "kl_per_dim": ev["kl_per_dim"],
        "kl_order": None if kl is None else np.argsort(-kl, kind="stable").tolist(),  # most informative first
        "rate": ev["kl"],
        "distortion": ev["reconstruction"],
        "elbo": ev["elbo"],
        "au_variance": ev["au_variance"],
        "active_units": ev["active_units"],
        "au_threshold": ACTIVE_UNIT_THRESHOLD,
        "mutual_info": None if agg is None else agg["mutual_info"],
        "mutual_info_max": math.log(len(agg_x)),
        "aggregate_num": len(agg_x),
        "aggregate_outer": None if agg is None else agg["outer"],
        "iwae_nll": ev["iwae_nll"],
        "iwae_k": iwae_k,
        "iwae_num": ev["iwae_num"],
        "nll": ev["iwae_nll"] if exact is None else exact,
        "nll_exact": exact is not None,
        "kl_decomposition": None if agg is None else agg.get("decomposition"),
        "num": ev["num"],
        "latent_dim": model.latent_dim,
    }
    numbers["used_units"] = used_units(ev["au_variance"], ev["kl_per_dim"])
    v = verdict(numbers["rate"], numbers["used_units"], model.latent_dim, model.config.objective.beta)
    numbers["verdict"] = v
    numbers.update(diagnosis(model.config, v, numbers["rate"]))
    return numbers


def kl_history(history: list[dict[str, Any]]) -> np.ndarray:
    """KL per dimension across epochs, shape (epochs, latent_dim): when each unit woke or died."""
    rows = [h["kl_per_dim"] for h in history if h.get("kl_per_dim") is not None]
    return np.asarray(rows, dtype=float) if rows else np.zeros((0, 0))
