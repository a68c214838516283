"""The English sentences that word the backend's codes and numbers.

The backend returns codes (a verdict, a cause, remedy codes) and numbers; the command line
prints these sentences and the web app shows them (through its translation catalogs, with
these sentences as the English text). Nothing here is stored in a checkpoint.
"""

from __future__ import annotations

from typing import Any

WHAT_IS_COLLAPSE = (
    "Posterior collapse: the encoder's q(z|x) becomes the prior p(z) = N(0, I) for every x, "
    "so the KL term costs nothing but z also says nothing about x, and the decoder models "
    "the data on its own. It happens when the KL penalty (beta) outweighs what z is worth to "
    "the decoder, when the decoder is strong enough not to need z, or early in training "
    "before the decoder has learned to use z."
)

REMEDY_TITLES = {
    "weaken_pixelcnn": "Weaken the decoder: fewer layers or a smaller kernel",
    "lower_beta": "Lower beta",
    "kl_warmup": "KL warm-up",
    "free_bits": "Free bits",
    "weaker_decoder": "Weaker decoder",
    "smaller_latent": "Smaller latent size",
}


def remedy_title(remedy: dict[str, Any]) -> str:
    return REMEDY_TITLES[remedy["code"]]


def remedy_reason(remedy: dict[str, Any]) -> str:
    """Why the remedy helps, with its numbers."""
    v = remedy.get("values", {})
    return {
        "weaken_pixelcnn": lambda: (
            f"each pixel now sees {v['rows_up']} rows up; with {v['rows_up_after']} the "
            "decoder cannot draw a whole digit from its own earlier pixels and must take "
            "the global shape from z (Chen et al. 2017)"
        ),
        "lower_beta": lambda: f"beta = {v['beta']:g} weighs the KL term {v['beta']:g}x; beta = 1 is the plain ELBO",
        "kl_warmup": lambda: (
            "start with no KL penalty so the decoder learns to use z first, then raise it to "
            f"beta over {v['epochs']:g} epochs (Bowman et al. 2016)"
        ),
        "free_bits": lambda: (
            "every dimension may keep lambda nats of KL without penalty, so none is pushed all "
            "the way to the prior (Kingma et al. 2016)"
        ),
        "weaker_decoder": lambda: "a decoder that can model x alone has no use for z",
        "smaller_latent": lambda: (
            "idle dimensions cost nothing but clutter traversals and maps; fewer dimensions make each one count"
        ),
    }[remedy["code"]]()


def verdict_rules(rep: dict[str, Any]) -> str:
    """The verdict's thresholds as a sentence."""
    t = rep["verdict_thresholds"]
    return (
        f"collapsed: rate < {t['collapsed_rate']} nats or 0 active units; "
        f"partial: at least {t['partial_inactive_fraction']:.0%} of the latent dimensions inactive "
        f"(Var_x E_q[z_u] <= {t['active_unit_threshold']}); healthy: otherwise"
    )


def explanation(rep: dict[str, Any]) -> str:
    """A paragraph a student can follow: what collapse is, and what the numbers of a collapse report say."""
    d, au, rate, mi = rep["latent_dim"], rep["active_units"], rep["rate"], rep["mutual_info"]
    if mi is None:  # a flow posterior: I(x;z) is not estimated
        held = ""
    else:
        held = (
            f" and z holds about {mi:.2f} nats of information about x (at most {rep['mutual_info_max']:.2f} "
            f"measurable with batches of {rep['mi_batch']})"
        )
    facts = (
        f"Here {au} of {d} latent dimensions are active (their posterior means vary across "
        f"inputs by more than {rep['verdict_thresholds']['active_unit_threshold']}), the rate is {rate:.2f} "
        f"nats{held}."
    )
    if rep.get("cause") == "strong_decoder":
        return (
            f"{facts} The cause is the decoder, not the KL weight (beta = {rep['beta']:g}): "
            "it is autoregressive (pixelcnn), so it models x without z, pixel by pixel from the pixels "
            "before. Any information in z only costs KL, and the ELBO is best with q(z|x) close to the "
            "prior. Weaken the decoder (fewer layers or a smaller kernel: a smaller receptive field), "
            "or make z cheap to use with free bits or KL warm-up."
        )
    if rep["verdict"] == "collapsed":
        return (
            f"{WHAT_IS_COLLAPSE} {facts} That is collapse: the decoder ignores z, so reconstructions "
            "look alike and traversals change nothing."
        )
    if rep["verdict"] == "partial":
        return (
            f"{facts} Some dimensions have collapsed to the prior while the rest carry the code. "
            f"A few idle dimensions are normal (the model uses only as many as it needs), but with "
            f"{d - au} of {d} idle the latent space is partly collapsed. {WHAT_IS_COLLAPSE}"
        )
    return f"{facts} The code is in use: no sign of posterior collapse."
