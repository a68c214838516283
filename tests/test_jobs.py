"""Knobs, presets, background training jobs and their queue, image export."""

from __future__ import annotations

import dataclasses
import io
import os
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

from tests.conftest import tiny_config
from vae.config import VAEConfig
from vae.config.knobs import KNOBS
from vae.config.presets import PRESETS, preset_config
from vae.config.values import apply, defaults, from_dotted, parse, values_of
from vae.errors import ConfigError
from vae.service.jobs import TrainingQueue, checkpoint_name_error
from vae.service.messages import Epochs, Started, Step


def test_knob_values_round_trip_a_config():
    cfg = apply(
        VAEConfig(),
        {
            "latent_dim": 7,
            "hidden": [64, 32],
            "beta": 3.0,
            "decoder_activation": "tanh",
            "capacity": 5.0,
            "dataset": "digits",
        },
    )
    assert cfg.decoder.hidden == [32, 64] and cfg.decoder.activation == "tanh" and cfg.encoder.activation == "relu"
    v = values_of(cfg)
    assert v["decoder_activation"] == "tanh" and v["decoder_hidden"] is None  # the mirror is implied
    assert apply(VAEConfig(), v).to_dict() == cfg.to_dict()
    assert defaults()["beta"] == 1.0 and set(defaults()) == set(KNOBS)


def test_remedy_changes_map_to_knobs_and_parse_checks_text():
    assert from_dotted({"objective.free_bits": 0.5, "decoder.hidden": [256], "latent_dim": 4}) == {
        "free_bits": 0.5,
        "decoder_hidden": [256],
        "latent_dim": 4,
    }
    with pytest.raises(ConfigError, match="no knob"):
        from_dotted({"objective.nope": 1})
    assert parse("hidden", "64, 32") == [64, 32]
    assert parse("capacity", "") is None
    with pytest.raises(ConfigError, match="hidden must be integers"):
        parse("hidden", "64 x")
    with pytest.raises(ConfigError, match="beta needs a value"):
        parse("beta", " ")
    with pytest.raises(ConfigError, match="unknown setting"):
        apply(VAEConfig(), {"betta": 2})


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_a_valid_configuration(name):
    cfg = preset_config(name)
    for knob, value in PRESETS[name].items():
        assert values_of(cfg)[knob] == value


@pytest.mark.parametrize(
    "name,ok",
    [
        ("model-1", True),
        ("a.b_c", True),
        ("", False),
        ("../x", False),
        ("-x", False),
        ("x" * 81, False),
        ("m.safetensors", False),
    ],
)
def test_checkpoint_names(name, ok):
    assert (checkpoint_name_error(name) is None) == ok


