"""Cached backend calls for the pages, keyed by the checkpoint's content.

A :class:`~vae.models.checkpoints.Checkpoint` argument is hashed by the SHA-256 of its
file (``hash_funcs``), so a replaced checkpoint never returns another model's results,
and a page passes the checkpoint alone.
"""

from __future__ import annotations

import dataclasses
import functools
import json

import numpy as np
import streamlit as st
import torch

from ui import defaults
from ui.i18n import spinning, tr
from ui.models import data_split
from ui.training_queue import reports_pending
from vae.analysis import explore
from vae.analysis.diagnostics import collapse_report as report
from vae.analysis.diagnostics import with_diagnosis
from vae.analysis.evaluation import aggregate_inputs
from vae.analysis.explore import (
    decoder_attention,
    encode_input,
    interpolation,
    posterior,
    prior_density,
    sample_sequences,
    seed_grid_spread,
)
from vae.analysis.explore import prior_samples as prior
from vae.analysis.explore import reconstructions as rec
from vae.analysis.explore import seed_grid as grid
from vae.analysis.explore import traversal as trav
from vae.analysis.inference import example_bounds as bounds_of
from vae.analysis.inference import inference_gaps as gaps_of
from vae.analysis.levels import data_spread, grey_pixel, lesson_numbers, pixel_prediction, sigma_maps, values
from vae.analysis.projections import project_model
from vae.analysis.reports import REPORT_IWAE_K, model_disentanglement, stored_reports
from vae.config import VAEConfig
from vae.data.catalog import data_modality
from vae.figures.examples import examples_figure, interpolation_figure, traversal_figure, traversal_grid_figure
from vae.figures.likelihood import value_distribution_figure
from vae.figures.plots import GRID_MAX_OFFSETS, prior_map_figure
from vae.i18n import N_, translator
from vae.models.checkpoints import Checkpoint
from vae.service.cost import server_estimate, torch_threads
from vae.service.worker import train_threads

cache_data = functools.partial(st.cache_data, hash_funcs={Checkpoint: lambda ck: ck.digest})


def spec(fig) -> dict:
    """A figure as the plain dict a cached result should hold: a cache hit unpickles it in 0.1 ms, where a
    plotly Figure is rebuilt and validated again (10 ms for a traversal's, whose building took 40 ms)."""
    return fig.to_plotly_json()


@cache_data(show_spinner=False, max_entries=64)
def posterior_means(ck: Checkpoint, split: str) -> tuple[np.ndarray, np.ndarray]:
    _, x, _, _ = data_split(ck, split)
    return posterior(ck.model, x)


def wait_for_reports(ck: Checkpoint) -> None:
    """While the model's heavy reports are computed in the background (a model just trained on this server):
    say so, stop the page here, and run it again when they are stored."""
    if ck.path is None or stored_reports(ck.extra) is not None or not reports_pending(ck.path):
        return
    st.info(
        tr(
            "The reports of {name} (the IWAE bound, I(x;z), disentanglement) are being computed in the background, "
            "once for everyone; this page fills in when they are ready. The other pages work already.",
            name=ck.name,
        ),
        icon=":material/hourglass_top:",
    )

    def refresh_when_ready() -> None:
        if not reports_pending(ck.path):
            st.rerun()

    st.fragment(refresh_when_ready, run_every=2.0)()
    st.stop()


def collapse_report(ck: Checkpoint, iwae_k: int) -> dict:
    """The report stored in the checkpoint when it was saved (k = 100), else computed once and cached."""
    stored = stored_reports(ck.extra)
    if stored is not None and iwae_k == REPORT_IWAE_K:
        return with_diagnosis(stored["collapse"], ck.config)
    if iwae_k == REPORT_IWAE_K:
        wait_for_reports(ck)
    return _collapse_report(ck, iwae_k)


