"""Batch norm couples a batch: in training mode one test example's -ELBO and reconstruction change with the other
examples of its batch under batch norm, and not under layer norm or in evaluation mode (ui/batch_norm_lesson.py
holds the numbers and pictures)."""

import streamlit as st

from ui.batch_norm_lesson import context_rows, coupling, formats, lesson_rows, pictures_view, test_gap
from ui.i18n import language, tr
from ui.lesson import lesson_model_buttons, lesson_models
from ui.models import current
from ui.navigation import PAGE
from vae.analysis.batch_coupling import has_batch_norm
from vae.config.shipped import LESSONS

LESSON = LESSONS["batch norm"]

ck = current()
st.title(tr("Batch norm couples a batch"))
st.markdown(
    tr(
        "In training mode a batch-norm layer normalises each feature by the mean and variance of the batch it is "
        "given, so an example's code and reconstruction depend on the other examples of its batch: the ELBO is no "
        "longer a sum over examples. In evaluation mode it uses averages fixed during training; layer norm "
        "normalises each example by its own features. Below, one test picture of {name} is scored inside batches "
        "of different company, with the same posterior noise every time.",
        name=ck.name,
    )
)
asked = st.session_state.setdefault("bn_asked", [])  # autoregressive models measured on request, by name
if ck.modality.kind != "image":
    st.info(tr("Normalization layers are offered for image models; {name} has none.", name=ck.name))
elif ck.model.pixel_by_pixel and ck.name not in asked:  # 2,048 pixelcnn passes in float64: minutes of a core
    st.info(tr("{name} has an autoregressive decoder: scoring its picture in every batch takes minutes.", name=ck.name))
    if st.button(tr("Measure it"), key="bn_measure"):
        asked.append(ck.name)
        st.rerun()
else:
    index = st.number_input(tr("test picture"), 0, max(0, int(ck.metrics.get("num", 1)) - 1), 0, key="bn_index")
    c, gap = coupling(ck, int(index)), test_gap(ck)
    st.plotly_chart(pictures_view(ck, int(index), language()), key="bn_pictures")
    cols = st.columns(3)
    cols[0].metric(tr("spread, training mode"), f"{c['spread_train']:.4f}", help=tr("largest minus smallest -ELBO"))
    cols[1].metric(tr("spread, evaluation mode"), f"{c['spread_eval']:.4f}")
    cols[2].metric(
        tr("training-mode gap"),
        f"{gap['gap']:+.2f}",
        help=tr("the test split's -ELBO in training mode minus evaluation mode"),
    )
    if has_batch_norm(ck.model):
        st.warning(
            tr(
                "Batch norm: in training mode the same picture's -ELBO moves by {spread:.1f} nats with the batch it "
                "is in; in evaluation mode by {eval:.1g}. On the test split, training mode scores {gap:+.2f} nats "
                "per picture against evaluation mode.",
                spread=c["spread_train"],
                eval=c["spread_eval"],
                gap=gap["gap"],
            )
        )
    else:
        st.success(
            tr(
                "No batch norm: the picture's -ELBO is the same in every batch and in both modes (spread "
                "{spread:.1g} nats), as a per-example ELBO should be.",
                spread=max(c["spread_train"], c["spread_eval"]),
            )
        )
    with st.expander(tr("Each batch's numbers")):
        st.dataframe(context_rows(c), hide_index=True, key="bn_contexts", column_config=formats())

st.markdown(
    tr(
        "Normalization can also stabilise training and allow a higher learning rate: sweep the learning rate of "
        "this model, and of one with the other normalization, on Compare runs; a run that blows up says at which "
        "step."
    )
)
st.page_link(PAGE["compare"], label=tr("Sweep the learning rate"), icon=":material/compare:")

st.subheader(tr("Shipped models that show it"))
models = lesson_models(LESSON)
if models:
    st.dataframe(lesson_rows(models, LESSON), hide_index=True, key="bn_lesson", column_config=formats())
    st.caption(
        tr(
            "The CNN on MNIST trained for 15 epochs, with no normalization, with batch norm and with layer norm in "
            "every hidden layer. The spreads are of test picture 0's -ELBO over the four batches above, in nats; "
            "the training-mode gap is the test split scored in batches of 128 in training mode minus evaluation mode."
        )
    )
lesson_model_buttons(LESSON, models, ck.name, "bn")
