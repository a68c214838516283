"""Where a class's models live, who owns each, and how an uploaded checkpoint is taken in.

The models in ``checkpoint_dir()`` (shipped, or published there by the teacher) are
read-only from the web. Models trained or uploaded from the web go to ``class_dir()``;
each records the browser session that made it (its *owner*), and only that owner (or the
teacher) may delete it; the teacher may publish one into the shared folder. Names never
clash: a taken name gets the next free one. The web form never takes a server path. Nothing
here knows about the web app.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from vae.errors import CheckpointError, VAEError
from vae.i18n import N_
from vae.models.checkpoints import load_checkpoint, save_checkpoint

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def checkpoint_dir() -> Path:
    """The shared, read-only models: ``$VAE_CHECKPOINTS`` or the project's ``checkpoints/`` folder."""
    env = os.environ.get("VAE_CHECKPOINTS")
    return Path(env) if env else PROJECT_ROOT / "checkpoints"


def class_dir() -> Path:
    """Models trained or uploaded from the web: ``$VAE_CLASS_MODELS`` or ``runs/class/``."""
    env = os.environ.get("VAE_CLASS_MODELS")
    return Path(env) if env else PROJECT_ROOT / "runs" / "class"


def uploads_dir() -> Path:
    """Students' uploaded datasets, stored under their content digest: ``class_dir()/uploads``."""
    return class_dir() / "uploads"


def model_files() -> list[Path]:
    """Shared models, then the class's, by name (a shared model hides a class one of the same name)."""
    found: dict[str, Path] = {}
    for d in (checkpoint_dir(), class_dir()):
        if d.is_dir():
            for p in sorted(d.glob("*.safetensors")):
                found.setdefault(p.stem, p)
    return list(found.values())


def owner_digest(token: str) -> str:
    """What a file stores of its owner's token: 32 hex digits of SHA-256 over a fixed prefix and the token.

    The token (128 random bits, the browser's cookie) cannot be recovered from the digest, so a
    world-readable model file no longer hands out the cookie that deletes its owner's models.
    """
    return hashlib.sha256(b"vae-explorer owner\0" + token.encode()).hexdigest()[:32]


def is_shared(path: Path) -> bool:
    """True for a model of the shared, read-only folder."""
    return path.parent.resolve() == checkpoint_dir().resolve()


MAX_CHECKPOINT_BYTES = 64 << 20


def save_upload(
    filename: str, data: bytes, owner: str | None, place: Callable[[str, Callable[[Path], object]], Path]
) -> tuple[bool, str | VAEError]:
    """Validate an uploaded checkpoint and store it among the class's models.

    Returns (True, model name) or (False, the error that says what is wrong). The file is read only as
    safetensors (never unpickled) and stored again with its ``owner`` (:func:`owner_digest`); an existing
    model is never replaced: a taken name gets the next free one, chosen and taken at once
    (``place(stem, write)``, :meth:`vae.service.jobs.TrainingQueue.place`, which also counts the
    names of runs in progress).
    """
    if len(data) > MAX_CHECKPOINT_BYTES:
        return False, CheckpointError(
            N_("{file} was not added: {mb} MB is over the {limit} MB limit"),
            file=filename,
            mb=len(data) >> 20,
            limit=MAX_CHECKPOINT_BYTES >> 20,
        )
    stem = Path(filename).stem or "uploaded"
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem)[:60].lstrip(".-_") or "uploaded"
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / f"{stem}.safetensors"
        tmp_path.write_bytes(data)
        try:
            ck = load_checkpoint(tmp_path)  # the metadata is validated and the model built within the budget
        except VAEError as e:
            return False, CheckpointError(N_("{file} was not added: {why}"), file=filename, why=e)
    # only what this server vouches for: the owner, and no stored reports (computed here, once, when first shown)
    extra = {"owner": owner, "stopped": bool(ck.extra.get("stopped", False))}
    dest = place(stem, lambda p: save_checkpoint(p, ck.model, ck.history, ck.metrics, dataset=ck.dataset, extra=extra))
    return True, dest.stem


def delete_model(path: Path, owner: str, file_owner: str | None) -> VAEError | None:
    """Delete a class model whose owner (``file_owner``, from its metadata) is ``owner`` (both
    :func:`owner_digest`); else the reason."""
    if is_shared(path) or file_owner != owner:
        return VAEError(
            N_("{name} is not yours to delete (only the session that trained or uploaded it can)"), name=path.stem
        )
    path.unlink(missing_ok=True)
    return None


def publish(path: Path) -> Path:
    """The teacher's "publish": move a class model into the shared folder under a free name (never replacing a
    shared model), validated as a checkpoint first and stored again without its owner. Shared, it is read-only
    for everyone, its owner included (a shared model also hides a class one of the same name, so no copy stays
    behind). Returns the new path."""
    if is_shared(path):
        raise CheckpointError(N_("{name} is already a shared model"), name=path.stem)
    ck = load_checkpoint(path)  # a broken file is not published
    dest_dir = checkpoint_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest, i = dest_dir / path.name, 2
    while dest.exists():
        dest, i = dest_dir / f"{path.stem}-{i}.safetensors", i + 1
    extra = {k: v for k, v in ck.extra.items() if k != "owner"}
    save_checkpoint(dest, ck.model, ck.history, ck.metrics, dataset=ck.dataset, extra=extra)  # whole or not at all
    path.unlink(missing_ok=True)
    return dest


def remove(path: Path) -> None:
    """The teacher's "delete": remove any class model (the shared ones stay: they are the operator's files)."""
    if is_shared(path):
        raise CheckpointError(N_("{name} is a shared model; remove it from the server's folder"), name=path.stem)
    path.unlink(missing_ok=True)
