"""Trainings as Ray tasks ($VAE_RAY_ADDRESS): a local Ray instance on loopback stands in for a lab."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import tiny_config
from vae.service.jobs import TrainingQueue
from vae.service.storage import owner_digest

if os.environ.get("REQUIRE_RAY"):  # `make test` installs Ray (requirements-cluster.txt): missing is a failure there
    import ray
else:
    ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    """A Ray instance on this machine, as ``VAE_RAY_ADDRESS=local`` starts it; shut down after the module."""
    from vae.service import cluster

    mp = pytest.MonkeyPatch()
    mp.setenv("VAE_RAY_ADDRESS", "local")
    mp.setenv("VAE_TRAIN_THREADS", "1")  # the same threads as the local run: the same sums, the same model
    cluster.connect()
    yield cluster
    ray.shutdown()
    cluster._mailbox = None
    mp.undo()


def _weights(path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path))


def test_a_job_on_ray_gives_the_same_model_as_the_local_pool_and_streams(cluster, tmp_path):
    on_ray = TrainingQueue(tmp_path / "ray", max_running=2, runner=cluster.RayTraining)
    local = TrainingQueue(tmp_path / "local", max_running=1)
    a = on_ray.submit(tiny_config(train__epochs=3), "same", owner="student-1")
    b = local.submit(tiny_config(train__epochs=3), "same", owner="student-1")
    assert on_ray.wait(a, 120) and local.wait(b, 120)
    assert a.state == b.state == "done", (a.message, b.message)
    assert a.checkpoint == tmp_path / "ray" / "same.safetensors"  # landed in the class folder
    wa, wb = _weights(a.checkpoint), _weights(b.checkpoint)
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)
    sa, sb = a.snapshot(), b.snapshot()
    assert [r["epoch"] for r in sa["history"]] == [r["epoch"] for r in sb["history"]] == [1, 2, 3]
    assert sa["history"][-1]["test_elbo"] == pytest.approx(sb["history"][-1]["test_elbo"])
    assert sa["preview"]["reconstruction"].shape == (8, 1, 8, 8) and a.threads == 1
    from vae.models.checkpoints import load_checkpoint

    assert load_checkpoint(a.checkpoint).extra["owner"] == "student-1"


def test_stop_on_ray_keeps_the_finished_epochs_and_errors_arrive_whole(cluster, tmp_path):
    q = TrainingQueue(tmp_path, max_running=2, runner=cluster.RayTraining)
    long = q.submit(tiny_config(train__epochs=10_000), "long")
    deadline = time.monotonic() + 90
    while not long.snapshot()["history"]:  # progress streams through the mailbox
        assert long.active and time.monotonic() < deadline, (long.state, long.message)
        time.sleep(0.1)
    q.cancel(long.id)
    assert q.wait(long, 60) and long.state == "stopped", long.message
    assert long.checkpoint.exists() and len(long.history) >= 1

    exploding = q.submit(
        tiny_config(train__lr=8.0, train__epochs=3, likelihood__name="gaussian", likelihood__variance="learned"),
        "exploding",
    )
    assert q.wait(exploding, 90) and exploding.state == "failed", (exploding.state, exploding.message)
    assert "blew up" in exploding.message and "lower the learning rate" in exploding.message
    assert not (tmp_path / "exploding.safetensors").exists()


def test_a_users_data_file_travels_with_the_task(cluster, tmp_path):
    from vae.models.checkpoints import load_checkpoint

    x = np.random.default_rng(0).random((60, 1, 8, 8)).astype(np.float32)
    upload = tmp_path / "mine.npz"
    np.savez(upload, x=x, y=np.arange(60) % 3)
    q = TrainingQueue(tmp_path / "class", max_running=2, runner=cluster.RayTraining)
    job = q.submit(tiny_config(data__name="npz", data__path=str(upload)), "mine")
    assert q.wait(job, 90) and job.state == "done", job.message
    ck = load_checkpoint(job.checkpoint)
    assert ck.config.data.path == str(upload) and ck.dataset == "npz:mine.npz"  # the server's file, not the copy


def test_the_web_queue_runs_on_ray_with_the_clusters_capacity(cluster, monkeypatch, tmp_path):
    from ui import training_queue as tq

    monkeypatch.setenv("VAE_CLASS_MODELS", str(tmp_path))
    monkeypatch.delenv("VAE_MAX_TRAININGS", raising=False)
    tq._queue.clear()
    try:
        q = tq.training_queue()
        assert q.runner is cluster.RayTraining
        assert q.max_running == int(ray.cluster_resources()["CPU"])  # one thread per training
    finally:
        tq._queue.clear()


def test_resources_a_task_declares(monkeypatch):
    from vae.service.cluster import task_resources

    monkeypatch.delenv("VAE_RAY_GPUS", raising=False)
    monkeypatch.setenv("VAE_TRAIN_THREADS", "2")
    cpu = tiny_config().to_dict()
    assert task_resources(cpu) == {"num_cpus": 2, "num_gpus": 0.0}
    assert task_resources(tiny_config(train__device="cuda").to_dict())["num_gpus"] == 1.0
    monkeypatch.setenv("VAE_RAY_GPUS", "0.25")  # four trainings share one GPU
    assert task_resources(cpu)["num_gpus"] == 0.25


def test_without_an_address_nothing_of_ray_is_imported_or_started(tmp_path):
    code = (
        "import sys, os\n"
        "from ui.training_queue import training_queue\n"
        "q = training_queue()\n"
        "assert q.runner is None, q.runner\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
        "print('local', q.max_running)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "VAE_RAY_ADDRESS"} | {"VAE_CLASS_MODELS": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "local" in out.stdout, out.stderr[-2000:]


def test_an_unreachable_address_says_what_to_do_and_the_class_trains_here(monkeypatch, tmp_path):
    from ui import training_queue as tq
    from vae.service import cluster

    with pytest.raises(cluster.ClusterError, match="ray start --head --port 1"):
        cluster.connect("127.0.0.1:1")  # answered at once: Ray itself would retry for minutes
    monkeypatch.setenv("VAE_RAY_ADDRESS", "127.0.0.1:1")
    monkeypatch.setenv("VAE_CLASS_MODELS", str(tmp_path))
    tq._queue.clear()
    try:
        q = tq.training_queue()
        assert q.runner is None and "VAE_RAY_ADDRESS=127.0.0.1:1" in str(q.cluster_problem)
    finally:
        tq._queue.clear()


def test_the_train_page_trains_on_ray_and_the_model_becomes_current(cluster, app_dir, class_dir):
    from tests.app_helpers import open_app, wait_until
    from ui.training_queue import training_queue
    from vae.models.checkpoints import load_checkpoint

    at = open_app("train")
    assert not at.warning, [w.value for w in at.warning]
    assert training_queue().runner is cluster.RayTraining  # the page's queue: the same cached object
    at.selectbox(key="dataset").select("digits")
    at.text_input(key="hidden").input("16")
    at.number_input(key="latent_dim").set_value(3)
    at.number_input(key="epochs").set_value(3)
    at.text_input(key="name").input("on-ray")
    at.button(key="start").click().run()
    assert not at.error, [e.value for e in at.error]
    wait_until(at, lambda a: a.success, timeout=90)
    assert "saved on-ray.safetensors" in at.success[0].value
    ck = load_checkpoint(class_dir / "on-ray.safetensors")
    assert ck.extra["owner"] == owner_digest(at.session_state["_owner"]) and len(ck.history) == 3


def test_the_train_page_says_when_the_cluster_does_not_answer(app_dir, class_dir, monkeypatch):
    from tests.app_helpers import open_app

    monkeypatch.setenv("VAE_RAY_ADDRESS", "127.0.0.1:1")
    at = open_app("train")
    assert any("VAE_RAY_ADDRESS=127.0.0.1:1" in w.value and "ray start --head" in w.value for w in at.warning)
