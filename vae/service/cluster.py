"""Trainings as tasks on a Ray cluster, when one server is not enough for a class.

With ``$VAE_RAY_ADDRESS`` set, the server's :class:`vae.service.jobs.TrainingQueue` keeps its fair
line, budgets and names, and hands each training to Ray instead of a local child process
(:class:`RayTraining` in place of :class:`vae.service.worker.LocalTraining`):

* the task declares what it needs (:func:`task_resources`: ``num_cpus`` = the training's threads,
  ``num_gpus`` = ``$VAE_RAY_GPUS`` or 1 for a configuration that asks for CUDA; fractions share a
  GPU), so Ray places it on a node that has them;
* it runs :func:`vae.service.worker.run`, the same code as a local training, so the same
  configuration and seed give the same model;
* its progress messages go to one small :class:`Mailbox` actor of the server, which the queue
  empties every 0.2 s, so the Train page streams as for a local run; Stop sets a flag there that the
  task reads at most every ``STOP_POLL_SECONDS``, and keeps the finished epochs;
* the checkpoint comes back as the task's result (bytes; no shared file system needed) and lands in
  the class folder under the queue's name rules; a user's uploaded data file travels with the task.

Unset, nothing here is imported and Ray is neither needed nor started. ``VAE_RAY_ADDRESS=local`` starts
a Ray instance on this machine (loopback; the tests use it); any other value is given to
``ray.init(address=...)`` (``auto``, ``HOST:6379``, ``ray://HOST:10001``). Every node runs the same
install of this project (docs/ray.md).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from vae.errors import VAEError
from vae.i18n import N_
from vae.service.messages import Message, RunSpec, Saved

STOP_POLL_SECONDS = 0.5  # how often a task asks the mailbox whether its training was stopped
ENV_PREFIX = "VAE_"  # the server's settings a task takes along (limits, thread count, data folder)
_lock = threading.Lock()
_mailbox = None


class ClusterError(VAEError):
    """The Ray cluster named by ``$VAE_RAY_ADDRESS`` cannot be used."""


def ray_address() -> str | None:
    """``$VAE_RAY_ADDRESS`` (None when unset or empty: trainings run in local processes)."""
    return os.environ.get("VAE_RAY_ADDRESS", "").strip() or None


def check_reachable(address: str, seconds: float = 3.0) -> None:
    """Raise :class:`ClusterError` unless ``HOST:PORT`` accepts a connection within ``seconds``: ``ray.init``
    itself keeps retrying an unreachable head for minutes, while a page waits. ``local``, ``auto`` and
    ``ray://`` addresses are left to Ray."""
    host, sep, port = address.rpartition(":")
    if address in ("local", "auto") or "://" in address or not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as e:
        raise ClusterError(
            N_(
                "no Ray cluster answers at VAE_RAY_ADDRESS={address} ({e}): start its head with "
                "`ray start --head --port {port}`, or unset VAE_RAY_ADDRESS to train on this server"
            ),
            address=address,
            e=e,
            port=port,
        ) from None


def connect(address: str | None = None):
    """Join the Ray cluster at ``address`` (default :func:`ray_address`) once per process; return ``ray``."""
    address = address or ray_address()
    if address is not None:
        check_reachable(address)
    if "ray" in sys.modules and sys.modules["ray"].is_initialized():
        return sys.modules["ray"]
    if address is None:
        raise ClusterError(N_("set VAE_RAY_ADDRESS to the Ray cluster's address (HOST:6379, auto or local)"))
    import ray

    with _lock:
        if not ray.is_initialized():
            common = {"namespace": "vae-explorer", "log_to_driver": False, "configure_logging": False}
            if address == "local":
                ray.init(include_dashboard=False, num_cpus=os.cpu_count() or 1, **common)
            else:
                ray.init(address=address, **common)
    return ray


def mailbox():
    """This server's :class:`Mailbox` actor (started on first use)."""
    global _mailbox
    ray = connect()
    with _lock:
        if _mailbox is None:
            _mailbox = ray.remote(num_cpus=0)(Mailbox).remote()
        return _mailbox


def training_threads() -> int:
    """CPUs one training asks of the cluster: ``$VAE_TRAIN_THREADS``, else 1 (one small model per core)."""
    return max(1, int(os.environ.get("VAE_TRAIN_THREADS") or 1))


def task_resources(config: dict[str, Any]) -> dict[str, float]:
    """What a training task declares: ``num_cpus`` (its threads) and ``num_gpus`` (``$VAE_RAY_GPUS``, else 1
    when the configuration asks for ``cuda``, else 0; a fraction such as 0.25 lets four share a GPU)."""
    device = str(config.get("train", {}).get("device", "auto"))
    gpus = os.environ.get("VAE_RAY_GPUS")
    num_gpus = float(gpus) if gpus else (1.0 if device.startswith("cuda") else 0.0)
    return {"num_cpus": training_threads(), "num_gpus": num_gpus}


