"""Background training jobs and the queue that limits how many run at once.

A web server shared by a classroom must not start thirty trainings on one CPU.
:class:`TrainingQueue` runs at most ``max_running`` jobs; the others wait, first in
first out, and know their place in the line. Each :class:`TrainingJob` trains in a
process of its own (:mod:`vae.service.worker`, at nice 5: the server's page renders go
first and share no interpreter lock with it); a thread of the server mirrors its
progress (epoch, fraction done, time left, the
history so far, a few test reconstructions after every epoch) under a lock;
a user interface polls :meth:`TrainingJob.snapshot`. Nothing here imports a UI
library, so the same jobs run under Streamlit, a test or a script.

When a job ends it saves its model into the queue's checkpoint folder under the
name the user chose. A queue never replaces a file: when the name is taken (in its
folder, in the read-only ``shared_dirs`` beside it, or by another job), the model is
saved under the next free name (``name-2``...), so no good checkpoint is ever lost.
The checkpoint records its ``owner`` (an opaque token of the browser session that
submitted it), so only that session may delete it.

Cost: a queue with ``max_seconds`` refuses a job whose estimate (:mod:`vae.service.cost`)
exceeds it, and stops a running job that passes it; the epochs finished by then are
saved.
"""

from __future__ import annotations

import os
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vae.config import VAEConfig
from vae.errors import ConfigError, VAEError
from vae.i18n import N_, Text
from vae.service.background import BackgroundReports
from vae.service.messages import ENDS, Empty, Epochs, Failed, Message, RunSpec, Saved, Saving, Started, Step

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
KILL_GRACE_SECONDS = 60  # past the budget, a training process that has not stopped by itself is killed


def checkpoint_name_error(name: str) -> Text | None:
    """Why ``name`` cannot be a checkpoint file name, or None when it can."""
    if not NAME_RE.match(name or ""):
        return Text(
            N_(
                "a model name uses 1-80 letters, digits, '.', '_' or '-' and starts with a letter or digit; "
                "got {name!r}"
            ),
            name=name,
        )
    if name.endswith(".safetensors"):
        return Text(N_("give the name without the .safetensors ending"))
    return None


STATES = (N_("queued"), N_("running"), N_("done"), N_("stopped"), N_("failed"))  # a job's states, as pages show them


@dataclass
class TrainingJob:
    id: int
    name: str
    config: VAEConfig
    out: Path
    owner: str | None = None
    estimate: Any = None  # vae.service.cost.CostEstimate, when the queue has a budget
    deadline: float | None = None  # time.monotonic() value at which the job stops
    nice: int | None = None  # the training process's CPU priority (vae.service.priority)
    threads: int | None = None  # its PyTorch threads (vae.service.worker.train_threads)
    state: str = "queued"  # -> running -> done | stopped | failed (or queued -> stopped when cancelled)
    first: bool = False  # the teacher let it jump the line
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    progress: float = 0.0  # fraction of all steps done
    epoch: float = 0.0
    seconds: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)
    preview: dict[str, Any] | None = None  # {"original": (n,C,H,W), "reconstruction": ...}; for text: strings
    message: str = ""  # a vae.i18n.Text: English, and worded again in the reader's language by the web app
    checkpoint: Path | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------ reading
    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of the job's public state."""
        with self._lock:
            return {
                "id": self.id,
                "name": self.name,
                "state": self.state,
                "progress": self.progress,
                "epoch": self.epoch,
                "epochs": self.config.train.epochs,
                "seconds": self.seconds,
                "eta": self.eta(),
                "history": list(self.history),
                "preview": self.preview,
                "message": self.message,
                "owner": self.owner,
                "first": self.first,
                "submitted": self.submitted,
                "checkpoint": self.checkpoint,
                "config": self.config,
                "stop_requested": self._stop.is_set(),
                "started": self.started,
            }

    def eta(self) -> float | None:
        """Seconds left, extrapolated from the pace so far."""
        if self.state != "running" or self.progress <= 0:
            return None
        return self.seconds * (1 - self.progress) / self.progress

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def request_stop(self) -> None:
        """Stop at the next step (a queued job is dropped; a running one keeps what it learned)."""
        self._stop.set()

    def _update(self, **kw) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self, k, v)


