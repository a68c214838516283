"""The latent size d_z, read along a sweep that changes only d_z (same networks, data and epochs): the chapter's
"too small a d_z cannot hold what the data vary in; too large a one leaves units unused".

Per model, from its collapse report (:func:`vae.analysis.diagnostics.collapse_report`):

    -ELBO = distortion + rate       distortion = E_q[-log p(x|z)],  rate = KL(q(z|x) || p(z))
    active units A = #{j : Var_x E_q[z_j|x] > 0.01}   (Burda et al. 2016);  unused = d_z - A

Along the sweep (sorted by d_z):

    levels off at   the smallest d_z whose distortion is within ``LEVEL`` nats of the sweep's lowest
    units unused from   the smallest d_z with at least one inactive unit

An inactive unit's posterior is the prior for every x: the KL term pays nothing for it, and the decoder learns
to ignore it. Burda et al. found about 20 of 50 units active on MNIST after long training.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

LEVEL = 2.0  # nats: a distortion this close to the sweep's lowest counts as levelled off


def sweep_rows(reports: Iterable[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """One row per model (name, collapse report), sorted by d_z: ``latent_dim``, ``elbo``, ``distortion``,
    ``rate``, ``iwae_nll``, ``active_units``, ``unused`` and ``name``."""
    rows = [
        {
            "latent_dim": int(rep["latent_dim"]),
            "elbo": rep["elbo"],
            "distortion": rep["distortion"],
            "rate": rep["rate"],
            "iwae_nll": rep["iwae_nll"],
            "active_units": int(rep["active_units"]),
            "unused": int(rep["latent_dim"]) - int(rep["active_units"]),
            "name": name,
        }
        for name, rep in reports
    ]
    return sorted(rows, key=lambda r: r["latent_dim"])


def levels_off(rows: Sequence[Mapping[str, Any]], level: float = LEVEL) -> int | None:
    """The smallest d_z whose distortion is within ``level`` nats of the lowest of the sweep (None: no rows)."""
    if not rows:
        return None
    lowest = min(r["distortion"] for r in rows)
    return min(r["latent_dim"] for r in rows if r["distortion"] <= lowest + level)


def first_unused(rows: Sequence[Mapping[str, Any]]) -> int | None:
    """The smallest d_z that leaves at least one unit inactive (None: every model uses all of its units)."""
    return min((r["latent_dim"] for r in rows if r["unused"] > 0), default=None)


def most_active(rows: Sequence[Mapping[str, Any]]) -> int:
    """The most active units any model of the sweep has: past it, a larger d_z adds only unused units."""
    return max((r["active_units"] for r in rows), default=0)
