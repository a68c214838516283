"""The sentences that word the backend's codes and numbers.

The backend returns codes (a verdict, a cause, remedy codes) and numbers; the command line
prints these sentences in English and the web app in the reader's language: every function
takes ``tr``, the translation function (``vae.i18n``), and fills the translated template with
the numbers. Nothing here is stored in a checkpoint.
"""

from __future__ import annotations

from typing import Any

from vae.i18n import N_, Translate, english

WHAT_IS_COLLAPSE = N_(
    "Posterior collapse: the encoder's q(z|x) becomes the prior p(z) = N(0, I) for every x, "
    "so the KL term costs nothing but z also says nothing about x, and the decoder models "
    "the data on its own. It happens when the KL penalty (beta) outweighs what z is worth to "
    "the decoder, when the decoder is strong enough not to need z, or early in training "
    "before the decoder has learned to use z."
)

VERDICTS = {"healthy": N_("healthy"), "weak": N_("weak"), "partial": N_("partial"), "collapsed": N_("collapsed")}

REMEDY_TITLES = {
    "weaken_pixelcnn": N_("Weaken the decoder: fewer layers or a smaller kernel"),
    "weaken_wavenet": N_("Weaken the decoder: fewer layers"),
    "word_dropout": N_("Word dropout"),
    "lower_beta": N_("Lower beta"),
    "kl_warmup": N_("KL warm-up"),
    "free_bits": N_("Free bits"),
    "weaker_decoder": N_("Weaker decoder"),
    "smaller_latent": N_("Smaller latent size"),
}

REMEDY_REASONS = {  # why each remedy helps; fields come from the remedy's values
    "weaken_pixelcnn": N_(
        "each pixel now sees {rows_up} rows up; with {rows_up_after} the "
        "decoder cannot draw a whole digit from its own earlier pixels and must take "
        "the global shape from z (Chen et al. 2017)"
    ),
    "weaken_wavenet": N_(
        "each step now sees the {steps} steps before it; with {after} the decoder cannot continue a wave from its "
        "own past and must take its shape, frequency and phase from z (Chen et al. 2017)"
    ),
    "word_dropout": N_(
        "half of the decoder's input tokens become <unk> in training, so it cannot write x from the tokens before "
        "alone and must read z (Bowman et al. 2016)"
    ),
    "lower_beta": N_("beta = {beta:g} weighs the KL term {beta:g}x; beta = 1 is the plain ELBO"),
    "kl_warmup": N_(
        "start with no KL penalty so the decoder learns to use z first, then raise it to "
        "beta over {epochs:g} epochs (Bowman et al. 2016)"
    ),
    "free_bits": N_(
        "every dimension may keep lambda nats of KL without penalty, so none is pushed all "
        "the way to the prior (Kingma et al. 2016)"
    ),
    "weaker_decoder": N_("a decoder that can model x alone has no use for z"),
    "smaller_latent": N_(
        "idle dimensions cost nothing but clutter traversals and maps; fewer dimensions make each one count"
    ),
}


def verdict_name(verdict: str, tr: Translate = english) -> str:
    return tr(VERDICTS[verdict])


def remedy_title(remedy: dict[str, Any], tr: Translate = english) -> str:
    return tr(REMEDY_TITLES[remedy["code"]])


def remedy_reason(remedy: dict[str, Any], tr: Translate = english) -> str:
    """Why the remedy helps, with its numbers."""
    return tr(REMEDY_REASONS[remedy["code"]]).format(**remedy.get("values", {}))


def verdict_rules(rep: dict[str, Any], tr: Translate = english) -> str:
    """The verdict's thresholds as a sentence."""
    t = rep["verdict_thresholds"]
    return tr(
        "a unit is used when Var_x E_q[z_u] > {threshold} and its KL is at least {informative:g} nats; "
        "collapsed: rate < {collapsed_rate} nats or no unit used; "
        "partial: at least {partial:.0%} of the latent dimensions not used; "
        "weak: beta > 1 and under {weak:g} nats per used unit; healthy: otherwise"
    ).format(
        collapsed_rate=t["collapsed_rate"],
        partial=t["partial_inactive_fraction"],
        threshold=t["active_unit_threshold"],
        informative=t["informative_kl"],
        weak=t["weak_rate_per_unit"],
    )


