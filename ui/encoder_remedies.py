"""The two remedies the encoder page offers for its gaps, as buttons that open Train.

A large amortization gap asks for a stronger encoder (twice as wide, the decoder unchanged);
a large approximation gap asks for a richer posterior family (an IAF posterior, Kingma et al. 2016).
"""

import streamlit as st

from ui.i18n import tr
from ui.widgets import open_train_with


def encoder_remedy_buttons(ck) -> None:
    """A button per remedy; each opens Train with ck's settings and that one change."""
    hidden = ck.config.encoder.hidden
    wider = [min(2 * h, 2048) for h in hidden] or [400]
    c1, c2 = st.columns(2)
    if c1.button(tr("Train with a wider encoder ({widths})", widths=" ".join(map(str, wider))), key="enc_wider"):
        changes = {"hidden": wider, "decoder_hidden": ck.config.decoder.hidden}
        open_train_with(ck.config, changes, ck.name, "wider-encoder")
    if not ck.config.has_flow and c2.button(
        tr("Train with an IAF posterior (4 flow steps)"),
        key="enc_iaf",
        help=tr(
            "A Gaussian followed by inverse autoregressive flow steps: a posterior that can bend (Kingma et al. 2016)."
        ),
    ):
        changes = {"posterior": "iaf", "flow_steps": 4}
        if ck.config.objective.name == "beta-tcvae":  # its estimator needs a Gaussian posterior
            changes["objective"] = "vae"
        open_train_with(ck.config, {**changes, "free_bits": 0.0}, ck.name, "iaf")