@spinning(N_("Computing the collapse diagnostics (once per model and k)..."))
@cache_data(show_spinner=False, max_entries=32)
def _collapse_report(ck: Checkpoint, iwae_k: int) -> dict:
    ds, x, _, _ = data_split(ck, "test")
    every = aggregate_inputs(ds, ck.config, x.device)
    return report(ck.model, x, iwae_k=iwae_k, seed=ck.config.train.seed, aggregate=every)


@cache_data(show_spinner=False, max_entries=64)
def traversal(ck: Checkpoint, n_dims: int, span: float, steps: int, example: int | None):
    z0 = None
    if example is not None:
        mu, _ = posterior_means(ck, "test")
        z0 = mu[example]
    return trav(ck.model, kl_per_dim=ck.metrics.get("kl_per_dim"), span=span, steps=steps, z0=z0, max_dims=n_dims)


def projection(ck: Checkpoint, split: str, method: str, limit: int | None, seed: int):
    """The map of at most ``limit`` posterior means of ``split``, cached per number actually drawn (a limit past
    the split's size is the whole split: the page and the warm-up share one entry)."""
    _, x, _, _ = data_split(ck, split)
    return _projection(ck, split, method, len(x) if limit is None else min(int(limit), len(x)), seed)


@cache_data(show_spinner=False, max_entries=64)
def _projection(ck: Checkpoint, split: str, method: str, limit: int, seed: int):
    _, x, labels, _ = data_split(ck, split)
    return project_model(ck, x, labels, split, method, limit=limit, seed=seed)


def map_sizes(n: int) -> list[int]:
    """The Latent map's choices of how many points: the steps under the split's size ``n``, then ``n`` itself."""
    return [v for v in defaults.MAP_SIZES if v < n] + [n]


def disentanglement(ck: Checkpoint) -> dict | None:
    """MIG and SAP: stored in the checkpoint when it was saved, else computed once and cached."""
    stored = stored_reports(ck.extra)
    if stored is not None:
        return stored["disentanglement"]
    wait_for_reports(ck)
    return _disentanglement(ck)


@spinning(N_("Scoring disentanglement (once per model)..."))
@cache_data(show_spinner=False, max_entries=32)
def _disentanglement(ck: Checkpoint) -> dict | None:
    ds, _, _, _ = data_split(ck, "test")
    return model_disentanglement(ck.model, ds)


@cache_data(show_spinner=False, max_entries=64)
def traversal_of_dims(ck: Checkpoint, dims: tuple[int, ...], span: float, steps: int):
    """A traversal of the given latent dimensions, in that order, from z = 0."""
    return trav(ck.model, dims=list(dims), kl_per_dim=ck.metrics.get("kl_per_dim"), span=span, steps=steps)


@cache_data(show_spinner=False, max_entries=64)
def slider_traversal_view(ck: Checkpoint, n_dims: int, span: float, steps: int, ncols: int, lang: str) -> dict:
    """The slider figure of :func:`traversal` from z = 0 (Compare's side-by-side views), ``ncols`` panels to a
    row, in language ``lang``: a figure spec, built once per setting."""
    trav = traversal(ck, n_dims, span, steps, None)
    return spec(traversal_figure(ck.modality, trav, ncols=ncols, tr=translator(lang)))


@cache_data(show_spinner=False, max_entries=64)
def dims_traversal_view(ck: Checkpoint, dims: tuple[int, ...], labels: tuple[str, ...], lang: str) -> dict:
    """The figure of :func:`traversal_of_dims` (span 2.5, 9 steps) with a label per row, four panels to a
    row, in language ``lang``: a figure spec, built once per setting."""
    trav = traversal_of_dims(ck, dims, 2.5, 9)
    return spec(traversal_figure(ck.modality, trav, labels=list(labels), ncols=4, tr=translator(lang)))