def explanation(rep: dict[str, Any], tr: Translate = english) -> str:
    """A paragraph a student can follow: what collapse is, and what the numbers of a collapse report say."""
    d, au, rate, mi = rep["latent_dim"], rep["active_units"], rep["rate"], rep["mutual_info"]
    if mi is None:  # a flow posterior: I(x;z) is not estimated
        held = ""
    else:
        held = tr(
            " and z holds about {mi:.2f} nats of information about x (at most log {n} = {most:.2f} measurable "
            "with the {n} examples of the aggregate posterior)"
        ).format(mi=mi, most=rep["mutual_info_max"], n=rep["aggregate_num"])
    facts = tr(
        "Here {au} of {d} latent dimensions are active (their posterior means vary across "
        "inputs by more than {threshold}), the rate is {rate:.2f} nats{held}."
    ).format(au=au, d=d, threshold=rep["verdict_thresholds"]["active_unit_threshold"], rate=rate, held=held)
    if rep.get("cause") == "strong_decoder" and rep.get("decoder_arch") == "wavenet":
        return tr(
            "{facts} The cause is the decoder, not the KL weight (beta = {beta:g}): it is autoregressive "
            "(wavenet), so it writes each step of the series from the steps before and models x without z. Any "
            "information in z only costs KL, and the ELBO is best with q(z|x) close to the prior. Weaken the "
            "decoder (fewer layers: a shorter receptive field), or make z cheap to use with free bits or KL warm-up."
        ).format(facts=facts, beta=rep["beta"])
    if rep.get("cause") == "strong_decoder" and rep.get("data_kind") == "series":
        return tr(
            "{facts} The cause is the decoder, not the KL weight (beta = {beta:g}): it is autoregressive "
            "({arch}), so it writes each step of the series from the steps before and models x without z. Any "
            "information in z only costs KL, and the ELBO is best with q(z|x) close to the prior. Use a decoder "
            "that draws every step at once from z (cnn), or make z cheap to use with free bits or KL warm-up."
        ).format(facts=facts, beta=rep["beta"], arch=rep["decoder_arch"])
    if rep.get("cause") == "strong_decoder" and rep.get("decoder_arch", "pixelcnn") != "pixelcnn":
        return tr(
            "{facts} The cause is the decoder, not the KL weight (beta = {beta:g}): it is autoregressive "
            "({arch}), so it writes each token from the tokens before and models x without z. Any information "
            "in z only costs KL, and the ELBO is best with q(z|x) close to the prior. Weaken what it reads "
            "of x with word dropout, or make z cheap to use with free bits or KL warm-up."
        ).format(facts=facts, beta=rep["beta"], arch=rep["decoder_arch"])
    if rep.get("cause") == "strong_decoder":
        return tr(
            "{facts} The cause is the decoder, not the KL weight (beta = {beta:g}): "
            "it is autoregressive (pixelcnn), so it models x without z, pixel by pixel from the pixels "
            "before. Any information in z only costs KL, and the ELBO is best with q(z|x) close to the "
            "prior. Weaken the decoder (fewer layers or a smaller kernel: a smaller receptive field), "
            "or make z cheap to use with free bits or KL warm-up."
        ).format(facts=facts, beta=rep["beta"])
    if rep["verdict"] == "collapsed":
        return tr(
            "{what} {facts} That is collapse: the decoder ignores z, so reconstructions "
            "look alike and traversals change nothing."
        ).format(what=tr(WHAT_IS_COLLAPSE), facts=facts)
    used = rep["used_units"]
    if rep["verdict"] == "partial":
        return tr(
            "{facts} Some dimensions have collapsed to the prior while the rest carry the code: {used} of {d} "
            "carry at least {informative:g} nats. A few idle dimensions are normal (the model uses only as many as "
            "it needs), but with {idle} of {d} idle the latent space is partly collapsed. {what}"
        ).format(
            facts=facts,
            used=used,
            idle=d - used,
            d=d,
            informative=rep["verdict_thresholds"]["informative_kl"],
            what=tr(WHAT_IS_COLLAPSE),
        )
    if rep["verdict"] == "weak":
        return tr(
            "{facts} Every unit is in use, but together they hold only {rate:.2f} nats, {per:.2f} per unit: the KL "
            "weight beta = {beta:g} keeps the code small, so reconstructions are blurry averages of similar "
            "inputs. That is not collapse, but not a healthy code either: lower beta, or grant each unit more "
            "with free bits."
        ).format(facts=facts, rate=rate, per=rate / max(used, 1), beta=rep["beta"])
    return tr("{facts} The code is in use: no sign of posterior collapse.").format(facts=facts)
