"""Shared fixtures: tiny datasets and configurations that train in well under a second."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from vae.config import DataConfig, NetworkConfig, TrainConfig, VAEConfig
from vae.data import Dataset


def tiny_config(**over) -> VAEConfig:
    """An MLP VAE on 8x8 digits, small enough to train in a blink."""
    cfg = VAEConfig(
        latent_dim=4,
        data=DataConfig(name="digits"),
        encoder=NetworkConfig(hidden=[32]),
        decoder=NetworkConfig(hidden=[32]),
        train=TrainConfig(epochs=2, batch_size=64, device="cpu"),
    )
    for k, v in over.items():
        section, _, field = k.partition("__")
        if field:
            setattr(getattr(cfg, section), field, v)
        else:
            setattr(cfg, section, v)
    return cfg


def random_dataset(n=200, shape=(1, 8, 8), seed=0) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((n, *shape), generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    k = n // 5
    return Dataset("random", x[k:], y[k:], x[:k], y[:k], classes=["a", "b", "c"])


@pytest.fixture
def cfg() -> VAEConfig:
    return tiny_config()


@pytest.fixture(scope="session")
def trained_digits():
    """A small model trained on digits for a few epochs (shared, read-only)."""
    from vae.training.trainer import train

    return train(tiny_config(train__epochs=5, latent_dim=6))


@pytest.fixture(scope="session")
def digits_checkpoint(trained_digits, tmp_path_factory):
    from vae.models.checkpoints import save_checkpoint

    p = tmp_path_factory.mktemp("ck") / "digits.safetensors"
    r = trained_digits
    save_checkpoint(p, r.model, r.history, r.metrics, dataset=r.dataset)
    return p


def replace(obj, **kw):
    return dataclasses.replace(obj, **kw)


__all__ = ["tiny_config", "random_dataset", "np"]


@pytest.fixture(scope="session")
def app_models(tmp_path_factory):
    """A checkpoint folder for the web app: a 2-D digits model, a collapsed one, a sprites model."""
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    folder = tmp_path_factory.mktemp("app-models")
    models = {
        "digits-z2": tiny_config(
            latent_dim=2, train__epochs=8, encoder=NetworkConfig(hidden=[64]), decoder=NetworkConfig(hidden=[64])
        ),
        "digits-z4-collapsed": tiny_config(latent_dim=4, train__epochs=4, objective__beta=200.0),
        "sprites-z4": tiny_config(latent_dim=4, data=DataConfig(name="sprites", size=16, num=500)),
    }
    for name, config in models.items():
        r = train(config)
        save_checkpoint(folder / f"{name}.safetensors", r.model, r.history, r.metrics, dataset=r.dataset)
    return folder


@pytest.fixture(scope="session")
def pixelcnn_model(tmp_path_factory):
    """A digits model with a small pixelcnn decoder (2 masked layers of 8 channels), saved once."""
    from vae.config.values import apply
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    cfg = apply(
        tiny_config(train__epochs=3), {"decoder_arch": "pixelcnn", "decoder_hidden": [8, 8], "binarize": "dynamic"}
    ).validate()
    r = train(cfg)
    path = tmp_path_factory.mktemp("pixelcnn") / "digits-z4-pixelcnn.safetensors"  # after digits-z2 by name
    save_checkpoint(path, r.model, r.history, r.metrics, dataset=r.dataset)
    return path


@pytest.fixture(autouse=True)
def private_class_folder(tmp_path, monkeypatch):
    """Every test gets its own folder for models trained or uploaded from the web (never runs/class/)."""
    folder = tmp_path / "class"
    monkeypatch.setenv("VAE_CLASS_MODELS", str(folder))
    monkeypatch.setenv("VAE_MAX_TRAININGS", "1")
    monkeypatch.setenv("VAE_WARM_UP", "0")
    monkeypatch.setenv("VAE_SERVING", "0")  # app.py sets it to 1 for the test's app; restored afterwards
    monkeypatch.delenv("VAE_MAX_TRAIN_SECONDS", raising=False)
    from ui.teacher import _Guard

    _Guard.failures, _Guard.until = 0, 0.0  # one test's wrong teacher tokens do not delay the next test's sign-in
    return folder


@pytest.fixture
def app_dir(app_models, tmp_path, monkeypatch):
    """A private copy of ``app_models``: the shared (read-only) folder of the app under test."""
    import shutil

    folder = tmp_path / "checkpoints"
    shutil.copytree(app_models, folder)
    monkeypatch.setenv("VAE_CHECKPOINTS", str(folder))
    return folder


@pytest.fixture
def class_dir(private_class_folder):
    return private_class_folder


# ------------------------------------------------------------------ image figures (vae.figures.plots mosaics)
def png_pixels(source: str) -> np.ndarray:
    """The pixels of a PNG data URI, as Plotly image traces carry them."""
    import base64
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))))


def mosaic_cells(spec: dict, source: str | None = None) -> list[np.ndarray]:
    """The images of a mosaic figure, cut out of ``source`` (a PNG data URI; default: the figure's first image
    trace) at the corners in layout.meta."""
    if source is None:
        source = next(t["source"] for t in spec["data"] if t.get("type") == "image")
    picture, (h, w) = png_pixels(source), spec["layout"]["meta"]["size"]
    return [picture[y : y + h, x : x + w] for x, y in spec["layout"]["meta"]["corners"]]


@pytest.fixture(scope="session")
def names_model(tmp_path_factory):
    """A small token model of the names data (GRU encoder and decoder, 2-D latent), saved once."""
    from vae.config import DataConfig, NetworkConfig, TrainConfig, VAEConfig
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    cfg = VAEConfig(
        latent_dim=2,
        data=DataConfig(name="names"),
        encoder=NetworkConfig(arch="gru", hidden=[32], embed=16),
        decoder=NetworkConfig(arch="mlp", hidden=[64]),
        train=TrainConfig(epochs=3, batch_size=64, device="cpu", lr=3e-3),
    )
    cfg.likelihood.name = "categorical"
    r = train(cfg.validate())
    path = tmp_path_factory.mktemp("names") / "names-gru-z2.safetensors"
    save_checkpoint(path, r.model, r.history, r.metrics, dataset=r.dataset)
    return path


@pytest.fixture(scope="session")
def waves_model(tmp_path_factory):
    """A small model of the waves series (1-D convolutions, 4-D latent), saved once with its reports."""
    from vae.config.presets import PRESETS
    from vae.config.values import apply
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    knobs = {**PRESETS["waves: 1-D conv VAE"], "hidden": [8, 16], "latent_dim": 4, "epochs": 3, "batch_size": 64}
    r = train(apply(tiny_config(), knobs).validate())
    path = tmp_path_factory.mktemp("waves") / "waves-cnn-z4.safetensors"
    save_checkpoint(path, r.model, r.history, r.metrics, dataset=r.dataset)
    return path