def test_queue_runs_one_at_a_time_in_order_and_saves(tmp_path):
    q = TrainingQueue(tmp_path, max_running=1)
    started = []
    a = q.submit(tiny_config(train__epochs=3), "a")
    b = q.submit(tiny_config(train__epochs=2), "b")
    assert q.position(b) in (0, 1)  # b waits (or a already finished on a fast machine)
    for j in (a, b):
        assert q.wait(j, 120)
        started.append(j.started)
    assert a.state == b.state == "done" and started[0] <= started[1]
    assert (tmp_path / "a.safetensors").exists() and (tmp_path / "b.safetensors").exists()
    s = a.snapshot()
    assert len(s["history"]) == 3 and s["progress"] == 1.0
    assert s["preview"]["original"].shape == s["preview"]["reconstruction"].shape == (8, 1, 8, 8)
    if sys.platform == "linux":
        assert a.nice == 5  # the worker thread runs at a lower priority than the pages
    assert a.threads == max(1, (os.cpu_count() or 1) // 2)  # half the cores: the rest serve the pages
    again = q.submit(tiny_config(), "a")  # a taken name gets a new one, never a replacement
    assert again.name == "a-2" and q.wait(again, 60) and again.checkpoint.name == "a-2.safetensors"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_trainings_are_forked_from_a_server_that_already_imported_torch(tmp_path, monkeypatch):
    """A spawned training first spent 1.1 s importing torch (10-25 s under a class): now it is a fork of a server
    that has torch loaded. It still sees the web server's environment as it is at submit time, not the fork
    server's from its start."""
    import time
    from multiprocessing import forkserver

    from vae.service.worker import start_fork_server

    start_fork_server()
    pid = forkserver._forkserver._forkserver_pid
    deadline = time.monotonic() + 60  # it imports in the background
    while "libtorch_cpu" not in open(f"/proc/{pid}/maps").read() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid != os.getpid() and "libtorch_cpu" in open(f"/proc/{pid}/maps").read()
    q = TrainingQueue(tmp_path, max_running=1)
    for threads in ("1", "2"):
        monkeypatch.setenv("VAE_TRAIN_THREADS", threads)  # set after the fork server started
        job = q.submit(tiny_config(train__epochs=1), f"t{threads}")
        assert q.wait(job, 60) and job.state == "done" and job.threads == int(threads)
    assert forkserver._forkserver._forkserver_pid == pid  # one fork server for every training


def test_training_threads_default_to_half_the_cores_or_the_environment(monkeypatch):
    from vae.service.worker import train_threads

    monkeypatch.delenv("VAE_TRAIN_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert train_threads() == 8
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert train_threads() == 1
    monkeypatch.setenv("VAE_TRAIN_THREADS", "3")
    assert train_threads() == 3


def test_as_many_trainings_at_once_as_the_cores_hold_at_their_threads(monkeypatch):
    from ui.training_queue import local_max_trainings

    monkeypatch.delenv("VAE_TRAIN_THREADS", raising=False)
    for cores, at_once in ((1, 1), (2, 2), (16, 2)):  # half the cores each: two at once
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert local_max_trainings() == at_once
    monkeypatch.setenv("VAE_TRAIN_THREADS", "1")  # small models on one thread each: one per core
    assert local_max_trainings() == 16


def test_names_are_free_across_the_shared_folder_and_record_the_owner(tmp_path):
    from vae.models.checkpoints import read_metadata

    shared, mine = tmp_path / "shared", tmp_path / "mine"
    shared.mkdir()
    (shared / "m.safetensors").write_bytes(b"the teacher's model")
    q = TrainingQueue(mine, shared_dirs=(shared,))
    job = q.submit(tiny_config(train__epochs=1), "m", owner="session-1")
    assert job.name == "m-2" and q.wait(job, 60)
    assert (shared / "m.safetensors").read_bytes() == b"the teacher's model"
    assert read_metadata(mine / "m-2.safetensors")["extra"]["owner"] == "session-1"


def test_budget_refuses_with_the_estimate_and_stops_a_run_that_passes_it(tmp_path):
    from vae.service.cost import estimate_for

    cfg = tiny_config(train__epochs=10_000)
    est = estimate_for(cfg)
    q = TrainingQueue(tmp_path, max_seconds=est.seconds_per_epoch * 50)
    with pytest.raises(
        ConfigError,
        match=r"this training would take .* per epoch x 10000.*this server allows"
        r".*train for \d+ epoch\(s\) or fewer",
    ):
        q.submit(cfg, "too-long")
    assert not q.jobs()
    # an estimate that was too optimistic: the job still stops at the limit and keeps its epochs
    q = TrainingQueue(tmp_path, max_seconds=6)  # a fresh process spends its first second or two warming up
    job = q.submit(cfg, "long", estimate=dataclasses.replace(est, seconds_per_step=1e-9))
    assert q.wait(job, 60)
    assert job.state == "stopped" and "limit of 6 s" in job.message
    assert job.checkpoint.exists() and 0 < job.history[-1]["epoch"] < 10_000


def test_stop_keeps_finished_epochs_and_never_overwrites(tmp_path):
    from vae.models.checkpoints import file_digest

    q = TrainingQueue(tmp_path, max_running=1)
    job = q.submit(tiny_config(train__epochs=10_000), "long")
    deadline = time.monotonic() + 60
    while not job.snapshot()["history"]:  # a failed training has none: fail, do not hang
        assert job.active and time.monotonic() < deadline, (job.state, job.message)
        threading.Event().wait(0.05)
    (tmp_path / "long.safetensors").write_bytes(b"someone else's model")  # appears meanwhile
    job.request_stop()
    assert q.wait(job, 60)
    assert job.state == "stopped" and job.checkpoint.name == "long-2.safetensors"
    assert (tmp_path / "long.safetensors").read_bytes() == b"someone else's model"
    assert "kept" in job.message
    assert file_digest(job.checkpoint)


def test_a_queued_job_can_be_cancelled_and_a_bad_dataset_fails_with_its_reason(tmp_path):
    q = TrainingQueue(tmp_path, max_running=1)
    blocker = q.submit(tiny_config(train__epochs=10_000), "blocker")
    waiting = q.submit(tiny_config(), "waiting")
    waiting.request_stop()
    assert q.wait(waiting, 30) and waiting.state == "stopped" and "cancelled" in waiting.message
    blocker.request_stop()
    q.wait(blocker, 60)
    bad = q.submit(tiny_config(data__name="npz", data__path=str(tmp_path / "missing.npz")), "bad")
    assert q.wait(bad, 30) and bad.state == "failed" and "data file not found" in bad.message
    assert not (tmp_path / "bad.safetensors").exists()


def test_a_web_training_that_blows_up_fails_with_the_remedy_and_saves_nothing(tmp_path):
    q = TrainingQueue(tmp_path, max_running=1)
    job = q.submit(
        tiny_config(train__lr=8.0, train__epochs=3, likelihood__name="gaussian", likelihood__variance="learned"),
        "exploding",
    )
    assert q.wait(job, 60) and job.state == "failed", (job.state, job.message)
    assert "blew up" in job.message and "lower the learning rate" in job.message
    assert not (tmp_path / "exploding.safetensors").exists()


def test_traversal_export_png_and_gif():
    from vae.analysis.explore import Traversal
    from vae.figures.export import traversal_bytes

    images = np.random.default_rng(0).random((3, 5, 1, 8, 8)).astype(np.float32)
    trav = Traversal(dims=[0, 1, 2], values=np.linspace(-3, 3, 5), z=np.zeros((3, 5, 3)), images=images, kl=None)
    png = Image.open(io.BytesIO(traversal_bytes(trav, "png")))
    # make_grid: 8 px tiles with 2 px padding, enlarged by a whole factor towards a slide's width (at most 16x)
    assert png.size == (16 * (2 + 5 * 10), 16 * (2 + 3 * 10))
    gif = Image.open(io.BytesIO(traversal_bytes(trav, "gif")))
    assert gif.n_frames == 5 and gif.size == (16 * (2 + 3 * 10), 16 * (2 + 10))
    wide = Traversal(
        dims=list(range(10)),
        values=np.linspace(-3, 3, 11),
        z=np.zeros((10, 11, 10)),
        kl=None,
        images=np.random.default_rng(0).random((10, 11, 1, 28, 28)).astype(np.float32),
    )
    assert Image.open(io.BytesIO(traversal_bytes(wide, "png"))).size == (4 * (2 + 11 * 30), 4 * (2 + 10 * 30))
    assert Image.open(io.BytesIO(traversal_bytes(wide, "gif"))).width == 4 * (2 + 10 * 30)  # >= 1,000 px


def test_progress_line_ticks_while_the_training_process_starts():
    from ui.train_view import progress_line

    s = {
        "progress": 0.0,
        "message": "starting the training process",
        "started": 100.0,
        "epoch": 0.0,
        "epochs": 10,
        "seconds": 0.0,
        "eta": None,
    }
    assert progress_line(s, now=103.2) == "starting the training process · 3 s"
    assert progress_line(s, now=104.6) == "starting the training process · 5 s"
    s.update(message="", progress=0.25, epoch=2.5, seconds=4.0, eta=12.0)
    assert progress_line(s) == "epoch 2.5 of 10 · 4 s · 12 s left"
    s.update(progress=1.0, message="computing the reports")
    assert progress_line(s).endswith("· computing the reports")


def test_the_message_says_what_a_started_process_does_before_its_first_step(tmp_path):
    """The bar's text ticks from the process start to the first timed step (the data loading can take seconds)."""
    from ui.train_view import progress_line
    from vae.service.jobs import TrainingJob

    job = TrainingJob(1, "m", tiny_config(train__epochs=1), tmp_path / "m.safetensors", state="running", started=100.0)
    TrainingQueue._on_message(job, Started(5, 1))
    assert progress_line(job.snapshot(), now=102.0) == "loading the data and building the model · 2 s"
    TrainingQueue._on_message(job, Step(0.25, 0.5))
    assert job.snapshot()["message"] == "" and progress_line(job.snapshot()).startswith("epoch 0.2 of 1 · 0 s")


def test_epoch_records_arrive_together_and_the_bar_never_moves_back(tmp_path):
    """A digits epoch takes 20 ms: the training process sends the epochs ended since its last message (at most
    every 0.5 s), and a step message that is further on is not undone by them."""
    from vae.service.jobs import TrainingJob

    job = TrainingJob(1, "m", tiny_config(train__epochs=10), tmp_path / "m.safetensors", state="running", started=0.0)
    TrainingQueue._on_message(job, Step(3.5, 2.0))
    prev = np.zeros((8, 1, 8, 8))
    records = [{"epoch": e, "seconds": 0.5 * e} for e in (1, 2, 3)]
    TrainingQueue._on_message(job, Epochs(records, prev, prev))
    s = job.snapshot()
    assert [r["epoch"] for r in s["history"]] == [1, 2, 3] and s["preview"]["original"].shape == (8, 1, 8, 8)
    assert s["epoch"] == 3.5 and s["progress"] == pytest.approx(0.35) and s["seconds"] == 2.0
    TrainingQueue._on_message(job, Epochs([{"epoch": 4, "seconds": 2.5}], prev, prev))
    assert job.snapshot()["epoch"] == 4 and len(job.snapshot()["history"]) == 4


def test_a_sweep_submits_one_named_run_per_value_and_says_which_were_refused(tmp_path):
    """The sweep goes through the queue's own checks: with one run per session, the second value is refused
    with the reason, and nothing else happens to it."""
    q = TrainingQueue(tmp_path, max_running=1, max_per_owner=1)
    jobs, refused = q.submit_sweep(tiny_config(train__epochs=1), "digits", [{"beta": 0.5}, {"beta": 8.0}], "me")
    assert [j.name for j in jobs] == ["digits-beta0.5"] and jobs[0].config.objective.beta == 0.5
    assert len(refused) == 1 and "already have 1 training" in str(refused[0])
    assert q.wait(jobs[0], 60) and jobs[0].state == "done", jobs[0].message
    assert (tmp_path / "digits-beta0.5.safetensors").exists() and not (tmp_path / "digits-beta8.safetensors").exists()
