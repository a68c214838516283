"""Checkpoints: one ``.safetensors`` file per model, never a pickle.

The tensors are the model's ``state_dict``; the safetensors header metadata holds, as
JSON strings, the format tag, the whole configuration, the image shape, the dataset
name, the training history and the final test metrics. :func:`load_checkpoint`
rebuilds the model from the file alone. A file that is not such a checkpoint is
refused with a :class:`CheckpointError`; safetensors parses a JSON header and raw
tensor bytes, so nothing in the file is ever executed.

Writes are atomic: the file is written beside the target under a temporary name and
renamed over it only once complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .config import VAEConfig
from .errors import CheckpointError, VAEError
from .model import VAE

FORMAT = "vae-explorer/1"
MAX_HEADER_BYTES = 100_000_000


@dataclass
class Checkpoint:
    model: VAE
    config: VAEConfig
    image_shape: tuple[int, int, int]
    dataset: str
    history: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # owner, stopped, reports (vae.reports)
    path: Path | None = None
    digest: str = ""  # sha256 of the file's bytes: a cache key for results

    @property
    def name(self) -> str:
        return self.path.stem if self.path else "unsaved"


def save_checkpoint(
    path: str | Path,
    model: VAE,
    history: list[dict[str, Any]] | None = None,
    metrics: dict[str, Any] | None = None,
    dataset: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` and its metadata to ``path`` atomically; return the path."""
    from safetensors.torch import save_file

    path = Path(path)
    if path.suffix != ".safetensors":
        raise CheckpointError(f"checkpoint names must end in .safetensors, got {path.name}")
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    for k, v in tensors.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(f"refusing to save: parameter {k} holds NaN or infinite values")
    meta = {
        "format": FORMAT,
        "config": model.config.to_json(),
        "image_shape": json.dumps(list(model.image_shape)),
        "dataset": dataset or model.config.data.name,
        "history": json.dumps(history or []),
        "metrics": json.dumps(metrics or {}),
        "extra": json.dumps(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=meta)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a checkpoint is an ordinary shareable file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The checkpoint's metadata, decoded, without building the model."""
    path = Path(path)
    header = _read_header(path)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{path.name} is a safetensors file but not a checkpoint of this tool "
            f"(its metadata has no format tag {FORMAT!r}); train one with `python -m vae train`"
        )
    out: dict[str, Any] = {"dataset": meta.get("dataset", "")}
    for key in ("config", "image_shape", "history", "metrics", "extra"):
        try:
            out[key] = json.loads(meta[key])
        except KeyError:
            raise CheckpointError(f"{path.name}: metadata lacks '{key}'") from None
        except json.JSONDecodeError as e:
            raise CheckpointError(f"{path.name}: metadata '{key}' is not valid JSON ({e})") from None
    return out


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    """Rebuild the model stored in ``path``; refuse anything else with a clear message."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    meta = read_metadata(path)
    try:
        config = VAEConfig.from_dict(meta["config"]).validate()
    except VAEError as e:
        raise CheckpointError(f"{path.name}: stored configuration is invalid: {e}") from None
    shape = meta["image_shape"]
    if not (isinstance(shape, list) and len(shape) == 3 and all(isinstance(s, int) and s > 0 for s in shape)):
        raise CheckpointError(f"{path.name}: stored image shape {shape!r} is not (C, H, W)")
    try:
        model = VAE(config, tuple(shape))
    except VAEError as e:
        raise CheckpointError(f"{path.name}: cannot rebuild the model: {e}") from None
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path.name}: tensor data is unreadable ({e})") from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path.name}: tensors do not match the stored configuration "
            f"(missing: {', '.join(missing[:5]) or 'none'}; unexpected: {', '.join(unexpected[:5]) or 'none'})"
        )
    for k, v in tensors.items():
        if v.shape != expected[k].shape or v.dtype != expected[k].dtype:
            raise CheckpointError(
                f"{path.name}: tensor {k} has shape {tuple(v.shape)} {v.dtype}, "
                f"expected {tuple(expected[k].shape)} {expected[k].dtype}"
            )
    model.load_state_dict(tensors, strict=True)
    model.to(device).eval()
    return Checkpoint(
        model=model,
        config=config,
        image_shape=tuple(shape),
        dataset=meta["dataset"],
        history=meta["history"] if isinstance(meta["history"], list) else [],
        metrics=meta["metrics"] if isinstance(meta["metrics"], dict) else {},
        extra=meta["extra"] if isinstance(meta["extra"], dict) else {},
        path=path,
        digest=file_digest(path),
    )


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_header(path: Path) -> dict[str, Any]:
    """Parse the safetensors header (8-byte little-endian length, then JSON)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(_foreign(path, head))
            n = int.from_bytes(head, "little")
            if n <= 0 or n > MAX_HEADER_BYTES or 8 + n > size:
                raise CheckpointError(_foreign(path, head))
            raw = f.read(n)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint not found: {path}") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path} is a folder, not a checkpoint file") from None
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror}") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(_foreign(path, head)) from None
    if not isinstance(header, dict):
        raise CheckpointError(_foreign(path, head))
    return header


def _foreign(path: Path, head: bytes) -> str:
    kind = ""
    if head[:2] == b"PK":
        kind = " (it looks like a zip archive, e.g. a torch.save pickle; those are never loaded)"
    elif head[:1] == b"\x80":
        kind = " (it looks like a Python pickle; those are never loaded)"
    return (
        f"{path.name} is not a safetensors checkpoint{kind}. "
        "Checkpoints of this tool are .safetensors files written by `python -m vae train`"
    )
