"""Checkpoints round-trip, and anything that is not one is refused without running it."""

import json
import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from tests.conftest import tiny_config
from vae.config import LikelihoodConfig, NetworkConfig
from vae.errors import CheckpointError
from vae.models.checkpoints import load_checkpoint, read_metadata, save_checkpoint
from vae.models.vae import VAE


def test_round_trip(trained_digits, tmp_path):
    r = trained_digits
    p = save_checkpoint(tmp_path / "m.safetensors", r.model, r.history, r.metrics, dataset="digits")
    ck = load_checkpoint(p)
    assert ck.config == r.config and ck.x_shape == (1, 8, 8) and ck.dataset == "digits"
    assert ck.history == r.history and ck.metrics == r.metrics
    x = torch.rand(5, 1, 8, 8)
    r.model.eval()
    q, q_loaded = ck.model.encode(x), r.model.encode(x)
    torch.testing.assert_close((q.mu, q.logvar), (q_loaded.mu, q_loaded.logvar), rtol=0, atol=0)
    assert len(ck.digest) == 64 and not ck.model.training


@pytest.mark.parametrize(
    "over",
    [
        {"likelihood": LikelihoodConfig("gaussian", "learned")},
        {"likelihood": LikelihoodConfig("categorical", bins=5)},
        {"encoder": NetworkConfig("cnn", [4], norm="batch"), "decoder": NetworkConfig("resnet", [4], norm="layer")},
    ],
)
def test_round_trip_every_kind_of_state(tmp_path, over):
    cfg = tiny_config(**over)
    m = VAE(cfg, (1, 8, 8))
    p = save_checkpoint(tmp_path / "m.safetensors", m)
    ck = load_checkpoint(p)
    for (k, a), (_, b) in zip(m.state_dict().items(), ck.model.state_dict().items()):
        assert torch.equal(a, b), k


def test_atomic_write_leaves_no_temp_and_keeps_old_on_failure(trained_digits, tmp_path, monkeypatch):
    p = save_checkpoint(tmp_path / "m.safetensors", trained_digits.model)
    before = p.read_bytes()
    import safetensors.torch as st

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(st, "save_file", boom)
    with pytest.raises(OSError):
        save_checkpoint(p, VAE(tiny_config(), (1, 8, 8)))
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_refuses_to_save_nan_weights(tmp_path):
    m = VAE(tiny_config(), (1, 8, 8))
    with torch.no_grad():
        m.fc_mu.weight[0, 0] = float("nan")
    with pytest.raises(CheckpointError, match="NaN"):
        save_checkpoint(tmp_path / "m.safetensors", m)
    assert not (tmp_path / "m.safetensors").exists()


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


MARKER = None


def test_pickle_is_refused_and_never_executed(tmp_path):
    global MARKER
    MARKER = tmp_path / "pwned"
    p = tmp_path / "evil.safetensors"
    p.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(p)
    assert not MARKER.exists()


def test_torch_save_file_refused(tmp_path):
    p = tmp_path / "model.safetensors"
    torch.save({"w": torch.zeros(2)}, p)
    with pytest.raises(CheckpointError, match="zip archive"):
        load_checkpoint(p)


@pytest.mark.parametrize("content", [b"", b"hello", b"\xff" * 100, (20).to_bytes(8, "little") + b"[1,2]" + b" " * 15])
def test_garbage_refused(tmp_path, content):
    p = tmp_path / "x.safetensors"
    p.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a safetensors"):
        load_checkpoint(p)


def test_foreign_safetensors_refused(tmp_path):
    p = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, p)
    with pytest.raises(CheckpointError, match="not a checkpoint of this tool"):
        load_checkpoint(p)


def _resave(src, dst, tensors=None, **meta_over):
    from safetensors.torch import load_file

    meta = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in read_metadata(src).items()}
    meta["format"] = "vae-explorer/1"
    meta.update(meta_over)
    save_file(tensors if tensors is not None else load_file(src), dst, metadata=meta)
    return dst


def test_broken_metadata_refused(digits_checkpoint, tmp_path):
    p = _resave(digits_checkpoint, tmp_path / "a.safetensors", config="{not json")
    with pytest.raises(CheckpointError, match="'config' is not valid JSON"):
        load_checkpoint(p)
    p = _resave(digits_checkpoint, tmp_path / "b.safetensors", config=json.dumps({"latent_dim": 0}))
    with pytest.raises(CheckpointError, match="latent_dim"):
        load_checkpoint(p)


def test_missing_and_misshapen_tensors_refused(digits_checkpoint, tmp_path):
    from safetensors.torch import load_file

    t = load_file(digits_checkpoint)
    del t["fc_mu.bias"]
    with pytest.raises(CheckpointError, match="missing: fc_mu.bias"):
        load_checkpoint(_resave(digits_checkpoint, tmp_path / "a.safetensors", t))
    t = load_file(digits_checkpoint)
    t["fc_mu.bias"] = torch.zeros(99)
    with pytest.raises(CheckpointError, match="fc_mu.bias has shape"):
        load_checkpoint(_resave(digits_checkpoint, tmp_path / "b.safetensors", t))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.safetensors")
    with pytest.raises(CheckpointError, match="folder"):
        load_checkpoint(tmp_path)
