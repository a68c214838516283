"""Training and evaluation: one loop for the command line, the web app and the tests.

The data are in-memory tensors moved once to the device; each epoch indexes them
with a random permutation (``x[perm[i:i+B]]``), which is several times cheaper than
a DataLoader. Losses stay on the device between log points (no ``.item()`` per
step). Randomness comes from the run's seed: model initialisation and dropout under
``torch.random.fork_rng`` (the caller's global RNG state is restored afterwards),
mini-batch order, binarization and the reparameterization noise from a private
``torch.Generator``. On the CPU a seed gives the same run every time.

Each epoch (:func:`train_epoch`) appends one history record
(:class:`vae.config.records.EpochRecord`): the epoch, step, seconds and KL weight; the
training loss and the training split's -ELBO, reconstruction and KL (summed from the
steps' own forward passes, at no extra cost); and the test -ELBO, reconstruction, KL,
KL per dimension and active units of a fixed share of the test split
(:func:`history_test_examples`, about 4 % of an epoch's work); and the gradient flow of a few of its steps
(vae/training/gradient_flow.py: each layer's gradient norm, its activations' statistics). The final metrics score
the whole test split once; the heavy reports (IWAE, I(x;z), the KL decomposition) are
computed at save, not per epoch (``vae/analysis/reports.py``).

Early stopping (``train.early_stopping``) holds VALIDATION_SHARE of the training split out of training, scores it
after every epoch (the record's ``valid_elbo``), keeps the parameters of the best epoch, stops after
``train.patience`` epochs without a better one, and returns the model of the best epoch (``kept_epoch`` in the final
metrics); the test split plays no part in the choice.

Callbacks: ``on_epoch(model, record)`` after every epoch with the record appended to the
history (the model in eval mode); ``on_step(info)`` every ``step_every`` steps. ``stop`` (anything with
``is_set()``, e.g. a ``threading.Event``) is checked before every step. The loop
touches no global state besides the RNG fork, so it may run in a worker thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from vae.analysis.evaluation import EVAL_SEED_OFFSET, evaluate, test_inputs
from vae.config import VAEConfig
from vae.config.records import EpochRecord, Metrics, StepInfo, epoch_record
from vae.data import Dataset, load_dataset
from vae.data.transforms import binarize
from vae.errors import ConfigError, TrainingDiverged
from vae.i18n import N_, Text
from vae.models.vae import VAE
from vae.objectives.objective import Objective
from vae.training.gradient_flow import FlowRecorder, record_every


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU; a named device must exist."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(
                N_("device {name!r} requested but no CUDA GPU is available here; use --device cpu or auto"), name=name
            )
        idx = torch.device(name).index or 0
        if idx >= torch.cuda.device_count():
            raise ConfigError(
                N_("device {name!r} does not exist: this machine has {value} GPU(s)"),
                name=name,
                value=torch.cuda.device_count(),
            )
    if name == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ConfigError(
            N_("device 'mps' requested but Apple's MPS backend is not available; use --device cpu or auto")
        )
    return torch.device(name)


@dataclass
class TrainResult:
    model: VAE
    config: VAEConfig
    history: list[EpochRecord]
    metrics: Metrics  # final test-split evaluation
    stopped: bool = False
    dataset: str = ""


VALIDATION_SHARE = 0.1  # early stopping: the share of the training split held out
VALIDATION_SEED_OFFSET = 3  # which examples are held out: a permutation seeded by seed + 3


def held_out_split(x: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(fit, held out): the last VALIDATION_SHARE (at least one example) of a permutation fixed by ``seed`` held
    out of the training split ``x``, for early stopping."""
    g = torch.Generator().manual_seed(seed + VALIDATION_SEED_OFFSET)
    perm = torch.randperm(len(x), generator=g).to(x.device)
    k = max(1, round(len(x) * VALIDATION_SHARE))
    return x[perm[k:]], x[perm[:k]]