def capacity() -> int:
    """How many trainings the cluster runs at once: its CPUs over one training's (at least 1)."""
    cpus = connect().cluster_resources().get("CPU", 1)
    return max(1, int(cpus // training_threads()))


class Mailbox:
    """A Ray actor: each training's messages, in the order it sent them, and the stop flags.

    Calls from one task to an actor run in the order they were made, so the queue reads a training's
    messages as a pipe would give them.
    """

    def __init__(self) -> None:
        self.messages: dict[str, list[Message]] = {}
        self.stops: set[str] = set()

    def put(self, key: str, message: Message) -> None:
        self.messages.setdefault(key, []).append(message)

    def take(self, key: str) -> list[Message]:
        return self.messages.pop(key, [])

    def stop(self, key: str) -> None:
        self.stops.add(key)

    def stopping(self, key: str) -> bool:
        return key in self.stops

    def forget(self, key: str) -> None:
        self.messages.pop(key, None)
        self.stops.discard(key)


class _MailboxConn:
    """The task's end: ``send`` posts to the mailbox (without waiting), like a pipe's ``send``."""

    def __init__(self, box, key: str) -> None:
        self.box, self.key = box, key

    def send(self, message: Message) -> None:
        self.box.put.remote(self.key, message)

    def close(self) -> None:
        pass


class _MailboxStop:
    """``is_set()`` once the server asked this training to stop (read from the mailbox at most every
    ``STOP_POLL_SECONDS``: the trainer asks at every step)."""

    def __init__(self, box, key: str) -> None:
        self.box, self.key, self._set, self._asked = box, key, False, 0.0

    def is_set(self) -> bool:
        import ray

        now = time.monotonic()
        if not self._set and now - self._asked >= STOP_POLL_SECONDS:
            self._asked = now
            self._set = ray.get(self.box.stopping.remote(self.key))
        return self._set


def train_task(
    spec: RunSpec, key: str, settings: dict[str, str], data_file: tuple[str, bytes] | None, box
) -> bytes | None:
    """The body of a Ray task on some node: :func:`vae.service.worker.run` with the mailbox as its pipe.
    Returns the checkpoint's bytes (None when nothing was saved)."""
    from vae.service import worker

    os.environ.update(settings)
    with tempfile.TemporaryDirectory(prefix="vae-train-") as tmp:
        dataset = None
        if data_file is not None:  # the user's file, copied here under its own name (the dataset is named after it)
            from vae.data.catalog import read_user_data

            path = Path(tmp) / Path(data_file[0]).name
            path.write_bytes(data_file[1])
            dataset = read_user_data(spec.config["data"]["name"], path)
        partial = Path(tmp) / "model.safetensors"
        conn, stop = _MailboxConn(box, key), _MailboxStop(box, key)
        try:
            worker.run(dataclasses.replace(spec, partial=str(partial)), conn, stop, None, dataset)
        finally:  # calls from one caller run in order: once this returns, every message is in the mailbox
            import ray

            ray.get(box.stopping.remote(key))
        return partial.read_bytes() if partial.exists() else None


@functools.cache
def _remote_train_task():
    import ray

    return ray.remote(train_task)


class RayTraining:
    """A training running as a Ray task, as the queue sees it (the methods of
    :class:`vae.service.worker.LocalTraining`). On Saved the checkpoint's bytes are fetched and written to
    ``partial``, so the queue goes on as for a local run."""

    def __init__(self, name: str, spec: RunSpec) -> None:
        ray = connect()
        self._ray, self._box, self._key, self._partial = ray, mailbox(), f"{name}-{os.getpid()}", Path(spec.partial)
        self._pending: list[Message] = []
        self._error: str | None = None
        settings = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX) and k != "VAE_RAY_ADDRESS"}
        settings.setdefault("VAE_TRAIN_THREADS", str(training_threads()))
        data = spec.config.get("data", {})
        data_file = None
        if data.get("name") in ("npz", "zip", "text") and data.get("path") and Path(data["path"]).is_file():
            data_file = (data["path"], Path(data["path"]).read_bytes())  # bounded by the upload limits
        task = _remote_train_task().options(name=name, max_retries=0, **task_resources(spec.config))
        self._ref = task.remote(spec, self._key, settings, data_file, self._box)

    def poll(self, timeout: float) -> bool:
        if not self._pending:
            self._pending = self._ray.get(self._box.take.remote(self._key))
            if not self._pending and timeout > 0:
                time.sleep(timeout)
                self._pending = self._ray.get(self._box.take.remote(self._key))
        return bool(self._pending)

    def recv(self) -> Message:
        if not self.poll(0):
            raise EOFError
        message = self._pending.pop(0)
        if isinstance(message, Saved):
            data = self._ray.get(self._ref)
            self._partial.write_bytes(data)
        return message

    def is_alive(self) -> bool:
        ready, _ = self._ray.wait([self._ref], timeout=0)
        return not ready

    def request_stop(self) -> None:
        self._box.stop.remote(self._key)

    def kill(self) -> None:
        self._ray.cancel(self._ref, force=True)

    @property
    def exitcode(self) -> str | None:
        """Why the task ended without a last message (Ray's error, e.g. a node that went away)."""
        try:
            self._ray.get(self._ref, timeout=0)
        except Exception as e:  # noqa: BLE001 - any error of the task is the answer
            return f"{type(e).__name__}: {e}"
        return None

    def close(self) -> None:
        self._box.forget.remote(self._key)
