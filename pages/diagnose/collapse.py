"""Posterior collapse: is the code in use? KL per dimension, active units, MI, rate and distortion."""

import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.models import current, split_or_stop
from ui.widgets import open_train_with
from vae import wording
from vae.analysis.diagnostics import kl_history
from vae.config.values import from_dotted
from vae.figures.plots import active_units_figure, kl_bars, kl_heatmap

ck = current()
st.title(tr("Posterior collapse"))
split_or_stop(ck, "test")
ks = [1, 10, 50, 100] if ck.model.pixel_by_pixel else [1, 10, 50, 100, 500]  # pixelcnn: a full pass per sample
iwae_k = st.select_slider(
    tr("importance samples for the IWAE bound"),
    ks,
    defaults.IWAE_K,
    key="iwae_k",
    help=tr("k samples per test image give a tighter estimate of -log p(x) than the ELBO."),
)
rep = compute.collapse_report(ck, int(iwae_k))

verdict = rep["verdict"]
show = {"healthy": st.success, "weak": st.warning, "partial": st.warning, "collapsed": st.error}[verdict]
show(
    tr("**Verdict: {verdict}.**", verdict=wording.verdict_name(verdict, tr).upper())
    + " "
    + wording.explanation(rep, tr)
)
st.caption(tr("Rules: {rules}.", rules=wording.verdict_rules(rep, tr)))

c = st.columns(3) + st.columns(3)  # two rows: six side by side cut labels and values off at 1024 pixels
c[0].metric(tr("rate R = KL (nats)"), f"{rep['rate']:.2f}", help=tr("E_x KL(q(z|x) || p(z)): information in the code."))
c[1].metric(tr("distortion D (nats)"), f"{rep['distortion']:.2f}", help="E_x E_q[-log p(x|z)]")
c[2].metric("-ELBO = R + D", f"{rep['elbo']:.2f}")
c[3].metric(
    tr("-log p(x), exact") if rep["nll_exact"] else f"IWAE -log p(x), k={rep['iwae_k']}",
    f"{rep['nll']:.2f}",
    help=(
        tr(
            "Integrated on a grid over the 2-D latent: the value itself (the IWAE bound, k={k}, is {iwae:.2f}).",
            k=rep["iwae_k"],
            iwae=rep["iwae_nll"],
        )
        if rep["nll_exact"]
        else tr("An upper bound on -log p(x).")
    )
    + " "
    + tr("Averaged over {n} of the {total} test examples.", n=rep["iwae_num"], total=rep["num"]),
)
c[4].metric(
    tr("units used"),
    f"{rep['used_units']} / {rep['latent_dim']}",
    help=tr(
        "Dimensions whose posterior mean varies across inputs by more than {t} ({active} of them: the active units) "
        "and which carry at least {kl:g} nats.",
        t=rep["au_threshold"],
        active=rep["active_units"],
        kl=rep["verdict_thresholds"]["informative_kl"],
    ),
)
c[5].metric(
    tr("mutual information I(x;z)"),
    "n/a" if rep["mutual_info"] is None else f"{rep['mutual_info']:.2f}",
    help=tr(
        "nats, with the aggregate posterior q(z) of {n} examples; at most log({n}) = {most:.2f} can be measured.",
        n=rep["aggregate_num"],
        most=rep["mutual_info_max"],
    )
    if rep["mutual_info"] is not None
    else tr("Not estimated for a flow posterior: it needs the density of each code under every other example's q."),
)

c1, c2 = st.columns(2)
if rep["kl_per_dim"] is None:
    c1.info(tr("A flow posterior's KL does not split over the latent dimensions: there is no KL per dimension."))
else:
    c1.plotly_chart(kl_bars(rep["kl_per_dim"], tr=tr), key="kl_bars")
c2.plotly_chart(active_units_figure(rep["au_variance"], rep["au_threshold"], tr=tr), key="active_units")
if len(kl_history(ck.history)):
    st.plotly_chart(kl_heatmap(kl_history(ck.history), [r["epoch"] for r in ck.history], tr=tr), key="kl_heatmap")
    st.caption(tr("KL of each dimension (test split) after every epoch: watch dimensions die or come alive."))

if rep["remedies"]:
    st.subheader(tr("Fix it"))
    st.markdown(tr("Each button opens the Train page with this model's settings and the remedy applied."))
    for i, remedy in enumerate(rep["remedies"]):
        c1, c2 = st.columns([1, 4])
        title = wording.remedy_title(remedy, tr)
        if c1.button(title, key=f"remedy_{i}"):
            open_train_with(ck.config, from_dotted(remedy["changes"]), ck.name, wording.remedy_title(remedy))
        changes = ", ".join(f"{k} = {v}" for k, v in remedy["changes"].items())
        c2.markdown(tr("{reason}. *Sets {changes}.*", reason=wording.remedy_reason(remedy, tr), changes=changes))
