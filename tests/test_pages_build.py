"""The Build section: the Train form, its presets, refusals, estimates, budget and queue (AppTest).

Each test drives widgets and asserts what the page shows: values in the figure JSON,
numbers in tables and metrics, and the messages given for bad input.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.app_helpers import arr, chart, images_in, open_app, wait_until
from vae.models.checkpoints import load_checkpoint
from vae.service.storage import owner_digest


def test_preset_fills_the_form(app_dir):
    at = open_app("train")
    at.selectbox(key="preset").select("beta-VAE on sprites")
    at.button(key="apply_preset").click().run()
    assert at.selectbox(key="dataset").value == "sprites"
    assert at.selectbox(key="arch").value == "cnn"
    assert at.text_input(key="hidden").value == "32 64"
    assert at.number_input(key="beta").value == 4.0
    assert at.number_input(key="latent_dim").value == 10
    assert at.number_input(key="sprites_size").disabled is False
    assert at.number_input(key="bins").disabled is True  # only for the categorical likelihood


@pytest.mark.parametrize(
    "widget,value,message",
    [
        ("hidden", "64 abc", "hidden must be integers"),
        ("name", "../escape", "a model name uses"),
    ],
)
def test_impossible_settings_are_refused_with_a_reason(app_dir, widget, value, message):
    at = open_app("train")
    at.text_input(key=widget).input(value).run()
    assert any(f"Cannot start: {message}" in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key="start").disabled  # the reason is beside a Start that is off
    assert "train_job" not in at.session_state  # nothing was submitted
    assert sorted(p.stem for p in app_dir.glob("*.safetensors")) == ["digits-z2", "digits-z4-collapsed", "sprites-z4"]


def test_training_from_the_form_saves_a_model_and_makes_it_current(app_dir, class_dir):
    at = open_app("train")
    at.selectbox(key="dataset").select("digits")
    at.text_input(key="hidden").input("16")
    at.number_input(key="latent_dim").set_value(3)
    at.number_input(key="epochs").set_value(3)
    at.number_input(key="batch_size").set_value(64)
    at.text_input(key="name").input("from-form")
    at.button(key="start").click().run()
    assert not at.error, [e.value for e in at.error]
    wait_until(at, lambda a: a.success)
    assert "saved from-form.safetensors" in at.success[0].value
    ck = load_checkpoint(class_dir / "from-form.safetensors")
    assert ck.extra["owner"] == owner_digest(at.session_state["_owner"])
    from ui.training_queue import training_queue

    # usable at once: saved without the heavy reports, which the server computes next, in the background
    assert training_queue().reports.wait(class_dir / "from-form.safetensors", 120)
    ck = load_checkpoint(class_dir / "from-form.safetensors")
    assert ck.extra["reports"]["collapse"]["iwae_k"] == 100
    assert ck.extra["owner"] == owner_digest(at.session_state["_owner"])
    assert ck.config.latent_dim == 3 and ck.config.encoder.hidden == [16] and len(ck.history) == 3
    assert at.sidebar.selectbox(key="model").value == "from-form"
    curves = chart(at, "curves")
    test_trace = next(t for t in curves["data"] if t["name"] == "test -ELBO")
    assert len(arr(test_trace["x"])) == 3
    assert np.allclose(arr(test_trace["y"]), [h["test_elbo"] for h in ck.history])
    assert images_in(chart(at, "preview")) == 16  # 8 test images and their reconstructions


def test_a_second_training_waits_in_the_queue(app_dir):
    from ui.training_queue import training_queue
    from vae.config import VAEConfig
    from vae.config.values import apply

    queue = training_queue()
    blocker = queue.submit(apply(VAEConfig(), {"dataset": "digits", "hidden": [16], "epochs": 200}), "blocker")
    try:
        at = open_app("train")
        at.selectbox(key="dataset").select("digits")
        at.text_input(key="name").input("second")
        at.button(key="start").click().run()
        assert any("position 1 of 1" in i.value for i in at.info), [i.value for i in at.info]
        table = at.dataframe[-1].value
        assert "blocker" in list(table["model"])
        # the running blocker has no place in the line ("-", it read "None"); the second waits first
        assert list(table["position"]) == ["-", "1"] and list(table["state"]) == ["running", "queued"]
    finally:
        blocker.request_stop()
        for j in queue.jobs():
            j.request_stop()
        for j in queue.jobs():
            queue.wait(j, 60)


def test_changing_the_family_switches_the_width_defaults(app_dir):
    at = open_app("train")
    assert at.text_input(key="hidden").value == "400"
    at.selectbox(key="arch").select("resnet").run()
    assert at.text_input(key="hidden").value == "32 64" and at.text_input(key="decoder_hidden").value == ""
    at.selectbox(key="decoder_arch").select("mlp").run()
    assert at.text_input(key="decoder_hidden").value == "400"
    at.selectbox(key="decoder_arch").select("same as encoder").run()
    assert at.text_input(key="decoder_hidden").value == ""
    at.selectbox(key="arch").select("mlp").run()
    assert at.text_input(key="hidden").value == "400"


def test_the_form_shows_the_estimate_and_refuses_a_run_over_the_budget(app_dir, class_dir, monkeypatch):
    at = open_app("train")
    at.selectbox(key="dataset").select("digits").run()
    cap = next(c for c in at.caption if c.value.startswith("Training takes about"))
    assert "on this server (10 epoch(s) of about" in cap.value and "Limit per training: 5 min" in cap.value
    assert "per epoch (12 steps of" in cap.proto.help  # the details, for who asks
    assert at.button(key="start").disabled is False
    monkeypatch.setenv("VAE_MAX_TRAIN_SECONDS", "0.5")
    at.number_input(key="epochs").set_value(5000).run()
    assert any(
        "Cannot start: this training would take" in e.value and "this server allows 0.50 s" in e.value for e in at.error
    ), [e.value for e in at.error]
    assert at.button(key="start").disabled  # Start is off while the form says why it cannot work
    assert "train_job" not in at.session_state and not list(class_dir.glob("*.safetensors"))


def test_no_server_paths_in_the_form_and_own_data_arrives_as_an_upload(app_dir, class_dir, tmp_path):
    import io

    at = open_app("train")
    assert not [t for t in at.text_input if t.key in ("data_path", "data_root")]
    at.selectbox(key="dataset").select("npz").run()
    assert any("upload your npz file first" in e.value for e in at.error)
    assert at.button(key="start").disabled
    at.file_uploader(key="data_upload").upload("digits.png", b"\x89PNG").run()
    assert any("digits.png is not a .npz file: choose a .npz file" in e.value for e in at.error)
    assert at.button(key="start").disabled and not list((class_dir / "uploads").glob("*"))
    at.file_uploader(key="data_upload").upload("bad.npz", b"not a zip at all").run()
    assert any(e.value.startswith("bad.npz is not a readable .npz file") for e in at.error), [e.value for e in at.error]
    assert not any(re.search(r"[0-9a-f]{24}", e.value) for e in at.error)  # no stored digest, the student's name
    assert not list((class_dir / "uploads").glob("*.npz"))  # a bad upload is not kept

    buf = io.BytesIO()
    np.savez(buf, x=np.random.default_rng(0).random((120, 8, 8)).astype(np.float32))
    at.file_uploader(key="data_upload").upload("mine.npz", buf.getvalue()).run()
    stored = list((class_dir / "uploads").glob("*.npz"))
    assert len(stored) == 1 and any("Using your upload" in c.value for c in at.caption)
    at.text_input(key="hidden").input("16")
    at.number_input(key="latent_dim").set_value(2)
    at.number_input(key="epochs").set_value(2)
    at.text_input(key="name").input("my-data")
    at.button(key="start").click().run()
    wait_until(at, lambda a: a.success)
    ck = load_checkpoint(class_dir / "my-data.safetensors")
    assert ck.config.data.name == "npz" and Path(ck.config.data.path) == stored[0]
    # a forged server path (e.g. through the URL) is never used
    at2 = open_app("train")
    at2.session_state["data_path"] = "/etc/passwd"
    at2.selectbox(key="dataset").select("npz").run()
    assert any("upload your npz file first" in e.value for e in at2.error)
    assert at2.button(key="start").disabled


def test_a_torchvision_dataset_missing_from_the_data_folder_is_named(app_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_DATA_ROOT", str(tmp_path / "data"))
    at = open_app("train")
    at.selectbox(key="dataset").select("fashion-mnist").run()
    assert any("fashion-mnist is not on this server" in w.value and "VAE_DATA_ROOT" in w.value for w in at.warning)