@cache_data(show_spinner=False, max_entries=64)
def traversal_view(ck: Checkpoint, n_dims: int, span: float, steps: int, example: int | None, lang: str):
    """The traversal, its slider figure and its grid of every dimension at every offset (None for texts) in
    language ``lang``, built once per setting. Its PNG and GIF are drawn only when downloaded
    (``vae.figures.export.traversal_bytes``, a deferred download)."""
    trav = traversal(ck, n_dims, span, steps, example)
    tr = translator(lang)
    grid = traversal(ck, n_dims, span, min(steps, GRID_MAX_OFFSETS), example)  # steps are odd: z = 0 is among them
    every = traversal_grid_figure(ck.modality, grid, tr)
    return trav, spec(traversal_figure(ck.modality, trav, ncols=5, tr=tr)), None if every is None else spec(every)


def example_label(classes, labels, i: int) -> str:
    """How the pages name test example ``i``: "#12 (7)", with its class when the dataset has classes."""
    return f"#{i} ({classes[labels[i]]})" if classes and labels[i] < len(classes) else f"#{i}"


def default_interpolation(ck, lang: str):
    """The Latent traversals page's first interpolation, as the page asks for it (the warm-up draws it ahead
    for a model whose every picture is drawn pixel by pixel)."""
    ds, x, labels, _ = data_split(ck, "test")
    d = defaults.INTERPOLATION
    a, b = d["a"], min(d["b"], len(x) - 1)
    return interpolation_view(
        ck,
        "test",
        a,
        b,
        d["steps"],
        d["method"],
        example_label(ds.classes, labels, a),
        example_label(ds.classes, labels, b),
        lang,
    )


@cache_data(show_spinner=False, max_entries=64)
def interpolation_view(
    ck: Checkpoint, split: str, a: int, b: int, steps: int, method: str, start_label: str, end_label: str, lang: str
):
    """The interpolation between two examples' posterior means and its figure in language ``lang`` (the GIF: on
    download).

    Encodes only the two examples: the page's first view needs no pass over the whole split."""

    _, x, _, _ = data_split(ck, split)
    mu, _ = posterior(ck.model, x[[a, b]])
    interp = interpolation(ck.model, mu[0], mu[1], steps, method)
    return interp, interpolation_figure(ck.modality, interp, start_label, end_label, tr=translator(lang))


@spinning(N_("Estimating the training time on this server..."))
@cache_data(show_spinner=False, max_entries=256)
def cost_estimate(config_json: str):
    """vae.service.cost.server_estimate of the configuration (given as JSON, the cache key), at the threads a web
    training gets (vae.service.worker.train_threads). The data are sized from their headers
    (vae.data.catalog.data_modality): nothing of the student's, model or data, is built in the server."""
    import json

    config = VAEConfig.from_dict(json.loads(config_json))
    modality, n_train, n_test = data_modality(config.data)
    with torch_threads(train_threads()):
        return server_estimate(config, modality, n_train, n_test)


# ------------------------------------------------------------------ sampling (pixel by pixel for pixelcnn)


def random_examples(n_total: int, n: int, seed: int) -> tuple[int, ...]:
    """The page's "random" examples: n of n_total, by seed."""
    return tuple(int(i) for i in np.random.default_rng(seed).choice(n_total, size=min(n, n_total), replace=False))


def autoregressive_note(ck) -> None:
    """Under a pixelcnn model: say that its images are samples, drawn pixel by pixel."""
    if ck.model.pixel_by_pixel:
        st.info(
            tr(
                "This model's decoder is autoregressive (pixelcnn): it has no mean image, so every picture here "
                "is a **sample**, drawn pixel by pixel (one network pass per pixel), with fixed random numbers "
                "so that pictures of the same z match. Pages draw at most {most} such images at a time.",
                most=defaults.AR_MAX_IMAGES,
            ),
            icon=":material/grain:",
        )


