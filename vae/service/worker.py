"""One training in a process of its own.

:class:`vae.service.jobs.TrainingQueue` starts :func:`run` in a child process at a
lower CPU priority, so that a training shares no interpreter lock with the page
renders of the server.

The child trains, streams its progress back over a pipe, computes the checkpoint's
reports, writes the checkpoint to the ``partial`` path given and says so; the
parent picks the final name and moves it there.

The child is forked from a fork server (:func:`context`) that has already imported
torch and the training code, so a training starts at once (a spawned child would import
torch first). The fork server is a fresh single-purpose process, never the
multi-threaded web server.

Messages, child to parent (tuples over a ``multiprocessing`` pipe between this
project's own processes; nothing a user supplies is ever unpickled):

    ("started", nice, threads)                 the process is up, at this nice value and thread count
    ("step", progress_epochs, seconds)         at most every STEP_MESSAGE_SECONDS
    ("epochs", records, original, reconstruction) the epochs ended since the last one, at most every
                                               EPOCH_MESSAGE_SECONDS (and at the end); 8 test previews
    ("saving",)                                training ended; reports and file next
    ("saved", metrics, stopped, deadline_passed)
    ("empty", deadline_passed)                 stopped before the first epoch ended
    ("failed", error)                          the VAEError itself, or a bug's traceback (a string)
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from pathlib import Path

from vae.config.records import EpochRecord, StepInfo
from vae.service.messages import Empty, Epochs, Failed, Message, RunSpec, Saved, Saving, Started, Step

STEP_MESSAGE_SECONDS = 0.2
EPOCH_MESSAGE_SECONDS = 0.5  # epoch records (and the preview) go together, at most this often: a digits epoch
# takes 20 ms, and one message each made the web server's relay thread fall seconds behind under a class
PREVIEW_EXAMPLES = 8
PRELOAD = [
    "torch",
    "pandas",
    "sklearn.datasets",  # the built-in datasets' readers (mnist5k, digits)
    "vae.models.checkpoints",
    "vae.config",
    "vae.data",
    "vae.analysis.reports",
    "vae.training.trainer",
    "vae.service.worker",
]


def context():
    """The ``multiprocessing`` context that starts trainings: ``forkserver``, its server preloading :data:`PRELOAD`.

    The fork server is started once (:func:`start_fork_server`, or at the first training) as a fresh
    interpreter; each training is a fork of it, with torch imported and no torch operation run yet.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows: a fresh interpreter each time
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_fork_server() -> None:
    """Start the fork server now (the web app does at start-up), so that the first training starts at once."""
    if context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def train_threads() -> int:
    """PyTorch threads of one web training: ``$VAE_TRAIN_THREADS``, else half the cores (at least 1).

    The other half serve the pages. On a busy machine a training's OpenMP threads wait
    for each other at every operation, so with all cores asked for and none free it
    barely advanced (a digits MLP on 2 cores under a class of 10: 48 epochs in 70 s).
    """
    env = os.environ.get("VAE_TRAIN_THREADS")
    return max(1, int(env)) if env else max(1, (os.cpu_count() or 1) // 2)


class StopOrDeadline:
    """``is_set()`` when a stop was requested or the deadline (``time.monotonic()``) has passed."""

    def __init__(self, stop, deadline: float | None):
        self.stop, self.deadline, self.deadline_passed = stop, deadline, False

    def is_set(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.deadline_passed = True
        return self.stop.is_set() or self.deadline_passed


def _use_environment(env: dict[str, str] | None) -> None:
    """A forked child takes the parent's environment as it is now (``env``), not the fork server's as it was when
    the server started (the data folder, the thread count...)."""
    if env is not None:
        os.environ.clear()
        os.environ.update(env)


def run(spec: RunSpec, conn, stop, env: dict[str, str] | None = None, dataset=None) -> None:
    """Train ``spec.config``; save to ``spec.partial``; report everything over ``conn`` (the child's side) as
    the messages of :mod:`vae.service.messages`.

    ``conn`` is anything with ``send(message)`` and ``close()`` (a pipe's end here; a Ray mailbox in
    :mod:`vae.service.cluster`), ``stop`` anything with ``is_set()``. ``dataset``, when given, is the
    :class:`vae.data.Dataset` to train on instead of the one ``config`` names (a node of a cluster reads a
    user's file from a copy).

    ``spec.with_reports=False`` saves without the heavy reports: the server computes them afterwards
    (:func:`add_reports`, in the background), so the model is usable the moment it is saved.

    ``env`` is the parent's environment now: a forked child would otherwise see the fork server's, as it was
    when the server started (the data folder, the thread count...)."""
    _use_environment(env)
    import torch

    from vae.service.priority import lower_process

    try:
        torch.set_num_threads(train_threads())
        conn.send(Started(lower_process(spec.nice), torch.get_num_threads()))
        _train(spec, conn, stop, dataset)
    except BaseException as e:  # noqa: BLE001 - the parent must always hear how it ended
        from vae.errors import VAEError

        msg = e if isinstance(e, VAEError) else f"unexpected error: {e!r}\n{traceback.format_exc(limit=3)}"
        try:  # the error itself, so that the page words it in the reader's language
            conn.send(Failed(msg))
        except OSError:
            pass
        except Exception:  # noqa: BLE001 - a value of the error that does not pickle: its English message
            conn.send(Failed(str(msg)))
    finally:
        conn.close()


def _train(spec: RunSpec, conn, stop, dataset=None) -> None:
    from vae.analysis.reports import compute_reports
    from vae.config import VAEConfig
    from vae.data import load_dataset
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    cfg = VAEConfig.from_dict(spec.config).validate()
    deadline = None if spec.seconds_left is None else time.monotonic() + spec.seconds_left
    ds = dataset if dataset is not None else load_dataset(cfg.data)
    x_prev = ds.x_test[:PREVIEW_EXAMPLES]
    last = [0.0]

    def on_step(info: StepInfo) -> None:
        now = time.monotonic()
        if now - last[0] >= STEP_MESSAGE_SECONDS:
            last[0] = now
            conn.send(Step(info["progress"], info["seconds"]))

    pending: list[EpochRecord] = []  # epoch records not sent yet
    sent = [0.0]

    def send_epochs(model) -> None:
        device = next(model.parameters()).device
        rec = model.reconstruct(x_prev.to(device)).cpu().numpy()
        if model.modality.textual:  # the text, which the page shows as it is
            conn.send(Epochs(list(pending), model.modality.show(x_prev.numpy()), model.modality.show(rec)))
        else:
            conn.send(Epochs(list(pending), x_prev.numpy(), rec))
        pending.clear()
        sent[0] = time.monotonic()

    def on_epoch(model, record: EpochRecord) -> None:
        pending.append(record)
        if time.monotonic() - sent[0] >= EPOCH_MESSAGE_SECONDS:
            send_epochs(model)

    guard = StopOrDeadline(stop, deadline)
    result = train(cfg, ds, on_step=on_step, stop=guard, on_epoch=on_epoch, step_every=5)
    if pending:
        send_epochs(result.model)
    if not result.history:
        conn.send(Empty(guard.deadline_passed and not stop.is_set()))
        return
    conn.send(Saving(spec.with_reports))
    extra = {"stopped": result.stopped, "owner": spec.owner}
    if spec.with_reports:
        extra["reports"] = compute_reports(result.model, ds, seed=cfg.train.seed)
    save_checkpoint(spec.partial, result.model, result.history, result.metrics, dataset=result.dataset, extra=extra)
    conn.send(Saved(result.metrics, result.stopped, guard.deadline_passed and not stop.is_set()))


class LocalTraining:
    """A training running in a child process of this machine (:func:`run`), as the queue sees it.

    The queue (:class:`vae.service.jobs.TrainingQueue`) drives any training through these methods;
    :class:`vae.service.cluster.RayTraining` offers the same for a task on a Ray cluster.
    """

    def __init__(self, name: str, spec: RunSpec) -> None:
        ctx = context()  # a fork server with torch imported: never a fork of the multi-threaded web server
        self._receive, send = ctx.Pipe(duplex=False)
        self._stop = ctx.Event()
        args = (spec, send, self._stop, dict(os.environ))
        self._proc = ctx.Process(target=run, name=name, daemon=True, args=args)
        self._proc.start()
        send.close()

    def poll(self, timeout: float) -> bool:
        """True when a message is waiting (waits up to ``timeout`` s)."""
        return self._receive.poll(timeout)

    def recv(self) -> Message:
        """The next message; EOFError when the process has closed its end."""
        return self._receive.recv()

    def is_alive(self) -> bool:
        return self._proc.is_alive()

    def request_stop(self) -> None:
        self._stop.set()

    def kill(self) -> None:
        self._proc.kill()

    @property
    def exitcode(self):
        return self._proc.exitcode

    def close(self) -> None:
        self._proc.join(30)
        if self._proc.is_alive():
            self._proc.kill()
        self._receive.close()


def add_reports(path: str, nice: int, env: dict[str, str] | None = None) -> None:
    """Child process: compute the heavy reports of the saved checkpoint at ``path`` and store them in it,
    at CPU priority ``nice``, on one thread (:func:`vae.analysis.reports.refresh_reports`)."""
    _use_environment(env)
    import torch

    from vae.analysis.reports import refresh_reports
    from vae.service.priority import lower_process

    lower_process(nice)
    torch.set_num_threads(1)
    if not Path(path).exists():  # deleted (or published) before its turn
        return
    refresh_reports(path, Path(path).parent / ".partial")
