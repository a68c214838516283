"""Server start: compute what the first visitor of each shared model would otherwise wait for.

In a background thread at low CPU priority (nice 10, so pages go first), once per
server process, for every model in the shared folder: load it and its test split,
the collapse and disentanglement reports when its metadata lacks them, the latent
map's default projections (PCA and t-SNE of 2,000 posterior means), the default
traversal figure (in each language), the Compare page's side-by-side traversal, the Strong
decoders grid, the encoder page's first example (its q*, bounds and, for a 2-D model, the true
posterior; for a pixelcnn model, whose every picture is drawn pixel by pixel, the samples page's
defaults and the traversals page's interpolation too). Then the likelihood lesson's numbers and pictures; last, the
Train form's estimate for its default settings (a few training steps timed). Everything lands in the same caches the
pages read, so no visitor ever computes these.
``VAE_WARM_UP=0`` turns it off (the tests do).
"""

from __future__ import annotations

import os
import threading

import streamlit as st

from vae.i18n import LANGUAGES
from vae.service.priority import WARM_UP_NICE, lower_this_thread


def warm(path) -> None:
    """Fill the caches for the model at ``path`` (errors are left for its pages to report)."""
    from ui import compute, defaults
    from ui.models import data_split, load

    ck = load(path)
    data_split(ck, "test")
    compute.collapse_report(ck, defaults.IWAE_K)
    compute.disentanglement(ck)
    m = defaults.MAP
    for method in m["methods"]:
        compute.projection(ck, m["split"], method, m["limit"], m["seed"])
    t = defaults.TRAVERSAL
    for lang in LANGUAGES:  # the figure holds words: one per language
        compute.traversal_view(ck, defaults.traversal_dims(ck), t["span"], t["steps"], None, lang)
    if not ck.modality.textual:  # Strong decoders' grid (a names model's grid is a table of names)
        compute.seed_grid_view(ck, **defaults.SEED_GRID, width_px=defaults.SEED_GRID_PX)
    else:
        compute.seed_grid(ck, **defaults.SEED_GRID)
    c = defaults.COMPARE  # Compare runs: this model's side-by-side traversal
    for lang in LANGUAGES:
        compute.slider_traversal_view(ck, defaults.compare_dims(ck), c["span"], c["steps"], c["n_dims"], lang)
    compute.example_bounds(ck, 0)  # How good is the encoder?: the first example's q* and bounds (2-D: p(z|x) too)
    _, x, _, _ = data_split(ck, "test")
    d = defaults.samples(ck)  # Reconstructions & samples: the page's first figures, in every language
    shown = tuple(int(i) for i in compute.random_examples(len(x), d["n_rec"], 0))
    for lang in LANGUAGES:
        compute.reconstruction_view(ck, "test", shown, 0, lang)
        if not ck.modality.textual:  # a token model's samples are drawn when asked (top-k, temperature)
            compute.prior_samples_view(ck, d["n_samples"], 1.0, 0, lang)
    if ck.model.pixel_by_pixel:  # every picture is drawn pixel by pixel: the traversal page's interpolation too
        for lang in LANGUAGES:
            compute.default_interpolation(ck, lang)


def warm_train_form() -> None:
    """Estimate the Train form's default configuration, as the page does on a fresh visit, after timing
    the server's reference model of every network family (vae.service.cost.step_model) at a training's threads."""
    from ui import compute
    from ui.knob_widgets import form_config, form_defaults
    from vae.config import ARCHS
    from vae.service.cost import step_model, torch_threads
    from vae.service.worker import train_threads

    with torch_threads(train_threads()):
        for family in (*ARCHS, "pixelcnn", "wavenet", "gru"):  # gru: what the form switches to for names and text
            step_model(family, train_threads())
    compute.cost_estimate(form_config(form_defaults()).to_json())


def _run(paths) -> None:
    import logging

    lower_this_thread(WARM_UP_NICE)
    # the caches work outside a script run; Streamlit would log a warning for every call
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    for path in paths:
        _warm_logged(path)
    from ui import (
        batch_norm_lesson,
        flow_decoder_lesson,
        image_attention_view,
        latent_size_lesson,
        likelihood_lesson,
        series_decoder_lesson,
        series_encoder_lesson,
    )

    for lesson in (
        likelihood_lesson,
        latent_size_lesson,
        batch_norm_lesson,
        series_decoder_lesson,
        series_encoder_lesson,
        flow_decoder_lesson,
        image_attention_view,
    ):  # the lessons whose views draw several models at once
        try:
            lesson.warm(LANGUAGES)
        except Exception as e:  # noqa: BLE001 - the page computes and reports it then
            logging.getLogger(__name__).warning("warm-up of %s failed: %r", lesson.__name__, e)
    try:  # last: its imports (PyTorch's FLOP counter, ~150 MB) then reuse memory the maps freed
        warm_train_form()
    except Exception as e:  # noqa: BLE001 - the Train page computes and reports it then
        logging.getLogger(__name__).warning("warm-up of the Train form's estimate failed: %r", e)


def lessons_first(paths: list) -> list:
    """``paths`` with the lessons' models first (the roles of vae.config.shipped.LESSONS, then the models Home's
    lessons open on), in that order: a class starts with a lesson, and its page should not wait for the rest."""
    from vae.config.shipped import LESSON_PAGES, LESSONS

    order = [r.model for roles in LESSONS.values() for r in roles.values()] + list(LESSON_PAGES.values())
    rank = {name: i for i, name in reversed(list(enumerate(order)))}
    return sorted(paths, key=lambda p: rank.get(p.stem, len(order)))


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread | None:
    """Start the warm-up thread once per server (``VAE_WARM_UP=0``: never)."""
    from ui.models import checkpoint_paths
    from vae.service.storage import is_shared

    if os.environ.get("VAE_WARM_UP", "1") == "0":
        return None
    paths = lessons_first([p for p in checkpoint_paths() if is_shared(p)])
    t = threading.Thread(target=_run, args=(paths,), name="warm-up", daemon=True)
    t.start()
    return t


def warm_in_background(path, reports=None) -> threading.Thread | None:
    """Warm one model (a student's, just trained) as the shared ones are at start, in a thread at nice 10, so that
    its pages open as fast as theirs (its Encoder page took 18 s to its first picture). ``reports``: the queue's
    vae.service.background.BackgroundReports, waited for first (storing them changes the file, hence its caches'
    key). ``VAE_WARM_UP=0``: not."""
    if os.environ.get("VAE_WARM_UP", "1") == "0":
        return None
    t = threading.Thread(target=_warm_one, args=(path, reports), name=f"warm-up {path.stem}", daemon=True)
    t.start()
    return t


def _warm_one(path, reports) -> None:
    import logging

    lower_this_thread(WARM_UP_NICE)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    if reports is not None:
        reports.wait(path, timeout=600)
    _warm_logged(path)


def _warm_logged(path) -> None:
    """:func:`warm`, its failure logged: a broken model must not stop the others, and its page says why."""
    import logging

    try:
        warm(path)
    except Exception as e:  # noqa: BLE001
        logging.getLogger(__name__).warning("warm-up of %s failed: %r", path.name, e)