@spinning(N_("Decoding..."))
@cache_data(show_spinner=False, max_entries=64)
def reconstructions(ck: Checkpoint, split: str, index: tuple[int, ...], seed: int):
    _, x, _, _ = data_split(ck, split)
    return rec(ck.model, x, list(index), seed=seed)


NOISE_SERIES = 256  # test series whose draws measure what p(x|z) adds to its mean


@spinning(N_("Sampling..."))
@cache_data(show_spinner=False, max_entries=64)
def draw_noise(ck: Checkpoint) -> dict[str, float]:
    """:func:`vae.analysis.explore.draw_noise` on the first NOISE_SERIES test series, seed 0."""
    _, x, _, _ = data_split(ck, "test")
    return explore.draw_noise(ck.model, x[:NOISE_SERIES], seed=0)


@spinning(N_("Sampling..."))
@cache_data(show_spinner=False, max_entries=64)
def prior_samples(ck: Checkpoint, n: int, temperature: float, seed: int):
    return prior(ck.model, n, temperature, seed=seed)


@cache_data(show_spinner=False, max_entries=64)
def reconstruction_view(ck: Checkpoint, split: str, index: tuple[int, ...], seed: int, lang: str):
    """:func:`reconstructions` and their figure (rows: inputs, mean reconstructions, samples) in language
    ``lang`` as a figure spec, built once per setting: (spec, the reconstructions)."""
    r = reconstructions(ck, split, index, seed)
    tr = translator(lang)
    k = len(r.index)
    title = (
        N_("Rows: input x · most likely x given z = mu(x), token by token · sample x ~ p(x|z), z ~ q(z|x)")
        if ck.modality.textual
        else N_("Rows: input x · reconstruction E[x|z=mu(x)] · sample x ~ p(x|z), z ~ q(z|x)")
    )
    fig = examples_figure(
        ck.modality,
        np.concatenate([r.original, r.mean, r.sample]),
        ncols=k,
        titles=[f"#{i}" for i in r.index] + [tr("mean")] * k + [tr("sample")] * k,
        title=tr(title),
    )
    return spec(fig), r


@cache_data(show_spinner=False, max_entries=64)
def prior_samples_view(ck: Checkpoint, n: int, temperature: float, seed: int, lang: str):
    """:func:`prior_samples` (mean images E[x|z]) and their figure in language ``lang``, eight to a row, as a
    figure spec built once per setting: (spec, the images)."""
    _, imgs = prior_samples(ck, n, temperature, seed)
    tr = translator(lang)
    prior_name = {
        "standard": "N(0, T^2 I)",
        "vamp": tr("the VampPrior (each component's sd x T)"),
        "flow": tr("the flow prior (its base N(0, T^2 I))"),
    }[ck.config.prior.name]
    title = tr("E[x|z], z ~ {prior}, T = {t:g}").format(prior=prior_name, t=temperature)
    return spec(examples_figure(ck.modality, imgs, ncols=8, title=title)), imgs


@cache_data(show_spinner=False, max_entries=64)
def sequence_samples(ck: Checkpoint, n: int, temperature: float, top_k: int, seed: int) -> np.ndarray:
    """n token sequences x ~ p(x|z), z ~ p(z), drawn token by token (ids (n, L))."""
    return sample_sequences(ck.model, n, seed, temperature, top_k)[0]


@cache_data(show_spinner=False, max_entries=64)
def attention(ck: Checkpoint, split: str, index: int):
    """vae.analysis.explore.decoder_attention of example ``index`` of ``split`` (a Transformer decoder)."""
    _, x, _, _ = data_split(ck, split)
    return decoder_attention(ck.model, x[index])


ATTENTION_IMAGES = 256  # test images over which a lesson table averages an attention block's reach


@cache_data(show_spinner=False, max_entries=64)
def attention_reach(ck: Checkpoint) -> dict[str, dict[str, float]]:
    """:func:`vae.analysis.explore.attention_reach` over the first ATTENTION_IMAGES test images."""
    _, x, _, _ = data_split(ck, "test")
    return explore.attention_reach(ck.model, x[:ATTENTION_IMAGES])