def make_model(config: VAEConfig, modality) -> VAE:
    """Build the model for ``config`` and data of ``modality`` (or an image shape), initialised from
    ``config.train.seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.train.seed)
        return VAE(config, modality)


HISTORY_TEST_SHARE = 8  # each epoch's test pass scores n_train / 8 test examples: ~4 % of an epoch's work


def history_test_examples(n_train: int, n_test: int) -> int:
    """How many test examples each epoch's history record scores: the first n_train / HISTORY_TEST_SHARE (at
    least 100, at most all). A training step is a forward and a backward pass (about 3 forwards), so the test
    pass costs about 1 / (3 * HISTORY_TEST_SHARE) of an epoch. The final metrics always score the whole
    split."""
    return min(n_test, max(100, n_train // HISTORY_TEST_SHARE))


EXPLOSION_FACTOR = 10.0  # a batch -ELBO above this many times the untrained model's counts as a run that blew up


def _remedies(config: VAEConfig) -> list[Text]:
    """What to change after a run diverged (worded as the hints joined by "; ")."""
    hints = [
        Text(N_("lower the learning rate (now {lr:g}; try {lower:g})"), lr=config.train.lr, lower=config.train.lr / 10)
    ]
    if config.likelihood.name == "gaussian" and config.likelihood.variance != "fixed":
        hints.append(Text(N_("use a fixed Gaussian variance or the bernoulli likelihood")))
    if config.encoder.norm == "none":
        hints.append(Text(N_("add batch or layer normalization")))
    hints.append(Text(N_("use a smaller batch or fewer layers")))
    return hints


def _diverged(step: int, epoch: int, value: float, config: VAEConfig) -> TrainingDiverged:
    return TrainingDiverged(
        N_(
            "training diverged at step {step} (epoch {epoch}): the loss became {value}. Nothing was saved. To "
            "fix: {fix}"
        ),
        step=step,
        epoch=epoch,
        value=value,
        fix=_remedies(config),
    )


def _exploded(step: int, epoch: int, value: float, untrained: float, config: VAEConfig) -> TrainingDiverged:
    return TrainingDiverged(
        N_(
            "training diverged at step {step} (epoch {epoch}): the -ELBO of a batch reached {value:.4g} nats, more "
            "than {factor:g}x the untrained model's {untrained:.4g}: the run blew up. Nothing was saved. To fix: {fix}"
        ),
        step=step,
        epoch=epoch,
        value=value,
        factor=EXPLOSION_FACTOR,
        untrained=untrained,
        fix=_remedies(config),
    )


@dataclass
class _Run:
    """What one training holds between epochs."""

    config: VAEConfig
    model: VAE
    optimizer: torch.optim.Optimizer
    objective: Objective
    x_train: torch.Tensor
    x_hist: torch.Tensor  # the test examples each epoch's record scores
    gen: torch.Generator  # mini-batch order, binarization, reparameterization noise
    eval_gen: torch.Generator  # the same posterior noise at every evaluation
    batch_size: int
    steps_per_epoch: int
    t0: float
    step: int = 0
    flow: FlowRecorder | None = None  # the gradient flow, recorded a few times an epoch
    untrained: float = math.nan  # the first batch's -ELBO
    limit: float = math.inf  # EXPLOSION_FACTOR times it (or x's size)

    def evaluate(self, x: torch.Tensor) -> Metrics:
        self.eval_gen.manual_seed(self.config.train.seed + EVAL_SEED_OFFSET)
        return evaluate(self.model, x, generator=self.eval_gen)


def train(
    config: VAEConfig,
    dataset: Dataset | None = None,
    on_epoch: Callable[[VAE, EpochRecord], None] | None = None,
    on_step: Callable[[StepInfo], None] | None = None,
    stop: Any = None,
    step_every: int = 20,
    record_flow: bool = True,
) -> TrainResult:
    """Train a VAE as ``config`` says and return it with its history.

    ``on_epoch(model, record)`` receives the model, in eval mode and under ``no_grad``, and each epoch's
    history record (already appended), e.g. to draw reconstructions (it must not change the
    parameters). ``stop`` is any object with ``is_set()`` (a ``threading.Event``): training ends
    within one step of it being set.

    Raises :class:`TrainingDiverged` (the model is then discarded) when the loss
    becomes NaN or infinite, or a batch's -ELBO rises above EXPLOSION_FACTOR times the
    untrained model's; the check runs every ``step_every`` steps and at every epoch's
    end, and names the first bad step. ``record_flow`` records the gradient flow into the history
    (vae/training/gradient_flow.py; off only to measure what it costs).
    """
    config.validate()
    ds = dataset if dataset is not None else load_dataset(config.data)
    device = resolve_device(config.train.device)
    tr = config.train
    model = make_model(config, ds.modality).to(device)
    x_train, x_valid = ds.x_train.to(device), None
    if tr.early_stopping:  # the held-out examples are scored as the test split is (binarized once)
        x_train, x_valid = held_out_split(x_train, tr.seed)
        x_valid = test_inputs(x_valid, config, device)
    gen = torch.Generator(device=device)
    gen.manual_seed(tr.seed)
    x_test = test_inputs(ds.x_test, config, device)
    opt_kwargs: dict[str, Any] = {"lr": tr.lr, "weight_decay": tr.weight_decay}
    if device.type in ("cpu", "cuda"):
        opt_kwargs["fused"] = True
    n, bs = len(x_train), min(tr.batch_size, len(x_train))
    run = _Run(
        config=config,
        model=model,
        optimizer=torch.optim.AdamW(model.parameters(), **opt_kwargs),
        objective=Objective(config.objective, config.latent_dim, n, device, seed=tr.seed),
        x_train=x_train,
        x_hist=x_test[: history_test_examples(n, len(x_test))],
        gen=gen,
        eval_gen=torch.Generator(device=device),
        batch_size=bs,
        steps_per_epoch=math.ceil(n / bs),
        t0=time.perf_counter(),
    )
    if record_flow:
        run.flow = FlowRecorder(model, record_every(run.steps_per_epoch, tr.epochs))
    history: list[EpochRecord] = []
    stopped = False
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None  # early stopping: (held-out -ELBO, epoch, state)
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(tr.seed)  # dropout
        for epoch in range(1, tr.epochs + 1):
            record, stopped = train_epoch(run, epoch, on_step, stop, step_every)
            if record is None:
                break
            if x_valid is not None:
                record["valid_elbo"] = run.evaluate(x_valid)["elbo"]
                if best is None or record["valid_elbo"] < best[0]:
                    best = (record["valid_elbo"], epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
            history.append(record)
            if on_epoch is not None:
                model.eval()
                with torch.no_grad():
                    on_epoch(model, record)
            if stopped or (best is not None and epoch - best[1] >= tr.patience):
                break
    model.eval()
    if best is not None:  # early stopping: back to the epoch with the best held-out -ELBO
        model.load_state_dict(best[2])
    final = run.evaluate(x_test)  # the final metrics score the whole test split
    if best is not None:
        final["kept_epoch"] = best[1]
    return TrainResult(model=model, config=config, history=history, metrics=final, stopped=stopped, dataset=ds.name)


def train_epoch(
    run: _Run, epoch: int, on_step: Callable[[StepInfo], None] | None, stop: Any, step_every: int
) -> tuple[EpochRecord | None, bool]:
    """One pass over a random permutation of the training split, then the epoch's record.

    Returns (record, stopped); the record is None when a stop request came before the first step.
    The training sums are the steps' own forward passes: reconstruction sum_i E_q[-log p(x_i|z)] and
    KL sum_i KL(q(z|x_i) || p(z)) (summed over dimensions first, since a flow posterior's or the
    VampPrior's KL has one column), divided by the examples seen.
    """
    config, model, modality = run.config, run.model, run.model.modality
    model.train()
    n, bs, steps = len(run.x_train), run.batch_size, run.steps_per_epoch
    device = run.x_train.device
    perm = torch.randperm(n, generator=run.gen, device=device)
    xe = binarize(run.x_train, run.gen) if config.data.binarize == "dynamic" else run.x_train
    losses = torch.zeros(steps, device=device)
    elbos = torch.zeros(steps, device=device)  # each batch's -ELBO, per example
    rec_sum = torch.zeros((), device=device)
    kl_sum = torch.zeros((), device=device)
    checked, stopped, done, weight = 0, False, 0, 0.0
    for i in range(steps):
        if stop is not None and stop.is_set():
            stopped = True
            break
        xb = modality.batch(xe, perm[i * bs : (i + 1) * bs])
        progress = (epoch - 1) + i / steps
        recording = run.flow is not None and run.flow.due(run.step)
        if recording:
            run.flow.watch()
        out = model(xb, run.gen)
        loss, weight = run.objective.loss(out, progress, config.train.epochs)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if recording:
            run.flow.record(run.step + 1)
        run.optimizer.step()
        run.objective.update(out)
        run.step += 1
        done = i + 1
        losses[i] = loss.detach()
        rec_b, kl_b = out.rec.detach().sum(), out.kl_dims.detach().sum()
        rec_sum += rec_b
        kl_sum += kl_b
        elbos[i] = (rec_b + kl_b) / len(xb)
        if run.step == 1:
            run.untrained = float(elbos[0])
            run.limit = EXPLOSION_FACTOR * max(abs(run.untrained), float(math.prod(modality.shape)))
        if run.step % step_every == 0:
            checked = _check(losses, elbos, checked, done, run.step, epoch, config, run.untrained, run.limit)
            if on_step is not None:
                on_step(
                    StepInfo(
                        step=run.step,
                        epoch=epoch,
                        progress=progress + 1 / steps,
                        loss=float(losses[i]),
                        kl_weight=weight,
                        seconds=time.perf_counter() - run.t0,
                        steps_per_epoch=steps,
                        epochs=config.train.epochs,
                    )
                )
    _check(losses, elbos, checked, done, run.step, epoch, config, run.untrained, run.limit)
    if done == 0:
        return None, stopped
    seen = min(n, done * bs)
    record = epoch_record(
        epoch=epoch if not stopped else (epoch - 1) + done / steps,
        step=run.step,
        seconds=time.perf_counter() - run.t0,
        kl_weight=weight,
        train_loss=float(losses[:done].mean()),
        train_reconstruction=float(rec_sum) / seen,
        train_kl=float(kl_sum) / seen,
        test=run.evaluate(run.x_hist),
    )
    flow = run.flow.take() if run.flow is not None else None
    if flow is not None:
        record["gradient_flow"] = flow
    return record, stopped


def _check(
    losses: torch.Tensor,
    elbos: torch.Tensor,
    start: int,
    end: int,
    step: int,
    epoch: int,
    config: VAEConfig,
    untrained: float,
    limit: float,
) -> int:
    """Raise TrainingDiverged naming the first bad step of the window [start, end) of this epoch.

    A step is bad when its loss is NaN or infinite, or when its batch's -ELBO (rec + KL,
    whatever the objective's weights) is above ``limit``: EXPLOSION_FACTOR times the
    untrained model's first -ELBO (at least the size of x). Bounding the log-variance
    keeps an exploding run finite, so finiteness alone let it be saved as a success.
    """
    window = losses[start:end]
    bad = ~torch.isfinite(window)
    if bool(bad.any()):
        first = int(bad.nonzero()[0, 0])
        raise _diverged(step - (end - start) + first + 1, epoch, float(window[first]), config)
    over = elbos[start:end] > limit
    if bool(over.any()):
        first = int(over.nonzero()[0, 0])
        raise _exploded(step - (end - start) + first + 1, epoch, float(elbos[start + first]), untrained, config)
    return end
