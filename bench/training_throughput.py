"""Trainings per minute when a class trains: one at a time (the reference) against several at once.

The same N trainings of one preset go through the server's own queue (vae.service.jobs,
each in a process forked from the fork server, at nice 5, saving without the reports as the
web app does), first with one slot, then with ``--slots`` slots; every training uses
``$VAE_TRAIN_THREADS`` threads (default: half the cores). Printed: the wall time of the
whole batch until every model is saved (and until every report is stored), trainings per
minute, and the ratio of the two. With ``--ray ADDRESS`` (``local``: a Ray instance on this
machine) the batch also runs as Ray tasks through the same queue (vae.service.cluster), with
``--slots`` slots: what the cluster path costs or gains against the local processes.

    .venv/bin/python -m bench.training_throughput --jobs 6 --slots 2 --preset "digits in seconds"
    VAE_TRAIN_THREADS=1 .venv/bin/python -m bench.training_throughput --jobs 6 --slots 2 --ray local
"""

from __future__ import annotations

import argparse
import tempfile
import time

from vae.config.presets import preset_config
from vae.service.background import BackgroundReports
from vae.service.jobs import TrainingQueue


def batch(jobs: int, slots: int, preset: str, runner=None) -> tuple[float, float]:
    """Seconds until ``jobs`` trainings of ``preset`` (each its own student's) are all saved through a queue of
    ``slots`` slots, and until their background reports are all stored too. ``runner``: where each training runs
    (None: a local process; :class:`vae.service.cluster.RayTraining`: a Ray task)."""
    with tempfile.TemporaryDirectory() as tmp:
        reports = BackgroundReports()
        q = TrainingQueue(tmp, max_running=slots, reports=reports, runner=runner)
        t = time.perf_counter()
        submitted = [q.submit(preset_config(preset), f"run{i}", owner=f"s{i}") for i in range(jobs)]
        for j in submitted:
            q.wait(j)
            assert j.state == "done", (j.state, j.message)
        saved = time.perf_counter() - t
        for j in submitted:
            reports.wait(j.checkpoint)
        return saved, time.perf_counter() - t


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--slots", type=int, default=2)
    ap.add_argument("--preset", default="digits in seconds")
    ap.add_argument("--ray", metavar="ADDRESS", help="also run the batch as Ray tasks (local: start one here)")
    args = ap.parse_args(argv)
    (one, one_all), (many, many_all) = batch(args.jobs, 1, args.preset), batch(args.jobs, args.slots, args.preset)
    print(f"{args.jobs} trainings of {args.preset!r}: all saved (all reports stored)")
    print(f"  one at a time: {one:6.1f} s ({one_all:6.1f} s)  {60 * args.jobs / one:5.2f} per minute")
    print(f"  {args.slots} at a time:   {many:6.1f} s ({many_all:6.1f} s)  {60 * args.jobs / many:5.2f} per minute")
    print(f"  throughput ratio: {one / many:.2f}x ({one_all / many_all:.2f}x)")
    if args.ray:
        from vae.service import cluster

        t = time.perf_counter()
        cluster.connect(args.ray)
        print(f"  joining the Ray cluster at {args.ray}: {time.perf_counter() - t:.1f} s")
        batch(1, 1, args.preset, cluster.RayTraining)  # Ray's workers start and import torch once, as in a class
        on_ray, on_ray_all = batch(args.jobs, args.slots, args.preset, cluster.RayTraining)
        print(
            f"  {args.slots} at a time as Ray tasks: {on_ray:6.1f} s ({on_ray_all:6.1f} s)  "
            f"{60 * args.jobs / on_ray:5.2f} per minute, {many / on_ray:.2f}x the local processes"
        )


if __name__ == "__main__":
    main()