@cache_data(show_spinner=False, max_entries=64)
def image_attention(ck: Checkpoint, split: str, index: int):
    """vae.analysis.explore.image_attention of image ``index`` of ``split`` (a network with an attention block)."""
    _, x, _, _ = data_split(ck, split)
    return explore.image_attention(ck.model, x[index])


@spinning(N_("Drawing rows of different z, columns of different pixel-by-pixel seeds..."))
@cache_data(show_spinner=False, max_entries=32)
def seed_grid(ck: Checkpoint, n_z: int, n_seeds: int, seed: int):
    """vae.analysis.explore.seed_grid, once per model and setting: (z, images (n_z, n_seeds, C, H, W))."""
    return grid(ck.model, n_z, n_seeds, seed)


@cache_data(show_spinner=False, max_entries=64)
def seed_grid_view(ck: Checkpoint, n_z: int, n_seeds: int, seed: int, width_px: float) -> tuple[dict, float, float]:
    """The grid of :func:`seed_grid` (rows titled z1, z2...; pictures, or curves for series) as a figure spec, with
    its spreads (within a row, between rows: vae.analysis.explore.seed_grid_spread), built once per setting."""
    _, imgs = seed_grid(ck, n_z, n_seeds, seed)
    titles = [f"z{r + 1}" if c == 0 else "" for r in range(n_z) for c in range(n_seeds)]
    fig = examples_figure(
        ck.modality, imgs.reshape(-1, *imgs.shape[2:]), ncols=n_seeds, titles=titles, width_px=width_px
    )
    return spec(fig), *seed_grid_spread(imgs)


# ------------------------------------------------------------------ how good is the encoder?
def _gaussian(q, i: int = 0) -> tuple[list[float], list[float]]:
    return q.mean[i].tolist(), q.stddev[i].tolist()


def _bounds(ck: Checkpoint, x1) -> dict:
    ks = (1, 10, 100) if ck.model.pixel_by_pixel else (1, 10, 100, 1000)  # pixelcnn: a full pass per sample
    b = bounds_of(ck.model, x1, ks=ks, seed=ck.config.train.seed)
    b["q"], b["q_star"] = _gaussian(b["q"]), _gaussian(b["q_star"])  # a flow's q: its mean and sd
    return b


@spinning(N_("Optimising q* for this example and estimating log p(x)..."))
@cache_data(show_spinner=False, max_entries=64)
def example_bounds(ck: Checkpoint, index: int) -> dict:
    """:func:`vae.analysis.inference.example_bounds` of test example ``index``, in plain numbers."""
    _, x, _, _ = data_split(ck, "test")
    return _bounds(ck, x[index : index + 1])


@spinning(N_("Optimising q* for your input and estimating log p(x)..."))
@cache_data(show_spinner=False, max_entries=16)
def input_bounds(ck: Checkpoint, own: np.ndarray) -> dict:
    """:func:`example_bounds` of a drawn, uploaded or typed input (the model's shape of one x)."""
    device = next(ck.model.parameters()).device
    return _bounds(ck, ck.modality.as_input(own).to(device))


@cache_data(show_spinner=False, max_entries=64)
def own_encoding(ck: Checkpoint, own: np.ndarray):
    """A drawn or uploaded input's posterior mean and sd and its reconstruction."""
    return encode_input(ck.model, own)


@spinning(N_("Measuring the gaps: a q* per example from several starts, then log p(x) (10 to 20 s)..."))
@cache_data(show_spinner=False, max_entries=32)
def inference_gaps(ck: Checkpoint, n: int) -> dict:
    """:func:`vae.analysis.inference.inference_gaps` on the first ``n`` test examples, once per model."""
    _, x, _, _ = data_split(ck, "test")
    return gaps_of(ck.model, x, n=n, seed=ck.config.train.seed)


