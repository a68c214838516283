"""One training queue per server: a class shares the machine."""

from __future__ import annotations

import os

import streamlit as st

from vae.service.storage import checkpoint_dir, class_dir


@st.cache_resource
def _queue(
    folder: str,
    shared: str,
    max_running: int | None,
    max_seconds: float | None,
    max_per_session: int | None,
    ray_address: str | None,
):
    from vae.service.background import BackgroundReports
    from vae.service.jobs import TrainingQueue

    runner, problem = None, None
    if ray_address:  # the trainings run as tasks on a Ray cluster (vae.service.cluster)
        from vae.service import cluster

        try:
            cluster.connect(ray_address)
            runner = cluster.RayTraining
            max_running = max_running or cluster.capacity()
        except cluster.ClusterError as e:  # the class still trains, on this server; the Train page says why
            problem = e
    queue = TrainingQueue(
        folder,
        max_running=max_running or local_max_trainings(),
        runner=runner,
        max_seconds=max_seconds,
        shared_dirs=(shared,),
        max_per_owner=max_per_session,
        reports=BackgroundReports(),  # a finished model is usable at once; its reports follow
        quota=_quota,  # each student's models and the class folder's bytes (vae.service.storage)
    )
    queue.cluster_problem = problem
    return queue


def _quota(owner: str, on_the_way: int):
    from ui.models import quota_error

    return quota_error(owner, on_the_way)


def max_trainings() -> int | None:
    """``$VAE_MAX_TRAININGS`` (None when unset: :func:`local_max_trainings`, or a Ray cluster's capacity)."""
    env = os.environ.get("VAE_MAX_TRAININGS")
    return int(env) if env else None


def local_max_trainings() -> int:
    """As many trainings as the cores hold at :func:`vae.service.worker.train_threads` threads each (at least 1).

    They run at nice 5, so the pages still go first: on 2 cores, two trainings of one thread each
    gave 2.25x the trainings per minute of one, with the page p95 of a class of 10 unchanged
    (2.02 s against 2.01 s; docs/classroom.md)."""
    from vae.service.worker import train_threads

    return max(1, (os.cpu_count() or 1) // train_threads())


def max_runs_per_session() -> int | None:
    """How many trainings one browser session may have queued or running: ``$VAE_MAX_RUNS_PER_SESSION``
    (default 2; 0 = no limit)."""
    n = int(os.environ.get("VAE_MAX_RUNS_PER_SESSION", "2"))
    return n if n > 0 else None


def train_budget() -> float | None:
    """Seconds one web training may take: ``$VAE_MAX_TRAIN_SECONDS`` (default 300; 0 = none)."""
    from vae.service.cost import budget_from_env

    return budget_from_env(300.0)


def reports_pending(path) -> bool:
    """True while the heavy reports of the class model at ``path`` are computed in the background."""
    reports = training_queue().reports
    return reports is not None and reports.pending(path)


def training_queue():
    """One queue per server: a classroom shares the machine.

    At most :func:`max_trainings` run at once (as Ray tasks when ``$VAE_RAY_ADDRESS`` is set);
    the others wait in a fair line (round-robin across sessions), each session with at most
    :func:`max_runs_per_session`. Each run is bounded by :func:`train_budget` and saves into
    :func:`class_dir`.
    """
    from vae.service.cluster import ray_address

    return _queue(
        str(class_dir()), str(checkpoint_dir()), max_trainings(), train_budget(), max_runs_per_session(), ray_address()
    )
