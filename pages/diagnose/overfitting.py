"""Capacity and overfitting: the current model's training and test curves, where its test -ELBO was best, and
the remedies (early stopping, weight decay, dropout); the shipped models that overfit, one click away."""

import streamlit as st

from ui.i18n import tr
from ui.lesson import lesson_model_buttons, lesson_models, remedy_buttons
from ui.models import current
from ui.overfitting_lesson import dropout_noise, lesson_formats, lesson_rows
from vae.analysis.overfitting import RISE, has_dropout, overfitting
from vae.config.shipped import LESSONS
from vae.figures.plots import training_curves
from vae.i18n import N_

LESSON = LESSONS["overfitting"]

ck = current()
st.title(tr("Capacity and overfitting"))
st.markdown(
    tr(
        "A network with more capacity than its data need can learn the training examples themselves: the "
        "training -ELBO keeps falling while the test -ELBO turns back up. Every model stores both curves; these "
        "are the current model's ({name}).",
        name=ck.name,
    )
)
of = overfitting(ck.history, ck.metrics)
if of is None:
    st.info(tr("This model has no training history to show."))
    st.stop()
st.plotly_chart(training_curves(ck.history, tr=tr), key="of_curves")
c = st.columns(3)
c[0].metric(tr("best test -ELBO"), f"{of['best_test']:.2f}", help=tr("at epoch {epoch:g}", epoch=of["best_epoch"]))
c[1].metric(tr("rise after the best epoch"), f"{of['rise']:.2f}", help=tr("the last epoch's test -ELBO minus the best"))
c[2].metric(tr("test - train -ELBO"), f"{of['gap']:.2f}", help=tr("the generalisation gap at the last epoch"))
if of["overfits"]:
    st.warning(
        tr(
            "Overfitted: the test -ELBO was best at epoch {epoch:g} ({best:.2f}) and rose {rise:.2f} nats after it, "
            "while the training -ELBO went on falling.",
            epoch=of["best_epoch"],
            best=of["best_test"],
            rise=of["rise"],
        )
    )
else:
    st.success(tr("No overfitting: the last test -ELBO is within {rise:g} nat of its best.", rise=RISE))
if has_dropout(ck.model):
    noise = dropout_noise(ck)
    c = st.columns(2)
    c[0].metric(tr("dropout's noise"), f"{noise['dropout']:.3f}", help=tr("sd of a batch's -ELBO over dropout masks"))
    c[1].metric(tr("the VAE's own noise"), f"{noise['posterior']:.3f}", help=tr("sd over posterior draws"))
    st.caption(tr("Dropout regularises by adding noise to training; in nats per picture, beside the sampling of z."))
if of["kept_epoch"]:
    st.info(
        tr(
            "Trained with early stopping: the model kept epoch {epoch}, the best on the examples held out of its "
            "training split (dotted).",
            epoch=of["kept_epoch"],
        )
    )
st.subheader(tr("Fix it"))
remedies = {
    N_("Train with early stopping"): {"early_stopping": True},
    N_("Train with weight decay 0.01"): {"weight_decay": 0.01},
    N_("Train with dropout 0.2"): {"dropout": 0.2},
}
remedy_buttons(ck, remedies, "of", tr("Opens Train with this model's settings and this change."))

st.subheader(tr("Shipped models that show it"))
models = lesson_models(LESSON)
if models:
    st.dataframe(lesson_rows(models, LESSON), hide_index=True, key="of_lesson", column_config=lesson_formats())
    st.caption(
        tr(
            "An MLP of 512 units on 200 training pictures learns them by heart: its training -ELBO falls far below "
            "the test -ELBO, which turns back up. The same run with dropout, early stopping, weight decay, batch "
            "norm, or batch norm with dropout wins back part of the rise (100 %: back to the best epoch). Each "
            "epoch's test -ELBO scores the same first 100 test pictures."
        )
    )
lesson_model_buttons(LESSON, models, ck.name, "of")
