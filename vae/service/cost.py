"""What a training run will cost, known before it starts.

    seconds per epoch = steps per epoch x seconds per step  +  test evaluation
    steps per epoch   = ceil(N_train / batch size)
    test evaluation   = ceil(N_test / batch size) x seconds per step / 3   (forward only)

Seconds per step come from one of two measurements on *this* machine:

* ``timed``: build the real model and time real optimisation steps (forward, ELBO,
  backward, AdamW) on a batch of the right shape, after one warm-up step: at least
  3, up to 20 or 0.3 s of them, and keep the fastest. Steps that other processes
  slowed down (a class browsing the same server) would otherwise inflate an
  estimate that the web app then keeps for the configuration: on a busy 2-core
  machine the median of three steps of a small model came out 10x too slow;
* ``flops``: when even one step would be slow, count the floating-point operations
  of a forward and backward pass on PyTorch's ``meta`` device (no memory, no compute;
  ``torch.utils.flop_counter``) and divide by the machine's measured matrix-multiply
  rate. This is a lower bound on the time: convolutions rarely reach that rate.

* ``calibrated`` (a web server): FLOPs and parameters on the meta device, seconds from
  a per-step overhead and the family's slowdown over the matmul rate, both timed once on
  the server's own reference models: a student's model is never allocated in the server.

FLOPs count only matrix products and convolutions. The values every other operation writes
(*elements*: activations, the likelihood, beta-TCVAE's (B, B, D) block of pairwise log
densities, which is elementwise, B^2 D values per step) are counted too, and cost
``elements x seconds per element``, timed once on that very block. The step's memory at its
peak (parameters, their gradients and Adam's two moments, plus the tensors alive at once) is
counted the same way; a server refuses a run whose peak is over ``$VAE_MAX_TRAIN_MEMORY_MB``.

A server (the web app) refuses a run whose estimate exceeds its budget
(``$VAE_MAX_TRAIN_SECONDS``) and says what to reduce; the command line prints the
estimate and has no budget.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import time
import weakref
from dataclasses import dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode  # the base of torch.utils.flop_counter's own mode

from vae.config import AUTOREGRESSIVE_SEQUENCE_DECODERS, SEQUENCE_ENCODERS, VAEConfig
from vae.config.values import apply
from vae.data import load_dataset
from vae.data.modality import as_modality
from vae.errors import ConfigError
from vae.i18n import N_, Text
from vae.models.checkpoints import max_parameters
from vae.models.vae import VAE
from vae.objectives.objective import Objective
from vae.training.trainer import make_model

TIME_STEPS_BELOW = 1.0  # time real steps when the FLOP count predicts at most this many seconds a step
TIMED_STEPS = 3  # at least this many timed steps...
MAX_TIMED_STEPS = 20  # ...and more, up to this many, until TIMED_SECONDS have been spent timing
TIMED_SECONDS = 0.3


@dataclass(frozen=True)
class CostEstimate:
    parameters: int
    flops_per_step: float  # forward + backward, one batch
    seconds_per_step: float
    steps_per_epoch: int
    epochs: int
    method: str  # "timed" or "flops"
    eval_steps: int = 0  # test-split batches evaluated after every epoch
    peak_bytes: int = 0  # memory of a step at its peak (Work.peak_bytes)
    elements_per_step: float = 0.0  # values written by operations other than matrix products (Work.elements)

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds_per_step * (self.steps_per_epoch + self.eval_steps / 3)

    @property
    def total_seconds(self) -> float:
        return self.seconds_per_epoch * self.epochs

    def describe(self) -> Text:
        how = Text(
            {
                "timed": N_("timed on this machine"),
                "calibrated": N_("{gflop:.3g} GFLOP a step, at the speed this server's own models of the family train"),
            }.get(self.method, N_("from {gflop:.3g} GFLOP a step at this machine's matmul rate, a lower bound")),
            gflop=self.flops_per_step / 1e9,
        )
        step = (
            f"{1000 * self.seconds_per_step:.3g} ms"
            if self.seconds_per_step < 1
            else fmt_seconds(self.seconds_per_step)
        )
        return Text(
            N_(
                "about {per_epoch} per epoch ({steps} steps of {step}, {how}), {total} for "
                "{epochs} epoch(s); {params:.3g}M parameters, {memory} of memory at the peak of a step"
            ),
            per_epoch=fmt_seconds(self.seconds_per_epoch),
            steps=self.steps_per_epoch,
            step=step,
            how=how,
            total=fmt_seconds(self.total_seconds),
            epochs=self.epochs,
            params=self.parameters / 1e6,
            memory=fmt_bytes(self.peak_bytes),
        )

    def plain(self) -> Text:
        """The estimate in words a student reads in their first minute (:meth:`describe` has the details)."""
        return Text(
            N_("about {total} on this server ({epochs} epoch(s) of about {per_epoch})"),
            total=fmt_seconds(self.total_seconds),
            epochs=self.epochs,
            per_epoch=fmt_seconds(self.seconds_per_epoch),
        )

    def epochs_within(self, seconds: float) -> int:
        """How many epochs fit into ``seconds``."""
        return int(seconds // self.seconds_per_epoch) if self.seconds_per_epoch > 0 else self.epochs


def fmt_seconds(s: float) -> str:
    if s < 1:
        return f"{s:.2f} s"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def fmt_bytes(n: float) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{max(n, 2**20) / 2**20:.0f} MB"


def memory_budget() -> int:
    """Bytes one web training may hold at the peak of a step: ``$VAE_MAX_TRAIN_MEMORY_MB`` (default 4096)."""
    raw = os.environ.get("VAE_MAX_TRAIN_MEMORY_MB", "").strip()
    return int(float(raw) * 2**20) if raw else 4 << 30


def budget_from_env(default: float | None) -> float | None:
    """``$VAE_MAX_TRAIN_SECONDS`` (0 or 'none' = no budget), else ``default``."""
    raw = os.environ.get("VAE_MAX_TRAIN_SECONDS")
    if raw is None or raw.strip() == "":
        return default
    if raw.strip().lower() in ("0", "none", "off"):
        return None
    return float(raw)


def matmul_rate() -> float:
    """This machine's fp32 matrix-multiply rate in FLOP/s at PyTorch's current thread count."""
    return _matmul_rate(torch.get_num_threads())


@contextlib.contextmanager
def torch_threads(n: int):
    """Run the block with ``n`` PyTorch threads (a web training's count, :func:`vae.service.worker.train_threads`)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@functools.lru_cache(maxsize=8)
def _matmul_rate(threads: int) -> float:
    """Best of a few 512 x 512 products, in FLOP/s, with ``threads`` threads (the cache key)."""
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    a @ b
    best = math.inf
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * 512**3 / best


def _loss(model, x, config: VAEConfig, n_train: int):
    """The training loss of a batch as the trainer computes it (vae.objectives.objective: beta-TCVAE's pairwise
    block and FactorVAE's discriminator included)."""
    out = model(x)
    loss, _ = Objective(config.objective, config.latent_dim, n_train, x.device).loss(out, 0.5, config.train.epochs)
    return loss


def count_parameters(config: VAEConfig, x_shape) -> int:
    """The number of parameters of ``config``'s model for this modality (or image shape), built on the meta
    device: no memory is allocated, whatever the configuration asks for."""
    with torch.device("meta"):
        return sum(p.numel() for p in VAE(config, as_modality(x_shape)).parameters())


@dataclass(frozen=True)
class Work:
    """What one optimisation step (forward, loss, backward) asks of the machine, counted without running it."""

    flops: float  # matrix products and convolutions, forward + backward
    elements: float  # values written by every other operation
    peak_bytes: int  # parameters x 4 copies (weights, gradients, Adam's moments) + the most bytes alive at once
    parameters: int


class _TensorCounter(TorchDispatchMode):
    """Counts the values each operation writes and the bytes alive at once (views share their base's bytes)."""

    def __init__(self):
        super().__init__()
        self.elements = self.live = self.peak = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if not func.is_view:
            for t in out if isinstance(out, (tuple, list)) else [out]:
                if isinstance(t, torch.Tensor):
                    n = t.numel() * t.element_size()
                    self.elements += t.numel()
                    self.live += n
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(t, self._free, n)
        return out

    def _free(self, n: int) -> None:
        self.live -= n


def count_work(config: VAEConfig, x_shape, batch: int, n_train: int | None = None) -> Work:
    """:class:`Work` of one step on a batch, on the meta device (no memory, no compute).

    ``x_shape``: the data's modality, or an image shape (C, H, W); ``n_train`` the training split's size (the
    beta-TCVAE estimator's N; default the batch). A token model (packed sequences need their lengths on the
    CPU) is counted on the CPU: :func:`server_estimate` counts its parameters on the meta device first and
    refuses one over the server's limit before anything is built.
    """
    from torch.utils.flop_counter import FlopCounterMode

    modality = as_modality(x_shape)
    with torch.device("meta" if modality.flops_on_meta else "cpu"):
        model = VAE(config, modality)
        params = sum(p.numel() for p in model.parameters())
        x = modality.example_batch(batch)
        with FlopCounterMode(display=False) as flops, _TensorCounter() as tensors:
            _loss(model, x, config, n_train or batch).backward()
    return Work(float(flops.get_total_flops()), float(tensors.elements), 16 * params + tensors.peak, params)


@functools.lru_cache(maxsize=8)
def seconds_per_element(threads: int) -> float:
    """Seconds per value written by elementwise work, timed on beta-TCVAE's pairwise block (512 x 512 x 64,
    forward and backward), best of 3; ``threads`` is the cache key."""
    from vae.models.posteriors import DiagonalGaussian
    from vae.objectives.total_correlation import kl_decomposition_terms

    def step(device):
        with torch.device(device):
            mu = torch.randn(512, 64, requires_grad=True)
            q = DiagonalGaussian(mu, torch.zeros(512, 64))
            with _TensorCounter() as counted:
                sum(t.sum() for t in kl_decomposition_terms(mu.detach() + 0.1, q, 10.0)).backward()
        return counted.elements

    elements, best = step("meta"), math.inf
    for _ in range(3):
        t = time.perf_counter()
        step("cpu")
        best = min(best, time.perf_counter() - t)
    return best / elements


def estimate(config: VAEConfig, x_shape, n_train: int, n_test: int = 0) -> CostEstimate:
    """Seconds per step, per epoch and in all for ``config`` on data of this modality (or image shape) and
    size (CPU)."""
    config.validate()
    batch = min(config.train.batch_size, n_train)
    steps = math.ceil(n_train / batch)
    evals = math.ceil(n_test / batch)
    work = count_work(config, x_shape, batch, n_train)
    flops, params = work.flops, work.parameters
    predicted = flops / matmul_rate() + work.elements * seconds_per_element(torch.get_num_threads())
    if predicted > TIME_STEPS_BELOW:
        return CostEstimate(
            params, flops, predicted, steps, config.train.epochs, "flops", evals, work.peak_bytes, work.elements
        )
    model = make_model(config, as_modality(x_shape)).train()
    opt = torch.optim.AdamW(model.parameters(), lr=config.train.lr, fused=True)
    x = as_modality(x_shape).example_batch(batch, torch.Generator().manual_seed(0))
    times = []
    for i in range(MAX_TIMED_STEPS + 1):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        _loss(model, x, config, n_train).backward()
        opt.step()
        if i:  # the first step pays one-off allocation costs
            times.append(time.perf_counter() - t)
            if len(times) >= TIMED_STEPS and sum(times) >= TIMED_SECONDS:
                break
    return CostEstimate(
        params, flops, min(times), steps, config.train.epochs, "timed", evals, work.peak_bytes, work.elements
    )


def estimate_for(config: VAEConfig) -> CostEstimate:
    """:func:`estimate` for the dataset the configuration names (loaded, and cached, to know its size)."""
    ds = load_dataset(config.data)
    return estimate(config, ds.modality, len(ds.x_train), len(ds.x_test))


# ---------------------------------------------------------------- a server's estimate: no student model in memory
REFERENCE_SHAPE, REFERENCE_N = (1, 28, 28), 4000  # the server's own reference models train on mnist5k's shape


def family(config: VAEConfig) -> str:
    """The network family that sets a step's speed: a pixelcnn, wavenet or token-by-token decoder, else the
    encoder's."""
    if config.decoder.arch in ("pixelcnn", "wavenet") or config.decoder.arch in AUTOREGRESSIVE_SEQUENCE_DECODERS:
        return config.decoder.arch
    return config.encoder.arch


def reference_config(name: str) -> VAEConfig:
    """The server's own model of a family (the Train form's defaults with it; for gru, lstm and transformer,
    on the names data; for wavenet, on the waves), or ``"tiny"``: a 32-unit MLP."""
    text = {"dataset": "names", "arch": name, "likelihood": "categorical", "binarize": "none"}
    knobs = {
        "tiny": {"hidden": [32], "latent_dim": 2},
        "pixelcnn": {"decoder_arch": "pixelcnn"},
        "wavenet": {"dataset": "waves", "decoder_arch": "wavenet", "likelihood": "gaussian", "binarize": "none"},
    }.get(name, text if name in SEQUENCE_ENCODERS else {"arch": name})
    return apply(VAEConfig(), knobs).validate()


def reference_data(name: str):
    """What the reference model of a family reads: REFERENCE_SHAPE images, names for a sequence family, the waves
    for wavenet."""
    if name in (*SEQUENCE_ENCODERS, "wavenet"):
        from vae.data.catalog import data_modality

        return data_modality(reference_config(name).data)[0]
    return REFERENCE_SHAPE


@functools.lru_cache(maxsize=16)
def step_model(name: str, threads: int) -> tuple[float, float]:
    """(fixed seconds a step, slowdown over the matmul rate) for a family, from the server's own models.

    A tiny MLP's timed step is the per-step overhead (Python, the optimizer, small kernels);
    the family's reference model, timed, gives how much slower than ``flops / matmul_rate``
    its matrix work runs (convolutions rarely reach the matmul rate), once its elementwise work
    (:func:`seconds_per_element`) is taken out. ``threads`` is the cache key.
    """
    tiny = estimate(reference_config("tiny"), (1, 8, 8), REFERENCE_N)  # next to no FLOPs: the overhead alone
    ref = estimate(reference_config(name), reference_data(name), REFERENCE_N)
    overhead = tiny.seconds_per_step
    work = max(ref.seconds_per_step - overhead - ref.elements_per_step * seconds_per_element(threads), 1e-6)
    return overhead, max(1.0, work / (ref.flops_per_step / matmul_rate()))


def server_estimate(config: VAEConfig, x_shape: tuple[int, int, int], n_train: int, n_test: int = 0) -> CostEstimate:
    """An estimate a web server can make of a student's configuration without allocating the model.

    seconds a step = overhead + FLOPs / matmul rate x the family's slowdown (:func:`step_model`,
    timed once on the server's own models) + elements x :func:`seconds_per_element`. Work and
    parameters come from the meta device; a configuration over ``$VAE_MAX_PARAMETERS`` parameters
    or :func:`memory_budget` bytes is refused here: the Train page never builds or steps what a
    link asks for.
    """

    config.validate()
    batch = min(config.train.batch_size, n_train)
    params = count_parameters(config, x_shape)  # on the meta device: nothing allocated yet
    work = count_work(config, x_shape, batch, n_train) if params <= max_parameters() else None
    if work is None or work.parameters > max_parameters():
        raise ConfigError(
            N_(
                "this network has {value:.1f} M parameters; this server trains at most {value2:.0f} M: use fewer or "
                "narrower layers"
            ),
            value=(work.parameters if work else params) / 1e6,
            value2=max_parameters() / 1e6,
        )
    if work.peak_bytes > memory_budget():
        raise ConfigError(over_memory_message(work.peak_bytes, config))
    threads = torch.get_num_threads()
    overhead, slowdown = step_model(family(config), threads)
    seconds = overhead + work.flops / matmul_rate() * slowdown + work.elements * seconds_per_element(threads)
    return CostEstimate(
        work.parameters,
        work.flops,
        seconds,
        math.ceil(n_train / batch),
        config.train.epochs,
        "calibrated",
        math.ceil(n_test / batch),
        work.peak_bytes,
        work.elements,
    )


def over_memory_message(peak_bytes: int, config: VAEConfig) -> Text:
    """Why a run whose step would hold ``peak_bytes`` at once is refused, and what to reduce."""
    return Text(
        N_(
            "a step of this training would hold about {memory} of memory at once; this server allows {limit} "
            "per training: use a smaller batch{tc}, fewer latent dimensions or a smaller network"
        ),
        memory=fmt_bytes(peak_bytes),
        limit=fmt_bytes(memory_budget()),
        tc=Text(N_(" (beta-TCVAE compares every pair of a batch: batch x batch x latent values)"))
        if config.objective.name == "beta-tcvae"
        else "",
    )


def over_budget_message(est: CostEstimate, budget: float) -> Text:
    """Why a run is refused, and what to reduce."""
    fit = est.epochs_within(budget)
    advice = [
        Text(N_("train for {fit} epoch(s) or fewer"), fit=fit)
        if fit >= 1
        else Text(
            N_(
                "one epoch alone is over the limit: use fewer or narrower layers (fewer channels), "
                "a larger batch, or fewer images"
            )
        )
    ]
    if est.parameters > 2e6:
        advice.append(
            Text(N_("use a smaller network (this one has {params:.1f}M parameters)"), params=est.parameters / 1e6)
        )
    advice.append(Text(N_("or run it on your own machine with `python -m vae train` (no limit there)")))
    return Text(
        N_(
            "this training would take {total} ({per_epoch} per epoch x {epochs}); this server allows "
            "{budget} per training. To fit: {advice}"
        ),
        total=fmt_seconds(est.total_seconds),
        per_epoch=fmt_seconds(est.seconds_per_epoch),
        epochs=est.epochs,
        budget=fmt_seconds(budget),
        advice=advice,
    )
