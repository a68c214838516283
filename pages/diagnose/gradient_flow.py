"""Gradient flow: each layer's gradient norm and its activations' dead units across training, recorded by the
trainer for every model; the deep networks that show vanishing gradients and dying ReLUs, one click away."""

import streamlit as st

from ui.gradient_flow_lesson import flow_of, formats, lesson_rows
from ui.i18n import tr
from ui.lesson import lesson_model_buttons, lesson_models
from ui.models import current
from ui.widgets import open_train_with
from vae.analysis.gradient_flow import VANISHING, flow_summary
from vae.config.shipped import LESSONS
from vae.figures.gradient_flow import dead_heatmap, first_last_figure, gradient_heatmap

LESSON = LESSONS["gradient flow"]

ck = current()
st.title(tr("Gradient flow"))
st.markdown(
    tr(
        "The gradient reaches the first layers through every layer after them. With a poor choice of activation "
        "or initialisation for a deep network it shrinks on the way (vanishing gradients), and ReLU units that no "
        "example switches on get no gradient at all (dead units). The trainer records each layer's gradient norm "
        "and each activation's dead share a few times per epoch; these are {name}'s.",
        name=ck.name,
    )
)
flow = flow_of(ck)
if flow is None:
    st.info(tr("{name} was trained before the gradient flow was recorded. Train it again to see it.", name=ck.name))
    if st.button(tr("Train it again"), key="gf_retrain", help=tr("Opens Train with this model's settings.")):
        open_train_with(ck.config, {}, ck.name, "again")
else:
    series, names, acts = flow
    s = flow_summary(series)
    c = st.columns(3)
    c[0].metric(tr("first / last, first step"), f"{s['start_ratio']:.3g}", help=tr("at initialisation"))
    c[1].metric(tr("first / last, median"), f"{s['ratio']:.3g}", help=tr("over the recorded steps"))
    c[2].metric(tr("most dead units"), f"{100 * s['most_dead']:.0f} %", help=tr("over the last quarter"))
    if s["vanishing"]:
        st.warning(
            tr(
                "Vanishing gradient: the first layer's gradient norm is {ratio:.2g} times the last layer's (median "
                "over training; below {limit:g} counts as vanishing).",
                ratio=s["ratio"],
                limit=VANISHING,
            )
        )
    else:
        st.success(tr("The gradient reaches the first layer: {ratio:.2g} times the last layer's.", ratio=s["ratio"]))
    st.plotly_chart(gradient_heatmap(series, names, tr=tr), key="gf_grads")
    st.plotly_chart(first_last_figure(series, names, tr=tr), key="gf_first_last")
    if acts:
        st.plotly_chart(dead_heatmap(series, acts, tr=tr), key="gf_dead")

st.subheader(tr("Shipped models that show it"))
models = lesson_models(LESSON)
if models:
    st.dataframe(lesson_rows(models, LESSON), hide_index=True, key="gf_lesson", column_config=formats())
    st.caption(
        tr(
            "The pytorch/examples MLP made 8 hidden layers of 128 units deep, 20 epochs on MNIST, each with one "
            "activation and initialisation; and a ResNet of two stages of 4 blocks (19 convolutions in the encoder) "
            "with and without its skip connections, 10 epochs. First / last: the encoder's first layer's gradient "
            "norm over the decoder's output layer's. Dead units: the largest share of one layer's units that are 0 "
            "for a whole batch."
        )
    )
lesson_model_buttons(LESSON, models, ck.name, "gf")
