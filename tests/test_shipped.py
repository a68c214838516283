"""The shipped models are what vae/config/shipped.py declares, each made by its preset and flags."""

import pytest

from vae.cli import main
from vae.cli.train import shipped_config
from vae.config import VAEConfig
from vae.config.presets import PRESETS
from vae.config.shipped import LESSONS, SHIPPED
from vae.models.checkpoints import read_metadata
from vae.service.storage import checkpoint_dir


def test_the_checkpoints_folder_holds_exactly_the_shipped_models():
    assert sorted(p.stem for p in checkpoint_dir().glob("*.safetensors")) == sorted(m.name for m in SHIPPED)


@pytest.mark.parametrize("model", SHIPPED, ids=[m.name for m in SHIPPED])
def test_each_shipped_model_was_trained_with_its_declared_command(model):
    """The stored configuration is the one its preset and flags give: a preset or a flag changed without
    `make checkpoints` (or a model retrained by hand) fails here."""
    stored = read_metadata(checkpoint_dir() / f"{model.name}.safetensors")["config"]
    # read as loading reads it: settings added since the file was made take their defaults
    assert VAEConfig.from_dict(stored).to_dict() == shipped_config(model).to_dict()


def test_every_lesson_role_is_a_shipped_model_made_by_a_known_preset():
    for lesson, roles in LESSONS.items():
        for role, r in roles.items():
            assert r.shipped.preset in PRESETS, (lesson, role)


def test_ship_lists_the_commands_and_refuses_an_unknown_name(capsys):
    assert main(["ship", "--list", "--dir", "out"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(SHIPPED)
    assert lines[0] == 'python -m vae train --preset "2-D latent for the manifold" --out out/mnist5k-mlp-z2.safetensors'
    assert main(["ship", "--only", "nope"]) == 2
    assert "not a shipped model: nope" in capsys.readouterr().err


def test_ship_trains_what_it_is_asked_into_the_folder(tmp_path, monkeypatch, capsys):
    """`ship --only` runs the train command of that model (here with its epochs cut, through the preset)."""
    import vae.config.presets as presets

    monkeypatch.setitem(
        presets.PRESETS,
        "2-D latent for the manifold",
        {**PRESETS["2-D latent for the manifold"], "epochs": 1, "dataset": "digits"},
    )
    assert main(["ship", "--only", "mnist5k-mlp-z2", "--dir", str(tmp_path)]) == 0
    meta = read_metadata(tmp_path / "mnist5k-mlp-z2.safetensors")
    assert meta["config"]["latent_dim"] == 2 and meta["config"]["train"]["epochs"] == 1
    assert "vae ship: 1 models in" in capsys.readouterr().err


def test_every_lesson_page_opens_on_a_shipped_model():
    from ui.navigation import PAGE
    from vae.config.shipped import LESSON_PAGES, SHIPPED_BY_NAME

    assert set(LESSON_PAGES) <= set(PAGE) and set(LESSON_PAGES.values()) <= set(SHIPPED_BY_NAME)
