"""Heavy reports, computed once per checkpoint and stored in its metadata.

The collapse diagnostics (the IWAE bound with k = ``REPORT_IWAE_K``, the mutual
information I(x;z), active units) and, for data with known generative factors, the
disentanglement scores (MIG, SAP) take seconds to minutes. A classroom server must
not compute them again for every visitor, so they are computed when a model is
saved (``python -m vae train``, the web app's training jobs, ``make checkpoints``)
and stored under ``extra["reports"]`` in the checkpoint. A checkpoint from before
this (or uploaded without them) gets them computed once per server and cached.
"""

from __future__ import annotations

import json
from typing import Any

from vae.analysis.diagnostics import collapse_report, diagnosis
from vae.analysis.disentanglement import disentanglement_scores
from vae.analysis.evaluation import test_inputs
from vae.analysis.explore import posterior

REPORT_IWAE_K = 100
REPORTS_VERSION = 3  # 2: the KL decomposition, DCI and the FactorVAE score; 3: codes, no English prose
UPGRADABLE = (2,)  # versions whose numbers are current: only their wording is re-derived


def compute_reports(model, dataset, seed: int = 0) -> dict[str, Any]:
    """{"version", "collapse": collapse_report(test split, k=100), "disentanglement": scores or None}."""
    device = next(model.parameters()).device
    x = test_inputs(dataset.x_test, model.config, device)
    out: dict[str, Any] = {
        "version": REPORTS_VERSION,
        "collapse": collapse_report(model, x, iwae_k=REPORT_IWAE_K, seed=seed),
        "disentanglement": None,
    }
    if dataset.factors_test is not None:
        mu, _ = posterior(model, x)
        out["disentanglement"] = disentanglement_scores(mu, dataset.factors_test, dataset.factor_names)
    return json.loads(json.dumps(out, default=lambda a: a.tolist()))  # numpy arrays -> lists: JSON metadata


def stored_reports(extra: dict[str, Any] | None, config) -> dict[str, Any] | None:
    """The reports stored in a checkpoint's ``extra`` metadata, when present and current.

    Version 2 held the same numbers with English sentences (explanation, remedy titles and
    reasons, the verdict's rules): the sentences are dropped and the codes derived again
    from the numbers and the configuration (:func:`vae.analysis.diagnostics.diagnosis`).
    """
    rep = (extra or {}).get("reports")
    if not isinstance(rep, dict):
        return None
    old = rep.get("collapse")
    if rep.get("version") in UPGRADABLE and isinstance(old, dict):
        if old.get("verdict") not in ("healthy", "partial", "collapsed") or not isinstance(old.get("rate"), float):
            return None  # not what this tool wrote: computed again
        collapse = {k: v for k, v in old.items() if k not in ("explanation", "verdict_rules", "remedies")}
        collapse.update(diagnosis(config, old["verdict"], old["rate"]))
        return {**rep, "version": REPORTS_VERSION, "collapse": collapse}
    return rep if rep.get("version") == REPORTS_VERSION else None