@cache_data(show_spinner=False, max_entries=16)
def prior_map_view(ck: Checkpoint, lang: str) -> dict:
    """A 2-D model's prior density with the test split's posterior means over it (at most 2,000), a figure spec
    in language ``lang``."""
    ds, x, labels, _ = data_split(ck, "test")
    means, _ = posterior(ck.model, x[:2000])
    grid = prior_density(ck.model, means)
    return spec(prior_map_figure(grid, means, labels[:2000], ds.classes, tr=translator(lang)))


@cache_data(show_spinner=False, max_entries=16)
def pseudo_inputs(ck: Checkpoint) -> np.ndarray:
    """The VampPrior's learned pseudo-inputs as images (K, C, H, W)."""
    with torch.no_grad():
        return ck.model.prior.pseudo_inputs.cpu().numpy()


LESSON_TEST = 1000  # test pictures the likelihood lesson scores


@spinning(N_("Scoring the 8-bit values (once per model)..."))
@cache_data(show_spinner=False, max_entries=64)
def likelihood_numbers(ck: Checkpoint) -> dict:
    """:func:`vae.analysis.levels.lesson_numbers` on the first LESSON_TEST test pictures."""
    _, x, _, _ = data_split(ck, "test")
    return lesson_numbers(ck.model, x[:LESSON_TEST], seed=ck.config.train.seed)


def training_spread(ck: Checkpoint) -> torch.Tensor:
    """The variances of the model's training data along their principal directions (:func:`data_spread`),
    computed once per data set and range: the sweep's five models share one."""
    data = json.dumps(dataclasses.asdict(ck.config.data), sort_keys=True)
    return _training_spread(data, ck.config.likelihood.data_range, ck)


@cache_data(show_spinner=False, max_entries=16)
def _training_spread(data: str, data_range: str, _ck: Checkpoint) -> torch.Tensor:
    _, x, _, _ = data_split(_ck, "train")  # _ck (not hashed): any model of these data
    return data_spread(x, data_range)


@cache_data(show_spinner=False, max_entries=64)
def sigma_map_view(ck: Checkpoint, index: tuple[int, ...], lang: str) -> tuple[dict, float] | None:
    """The per-pixel sigma(z) of test pictures ``index`` as a figure (white: the largest sigma shown), with that
    largest sigma; None unless the model has one."""
    _, x, _, _ = data_split(ck, "test")
    maps = sigma_maps(ck.model, x[list(index)])
    if maps is None:
        return None
    top = float(maps.max())
    tr = translator(lang)
    fig = examples_figure(
        ck.modality, (maps / top).cpu().numpy(), ncols=len(index), titles=[tr("sigma(z)")] * len(index)
    )
    return spec(fig), top


def default_pixel(ck: Checkpoint, example: int) -> tuple[int, int, int]:
    """The mid-grey pixel of test picture ``example`` (:func:`vae.analysis.levels.grey_pixel`)."""
    _, x, _, _ = data_split(ck, "test")
    return grey_pixel(x[example])


@cache_data(show_spinner=False, max_entries=256)
def pixel_prediction_view(
    ck_list: tuple[Checkpoint, ...],
    labels: tuple[str, ...],
    example: int,
    pixel: tuple[int, int, int],
    lang: str,
    log: bool,
):
    """What each model predicts for one pixel of test picture ``example`` (one line each, under its label), and
    its true value."""
    tr = translator(lang)
    dists = {}
    for ck, label in zip(ck_list, labels):
        _, x, _, _ = data_split(ck, "test")
        dists[label] = pixel_prediction(ck.model, x[example : example + 1], pixel).cpu().numpy()
    _, x, _, _ = data_split(ck_list[0], "test")
    true = int(values(x[example][pixel]))
    return spec(value_distribution_figure(dists, true, tr, log)), true