class TrainingQueue:
    """Runs submitted jobs in background threads, at most ``max_running`` at a time, in a fair order.

    The order is round-robin across owners (browser sessions): a job's *round* is how many
    of its owner's earlier jobs are still queued or running, and the queue starts the job of
    the lowest round, the earliest submitted among equals. So a student's second run waits
    behind everyone's first, and one who queues several never holds up the others. A job the
    teacher moved to the front (:meth:`move_to_front`) goes before all rounds. Each owner may
    have at most ``max_per_owner`` jobs queued or running (None: no limit), and ``quota(owner,
    jobs queued or running)`` (a storage quota, :func:`vae.service.storage.quota_problem`) may
    refuse a run with the error it returns.
    """

    def __init__(
        self,
        checkpoint_dir: str | Path,
        max_running: int = 1,
        max_seconds: float | None = None,
        shared_dirs: tuple[str | Path, ...] = (),
        max_per_owner: int | None = None,
        reports: BackgroundReports | None = None,
        runner=None,
        quota: Callable[[str, int], VAEError | None] | None = None,
    ):
        if max_running < 1:
            raise ConfigError(N_("max_running must be at least 1"))
        self.checkpoint_dir = Path(checkpoint_dir)
        self.shared_dirs = tuple(Path(d) for d in shared_dirs)
        self.max_running = max_running
        self.max_seconds = max_seconds
        self.max_per_owner = max_per_owner
        self.quota = quota
        self.reports = reports  # given: models are saved without reports, which it computes afterwards
        self.runner = runner  # None: local processes; vae.service.cluster.RayTraining: tasks on a Ray cluster
        self.cluster_problem: VAEError | None = None  # why the trainings run here though a cluster was asked for
        self._jobs: list[TrainingJob] = []
        self._cond = threading.Condition()
        self._next_id = 1

    # ------------------------------------------------------------ public
    def submit(self, config: VAEConfig, name: str, owner: str | None = None, estimate: Any = None) -> TrainingJob:
        """Validate and enqueue a training; raises ConfigError with the reason when refused.

        A taken ``name`` becomes the next free one (``name-2``...); the job's ``name`` says
        which. With a budget, ``estimate`` (a :class:`vae.service.cost.CostEstimate`) is computed
        when not given, and a run over the budget of time or memory is refused with what to reduce.
        """
        from vae.service.cost import estimate_for, memory_budget, over_budget_message, over_memory_message

        config = VAEConfig.from_dict(config.to_dict()).validate()
        err = checkpoint_name_error(name)
        if err:
            raise ConfigError(err)
        mine = self.active_of(owner) if owner is not None else 0
        if owner is not None and self.max_per_owner is not None:
            if mine >= self.max_per_owner:
                raise ConfigError(
                    N_(
                        "you already have {n} training(s) queued or running, the most one student may have at a "
                        "time: wait for one to finish, or stop one"
                    ),
                    n=mine,
                )
        if owner is not None and self.quota is not None:
            problem = self.quota(owner, mine)
            if problem is not None:
                raise problem
        if self.max_seconds is not None:
            estimate = estimate or estimate_for(config)
            if estimate.total_seconds > self.max_seconds:
                raise ConfigError(over_budget_message(estimate, self.max_seconds))
            if estimate.peak_bytes > memory_budget():
                raise ConfigError(over_memory_message(estimate.peak_bytes, config))
        with self._cond:
            out = self.free_path(name)
            job = TrainingJob(self._next_id, out.stem, config, out, owner=owner, estimate=estimate)
            self._next_id += 1
            self._jobs.append(job)
        threading.Thread(target=self._run, args=(job,), name=f"train-{job.id}", daemon=True).start()
        return job

    def submit_sweep(
        self, config: VAEConfig, name: str, changes: list[dict[str, Any]], owner: str | None = None
    ) -> tuple[list[TrainingJob], list[ConfigError]]:
        """One run of ``config`` per change (knob name -> value, ``vae.config.values.apply``), each named after
        ``name`` and its values ("digits-z4-beta8", "...-beta8-epochs5" for two). Each is submitted as
        :meth:`submit` would; the runs submitted, and why the others were refused (the per-session limit, the
        budget...)."""
        from vae.config.values import apply

        jobs, refused = [], []
        for change in changes:
            suffix = "-".join(f"{k}{v:g}" if isinstance(v, float) else f"{k}{v}" for k, v in change.items())
            try:
                jobs.append(self.submit(apply(config, change), f"{name}-{suffix}", owner=owner))
            except ConfigError as e:
                refused.append(e)
        return jobs, refused

    def name_taken(self, name: str) -> bool:
        """True when a checkpoint ``name`` exists in any folder this queue sees, or a job will save as it."""
        file = f"{name}.safetensors"
        if any((d / file).exists() for d in (self.checkpoint_dir, *self.shared_dirs)):
            return True
        return any(j.active and j.out.name == file for j in self._jobs)

    def free_path(self, name: str) -> Path:
        """Where a model called ``name`` can be saved: ``name``, else ``name-2``, ``name-3``..."""
        with self._cond:  # re-entrant: callers holding the lock may call it
            cand = name
            for i in range(2, 10_000):
                if not self.name_taken(cand):
                    return self.checkpoint_dir / f"{cand}.safetensors"
                cand = f"{name}-{i}"
        raise ConfigError(
            N_("no free name like {name!r} in {checkpoint_dir}"), name=name, checkpoint_dir=self.checkpoint_dir
        )

    def place(self, name: str, write: Callable[[Path], object]) -> Path:
        """Store a new model called ``name`` (or ``name-2``...) and return its path: ``write(partial)`` writes
        it to a file of this folder's ``.partial``, then under the queue's lock, where trainings take their
        names too, a free name is chosen and the file moved there. Two uploads or an upload and a training
        never share a name, and nothing is replaced."""
        partial_dir = self.checkpoint_dir / ".partial"
        partial_dir.mkdir(parents=True, exist_ok=True)
        partial = partial_dir / f"upload-{uuid.uuid4().hex}.safetensors"
        try:
            write(partial)
            with self._cond:
                out = self.free_path(name)
                os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
        return out

    def active_of(self, owner: str) -> int:
        """How many of ``owner``'s jobs are queued or running."""
        return sum(j.active and j.owner == owner for j in self.jobs())

    def jobs(self) -> list[TrainingJob]:
        with self._cond:
            return list(self._jobs)

    def get(self, job_id: int) -> TrainingJob | None:
        return next((j for j in self.jobs() if j.id == job_id), None)

    def running(self) -> list[TrainingJob]:
        return [j for j in self.jobs() if j.state == "running"]

    def waiting(self) -> list[TrainingJob]:
        """The queued jobs in the order they will start."""
        with self._cond:
            return self._fair_order()

    def position(self, job: TrainingJob) -> int:
        """1 for the next job to start, 0 when not waiting."""
        waiting = self.waiting()
        return waiting.index(job) + 1 if job in waiting else 0

    def seconds_to_start(self, job: TrainingJob, now: float | None = None) -> float | None:
        """About how many seconds until ``job`` starts: the slots free up as the running jobs finish (their
        estimate, or the pace so far), then the jobs ahead of it take theirs. None when a job ahead has no
        estimate; 0 for a job that is not waiting."""
        now = time.time() if now is None else now
        waiting = self.waiting()
        if job not in waiting:
            return 0.0
        slots = []
        for r in self.running():
            s = r.snapshot()
            left = s["eta"]
            if left is None and r.estimate is not None and r.started is not None:
                left = max(0.0, r.estimate.total_seconds - (now - r.started))
            if left is None:
                return None
            slots.append(left)
        slots += [0.0] * (self.max_running - len(slots))
        for ahead in waiting[: waiting.index(job)]:
            if ahead.estimate is None:
                return None
            slots.sort()
            slots[0] += ahead.estimate.total_seconds
        return min(slots)

    def move_to_front(self, job_id: int) -> bool:
        """The teacher's "jump the line": the queued job starts next (after others moved earlier). False when
        it is not waiting."""
        with self._cond:
            job = next((j for j in self._jobs if j.id == job_id and j.state == "queued"), None)
            if job is None:
                return False
            job.first = True
            job.submitted = time.time()  # among jobs moved to the front, the last moved goes last
            self._cond.notify_all()
            return True

    def cancel(self, job_id: int) -> bool:
        """Stop a job (a queued one never starts; a running one keeps its finished epochs). False if unknown."""
        job = self.get(job_id)
        if job is None or not job.active:
            return False
        job.request_stop()
        with self._cond:
            self._cond.notify_all()
        return True

    def wait(self, job: TrainingJob, timeout: float | None = None) -> bool:
        """Block until ``job`` has ended; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not job.active, timeout)

    # ------------------------------------------------------------ worker
    def _fair_order(self) -> list[TrainingJob]:
        """Queued jobs by (moved to the front, round, submission); the caller holds the lock."""
        rounds, active_before = {}, {}
        for j in self._jobs:  # in submission order
            rounds[j.id] = active_before.get(j.owner, 0)
            if j.active:
                active_before[j.owner] = active_before.get(j.owner, 0) + 1
        queued = [j for j in self._jobs if j.state == "queued" and not j._stop.is_set()]
        return sorted(queued, key=lambda j: (not j.first, j.submitted if j.first else 0, rounds[j.id], j.id))

    def _my_turn(self, job: TrainingJob) -> bool:
        running = sum(j.state == "running" for j in self._jobs)
        order = self._fair_order()
        return running < self.max_running and bool(order) and order[0] is job

    def _run(self, job: TrainingJob) -> None:
        with self._cond:
            while not job._stop.is_set() and not self._my_turn(job):
                self._cond.wait(0.5)
            if job._stop.is_set():
                job._update(state="stopped", message=Text(N_("cancelled before it started")), finished=time.time())
                self._cond.notify_all()
                return
            job._update(state="running", started=time.time(), message=Text(N_("starting the training process")))
        try:
            self._train(job)
        except VAEError as e:
            job._update(state="failed", message=e.as_text())
        except Exception as e:  # a bug: keep the server alive and say what happened
            job._update(state="failed", message=f"unexpected error: {e!r}\n{traceback.format_exc(limit=3)}")
        finally:
            with self._cond:
                job._update(finished=time.time())
                self._cond.notify_all()

    def _train(self, job: TrainingJob) -> None:
        """Run the training (in a child process, :class:`vae.service.worker.LocalTraining`, or as the queue's
        ``runner`` says) and mirror its progress into ``job``."""

        from vae.service import worker
        from vae.service.priority import TRAINING_NICE

        cfg = job.config
        partial_dir = self.checkpoint_dir / ".partial"
        partial_dir.mkdir(parents=True, exist_ok=True)
        partial = partial_dir / f"{job.id}-{uuid.uuid4().hex[:8]}.safetensors"
        # The budget (max_seconds) counts from the child's "started": its start-up is not the student's time.
        spec = RunSpec(cfg.to_dict(), str(partial), job.owner, self.max_seconds, TRAINING_NICE, self.reports is None)
        run = (self.runner or worker.LocalTraining)(f"vae-train-{job.id}", spec)
        end = None
        try:
            while end is None:
                if job._stop.is_set():
                    run.request_stop()
                if job.deadline is not None and time.monotonic() > job.deadline + KILL_GRACE_SECONDS:
                    run.kill()  # it did not stop at the limit (one step longer than the grace?)
                    raise VAEError(
                        N_(
                            "the training passed this server's limit of {limit:g} s and "
                            "did not stop; it was ended and nothing was saved"
                        ),
                        limit=self.max_seconds,
                    )
                if not run.poll(0.2):
                    if not run.is_alive() and not run.poll(0):
                        break
                    continue
                try:
                    msg = run.recv()
                except EOFError:
                    break
                if isinstance(msg, Started) and self.max_seconds is not None:
                    job._update(deadline=time.monotonic() + self.max_seconds)
                end = self._on_message(job, msg)
        finally:
            run.close()
        if end is None:
            partial.unlink(missing_ok=True)
            raise VAEError(
                N_("the training process ended unexpectedly (exit code {code}); nothing was saved"), code=run.exitcode
            )
        if isinstance(end, Failed):
            partial.unlink(missing_ok=True)
            raise end.error if isinstance(end.error, VAEError) else VAEError(end.error)
        limit = end.at_limit  # stopped at the server's limit
        if isinstance(end, Empty):
            job._update(
                state="stopped",
                message=Text(
                    N_(
                        "stopped at this server's limit of {limit:g} s per training before the first epoch ended: "
                        "nothing to save"
                    )
                    if limit
                    else N_("stopped before the first epoch ended: nothing to save"),
                    limit=self.max_seconds,
                ),
            )
            return
        metrics, stopped = end.metrics, end.stopped
        with self._cond:  # the final name is chosen and taken under the queue's lock: nothing is replaced
            out = job.out if not job.out.exists() else self.free_path(job.out.stem)
            os.replace(partial, out)
        note = Text(
            N_("saved {file}: test -ELBO {elbo:.2f} nats, KL {kl:.2f}, active units {active}/{d}"),
            file=out.name,
            elbo=metrics["elbo"],
            kl=metrics["kl"],
            active=metrics["active_units"],
            d=cfg.latent_dim,
        )
        if limit:
            note = Text(
                N_("stopped at this server's limit of {limit:g} s per training after {epochs:.1f} epoch(s); {note}"),
                limit=self.max_seconds,
                epochs=job.history[-1]["epoch"],
                note=note,
            )
        if out != job.out:
            note = Text(
                N_("{note} ({file} appeared meanwhile, so it was kept and this model saved beside it)"),
                note=note,
                file=job.out.name,
            )
        if self.reports is not None:
            self.reports.submit(out)
        job._update(
            state="stopped" if stopped else "done",
            checkpoint=out,
            message=note,
            progress=job.progress if stopped else 1.0,
        )

    @staticmethod
    def _on_message(job: TrainingJob, msg: Message) -> Saved | Empty | Failed | None:
        """Apply one message of the training process (:mod:`vae.service.messages`) to ``job``; return it when
        it ends the run."""
        epochs = job.config.train.epochs
        if isinstance(msg, Started):
            job._update(nice=msg.nice, threads=msg.threads, message=Text(N_("loading the data and building the model")))
        elif isinstance(msg, Step):
            job._update(progress=min(1.0, msg.epoch / epochs), epoch=msg.epoch, seconds=msg.seconds, message="")
        elif isinstance(msg, Epochs):
            records, original, reconstruction = msg.records, msg.original, msg.reconstruction
            with job._lock:
                job.history.extend(records)
                job.preview = {"original": original, "reconstruction": reconstruction}
                # the step messages may already be further on: the bar never moves back
                job.epoch, job.seconds = max(job.epoch, records[-1]["epoch"]), max(job.seconds, records[-1]["seconds"])
                job.progress = max(job.progress, min(1.0, records[-1]["epoch"] / epochs))
                job.message = ""
        elif isinstance(msg, Saving):
            job._update(
                message=Text(N_("computing the reports (IWAE bound, mutual information...) once, for every visitor"))
                if msg.with_reports
                else Text(N_("saving the model"))
            )
        elif isinstance(msg, ENDS):
            return msg
        return None
