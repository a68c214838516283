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
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vae.config import MAX_LATENT_DIM, VAEConfig
from vae.config.records import HISTORY_KEYS, metrics_problem, record_problem
from vae.data.modality import Modality, modality_from_json
from vae.errors import CheckpointError, ConfigError, VAEError, shown_path
from vae.i18n import N_
from vae.models.vae import VAE

FORMAT = "vae-explorer/1"
SHAPE_KEY = "image_shape"  # the metadata key of one x's shape, named before sequences were read; files keep it
MAX_HEADER_BYTES = 100_000_000
DEFAULT_MAX_PARAMETERS = 50_000_000  # 200 MB of fp32 weights; the shipped models have 0.3-1.7 M
DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


def max_parameters() -> int:
    """The most parameters a checkpoint may ask for: ``$VAE_MAX_PARAMETERS`` (default 50 M, 200 MB of fp32)."""
    env = os.environ.get("VAE_MAX_PARAMETERS")
    return int(env) if env else DEFAULT_MAX_PARAMETERS


@dataclass
class Checkpoint:
    model: VAE
    config: VAEConfig
    x_shape: tuple[int, ...]  # one example: an image (C, H, W), a series (C, L), a sequence (L,)
    dataset: str
    history: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # owner, stopped, reports (vae.analysis.reports)
    path: Path | None = None
    digest: str = ""  # sha256 of the file's bytes: a cache key for results

    @property
    def modality(self) -> Modality:
        """What the model reads and draws: images of ``x_shape``, or token sequences."""
        return self.model.modality

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
        raise CheckpointError(N_("checkpoint names must end in .safetensors, got {name}"), name=path.name)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    for k, v in tensors.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(N_("refusing to save: parameter {k} holds NaN or infinite values"), k=k)
    meta = {
        "format": FORMAT,
        "config": model.config.to_json(),
        SHAPE_KEY: json.dumps(list(model.x_shape)),
        "modality": json.dumps(model.modality.to_json()),
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
    return _decode_metadata(path, _read_header(path))


def _decode_metadata(path: Path, header: dict[str, Any]) -> dict[str, Any]:
    """The validated metadata of a parsed safetensors ``header``."""
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(
            N_(
                "{name} is a safetensors file but not a checkpoint of this tool (its metadata has no format tag "
                "{FORMAT!r}); train one with `python -m vae train`"
            ),
            name=path.name,
            FORMAT=FORMAT,
        )
    out: dict[str, Any] = {"dataset": meta.get("dataset", "")}
    for key in ("config", SHAPE_KEY, "history", "metrics", "extra"):
        try:
            out[key] = json.loads(meta[key])
        except KeyError:
            raise CheckpointError(N_("{name}: metadata lacks '{key}'"), name=path.name, key=key) from None
        except (ValueError, RecursionError) as e:  # not JSON; an integer of 4,300+ digits; nested too deep
            why = (
                "nested too deep"
                if isinstance(e, RecursionError)
                else "a number of more than 4,300 digits"
                if "integer string conversion" in str(e)
                else str(e)[:120]
            )
            raise CheckpointError(
                N_("{name}: metadata '{key}' is not valid JSON ({e})"), name=path.name, key=key, e=why
            ) from None
    if "modality" in meta:  # written since the modality seam; older files hold only SHAPE_KEY
        try:
            modality = modality_from_json({"modality": json.loads(meta["modality"])})
        except (ValueError, RecursionError, VAEError) as e:
            raise CheckpointError(
                N_("{name}: metadata 'modality' is not readable ({e})"), name=path.name, e=str(e)[:120]
            ) from None
        if list(modality.shape) != out[SHAPE_KEY]:
            raise CheckpointError(
                N_("{name}: metadata 'modality' {modality!r} disagrees with its image_shape"),
                name=path.name,
                modality=modality,
            )
        out["modality"] = modality.to_json()  # decoded, checked, and JSON like the rest
    problem = metadata_problem(out)
    if problem:
        raise CheckpointError(
            N_("{name}: {problem}; the file was not made by this tool or was edited"), name=path.name, problem=problem
        )
    return out


DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")  # mnist5k, npz:<digest>.npz
OWNER = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the web app makes 32 hex digits
MAX_HISTORY_VALUES = 1_000_000  # numbers in a history: about 3,700 epochs of a 256-dimensional latent


def metadata_problem(meta: dict[str, Any]) -> str | None:
    """What is wrong with decoded metadata, or None. Every field a page reads is typed here.

    The dataset is a plain name (no Markdown, no links); the metrics and each history record
    follow their declarations (:mod:`vae.config.records`: known keys, numbers, counts, lists of
    ``latent_dim`` numbers), with at most MAX_HISTORY_VALUES numbers in the history; ``extra``
    holds an owner token (plain), a stopped flag and the reports (a JSON object). A file that fails is left out of the
    listing, so it cannot break a page for the class.
    """
    if not isinstance(meta.get("dataset"), str) or not DATASET_NAME.fullmatch(meta["dataset"]):
        return f"its dataset name {str(meta.get('dataset'))[:40]!r} is not a plain dataset name"
    if not isinstance(meta.get("config"), dict):
        return "its configuration is not a JSON object"
    latent_dim = meta["config"].get("latent_dim", VAEConfig.latent_dim)
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or not 1 <= latent_dim <= MAX_LATENT_DIM:
        return f"its configuration's latent_dim {str(latent_dim)[:20]} is not a whole number from 1 to {MAX_LATENT_DIM}"
    problem = metrics_problem(meta.get("metrics"), latent_dim)
    if problem:
        return problem
    history = meta.get("history")
    most = MAX_HISTORY_VALUES // (len(HISTORY_KEYS) + latent_dim)
    if not isinstance(history, list) or len(history) > most:
        return f"its history is not a list of at most {most} records"
    for record in history:
        problem = record_problem(record, latent_dim)
        if problem:
            return problem
    extra = meta.get("extra")
    if not isinstance(extra, dict):
        return "its extra metadata is not a JSON object"
    if extra.get("owner") is not None and not (isinstance(extra["owner"], str) and OWNER.fullmatch(extra["owner"])):
        return "its owner is not a token of this tool"
    if not isinstance(extra.get("stopped", False), bool) or not isinstance(extra.get("reports", {}), dict):
        return "its extra metadata has the wrong types"
    return None


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    """Rebuild the model stored in ``path``; refuse anything else with a clear message."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    header = _read_header(path)  # read and parsed once: the metadata and the tensors' shapes
    meta = _decode_metadata(path, header)
    config, modality = check_loadable(path, meta, header)
    model = VAE(config, modality)  # within the parameter budget, and its tensors are known to match
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(N_("{name}: tensor data is unreadable ({e})"), name=path.name, e=e) from None
    model.load_state_dict(tensors, strict=True)
    model.to(device).eval()
    return Checkpoint(
        model=model,
        config=config,
        x_shape=tuple(modality.shape),
        dataset=meta["dataset"],
        history=meta["history"] if isinstance(meta["history"], list) else [],
        metrics=meta["metrics"] if isinstance(meta["metrics"], dict) else {},
        extra=meta["extra"] if isinstance(meta["extra"], dict) else {},
        path=path,
        digest=file_digest(path),
    )


def check_loadable(path: Path, meta: dict[str, Any], header: dict[str, Any]) -> tuple[VAEConfig, Modality]:
    """The stored configuration and modality (what x is), once they are known to be safe to build; else
    CheckpointError.

    Nothing is allocated: the model is built on PyTorch's meta device (shapes, no storage),
    its parameter count is held to :func:`max_parameters`, and its tensor names, shapes and
    dtypes are compared with the safetensors header's. A few hundred KB of metadata asking
    for eight layers of 8,192 units no longer costs gigabytes before being refused.
    """
    try:
        config = VAEConfig.from_dict(meta["config"]).validate()
    except VAEError as e:
        raise CheckpointError(N_("{name}: stored configuration is invalid: {e}"), name=path.name, e=e) from None
    shape = meta[SHAPE_KEY]
    try:
        if not (isinstance(shape, list) and all(isinstance(s, int) and not isinstance(s, bool) for s in shape)):
            raise ConfigError(N_("a shape is a list of whole numbers; got {shape!r}"), shape=shape)
        modality = modality_from_json(meta)  # each modality's constructor bounds its shape (and vocabulary)
    except ConfigError as e:
        raise CheckpointError(N_("{name}: stored shape is not readable: {e}"), name=path.name, e=e) from None
    try:
        with torch.device("meta"):
            shell = VAE(config, modality)
    except VAEError as e:
        raise CheckpointError(N_("{name}: cannot rebuild the model: {e}"), name=path.name, e=e) from None
    params, budget = sum(p.numel() for p in shell.parameters()), max_parameters()
    if params > budget:
        raise CheckpointError(
            N_(
                "{name}: its configuration asks for {value:.1f} M parameters; this server loads at most {value2:.0f} "
                "M ($VAE_MAX_PARAMETERS). Nothing was loaded"
            ),
            name=path.name,
            value=params / 1e6,
            value2=budget / 1e6,
        )
    expected = {k: (tuple(v.shape), v.dtype) for k, v in shell.state_dict().items()}
    stored = {k: v for k, v in header.items() if k != "__metadata__"}
    missing, unexpected = sorted(set(expected) - set(stored)), sorted(set(stored) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            N_("{name}: tensors do not match the stored configuration (missing: {value}; unexpected: {value2})"),
            name=path.name,
            value=", ".join(missing[:5]) or "none",
            value2=", ".join(unexpected[:5]) or "none",
        )
    for k, (want_shape, want_dtype) in expected.items():
        entry = stored[k]
        got = (tuple(entry.get("shape", ())), DTYPES.get(entry.get("dtype"))) if isinstance(entry, dict) else None
        if got != (want_shape, want_dtype):
            raise CheckpointError(
                N_("{name}: tensor {k} has shape {value} {value2}, expected {want_shape} {want_dtype}"),
                name=path.name,
                k=k,
                value=got and got[0],
                value2=got and got[1],
                want_shape=want_shape,
                want_dtype=want_dtype,
            )
    return config, modality


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
        raise CheckpointError(N_("checkpoint not found: {path}"), path=shown_path(path)) from None
    except IsADirectoryError:
        raise CheckpointError(N_("{path} is a folder, not a checkpoint file"), path=shown_path(path)) from None
    except OSError as e:
        raise CheckpointError(
            N_("cannot read {path}: {strerror}"), path=shown_path(path), strerror=e.strerror
        ) from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: bad JSON, or an integer of 4,300+ digits
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
