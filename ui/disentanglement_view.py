"""The Disentanglement page's panels: one model's scores, and every model with factors side by side."""

from __future__ import annotations

import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.models import load
from ui.widgets import make_clicked_model_current
from vae.figures.plots import kl_decomposition_bars, mig_vs_distortion


def scores_panel(scores: dict) -> None:
    """MIG, SAP, DCI and the FactorVAE score of one model, and each factor's latent with its MIG and SAP."""
    d = scores.get("dci")
    n = scores["num"]
    cols = st.columns(2)
    cols[0].metric(
        "MIG",
        f"{scores['mig']:.3f}",
        help=tr(
            "disentanglement_lib's discrete MIG over {n} codes (posterior means in 20 bins): the mean over factors "
            "of the gap between the two latents most informative about it, over its entropy",
            n=n["train"] + n["test"],
        ),
    )
    cols[1].metric(
        "SAP",
        f"{scores['sap']:.3f}",
        help=tr(
            "disentanglement_lib's SAP: a linear SVM per latent and factor fitted on {train} training codes; the gap "
            "of the two best test accuracies on {test} test codes",
            **n,
        ),
    )
    if d is not None:
        cols = [st.container(), st.container()]  # one under the other: side by side, their labels were cut off
        cols[0].metric(
            tr("DCI disentanglement"),
            f"{d['disentanglement']:.3f}",
            help=tr(
                "disentanglement_lib's DCI: gradient-boosted trees per factor fitted on {train} training codes; "
                "informativeness is their accuracy on {test} test codes",
                **n,
            ),
        )
        cols[1].metric(
            tr("FactorVAE score"),
            f"{scores['factorvae_score']:.3f}",
            help=tr(
                "disentanglement_lib's: latents whose posterior mean has an sd under 0.05 are pruned "
                "({active} of {d} kept); 10,000 training and 10,000 evaluation votes over {n} codes",
                active=len(scores["factorvae_active"]),
                d=len(scores["mi_matrix"]),
                n=n["train"] + n["test"],
            ),
        )
        st.caption(
            tr(
                "DCI completeness {c:.3f}, informativeness {i:.3f}.",
                c=d["completeness"],
                i=d["informativeness"],
            )
        )
    st.dataframe(
        [
            {tr("factor"): tr(f), tr("latent"): f"z{v['latent']}", "MIG": v["mig"], "SAP": v["sap"]}
            for f, v in scores["factors"].items()
        ],
        hide_index=True,
        key="dis_factors",
        column_config={
            "MIG": st.column_config.NumberColumn(format="%.3f"),
            "SAP": st.column_config.NumberColumn(format="%.3f"),
        },
    )


def every_model_with_factors(rows: list[dict], with_factors: list[str], paths: dict) -> None:
    """The scores, rate and distortion of every model with factors; MIG against distortion (a click makes a
    model current) and the KL decomposition of each."""
    st.subheader(tr("Every model with factors"))
    table, points, decomposition = [], [], []
    for r in rows:
        if r["name"] not in with_factors:
            continue
        m = load(paths[r["name"]])
        s = compute.disentanglement(m)
        rep = compute.collapse_report(m, defaults.IWAE_K)
        if s is None:
            continue
        dd = s.get("dci") or {}
        objective = m.config.objective.name
        table.append(
            {
                tr("model"): r["name"],
                tr("objective"): objective,
                "beta": r["beta"],
                "MIG": s["mig"],
                "SAP": s["sap"],
                "DCI D": dd.get("disentanglement"),
                "DCI C": dd.get("completeness"),
                "DCI I": dd.get("informativeness"),
                tr("FactorVAE score"): s.get("factorvae_score"),
                tr("distortion"): rep["distortion"],
                tr("rate"): rep["rate"],
            }
        )
        points.append(
            {
                "name": r["name"],
                "objective": objective,
                "beta": r["beta"],
                "mig": s["mig"],
                "distortion": rep["distortion"],
            }
        )
        if rep.get("kl_decomposition"):
            decomposition.append({"name": r["name"], **rep["kl_decomposition"]})
    fmt = {
        k: st.column_config.NumberColumn(format="%.3f")
        for k in ("MIG", "SAP", "DCI D", "DCI C", "DCI I", tr("FactorVAE score"))
    }
    fmt |= {k: st.column_config.NumberColumn(format="%.2f") for k in (tr("distortion"), tr("rate"))}
    st.dataframe(table, hide_index=True, key="dis_table", column_config=fmt)
    c1, c2 = st.columns(2)
    event = c1.plotly_chart(
        mig_vs_distortion(points, tr=tr), key="dis_mig_distortion", on_select="rerun", selection_mode="points"
    )
    make_clicked_model_current(event, "_dis_clicked")
    if decomposition:
        c2.plotly_chart(kl_decomposition_bars(decomposition, tr=tr), key="dis_kl_split")
    st.caption(
        tr(
            "MIG, SAP, DCI (disentanglement, completeness, informativeness) and the FactorVAE score are all 0..1, "
            "higher = more disentangled. The KL split: index-code MI is the information about x, total "
            "correlation the dependence between latents (what beta-TCVAE and FactorVAE penalise)."
        )
    )
