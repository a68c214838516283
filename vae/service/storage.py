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
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from vae.errors import CheckpointError, ConfigError, VAEError
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


def _setting(name: str, default: int) -> int | None:
    raw = os.environ.get(name, "").strip()
    value = int(float(raw)) if raw else default
    return value if value > 0 else None


def max_models_per_student() -> int | None:
    """Models one student (owner) may keep among the class's: ``$VAE_MAX_MODELS_PER_STUDENT`` (20; 0 = no limit)."""
    return _setting("VAE_MAX_MODELS_PER_STUDENT", 20)


def max_class_bytes() -> int | None:
    """Bytes the class folder may hold, models and data uploads together: ``$VAE_MAX_CLASS_MB`` (2048; 0 = none)."""
    mb = _setting("VAE_MAX_CLASS_MB", 2048)
    return None if mb is None else mb << 20


def class_bytes() -> int:
    """Bytes the class folder holds now (models, data uploads, files being written)."""
    total = 0
    for p in class_dir().rglob("*") if class_dir().is_dir() else ():
        try:
            total += p.stat().st_size if p.is_file() else 0
        except OSError:  # removed meanwhile
            pass
    return total


def quota_problem(owned: int, adding_models: int, adding_bytes: int) -> ConfigError | None:
    """Why ``adding_models`` more models (or data) of ``adding_bytes`` bytes would pass a quota, or None.

    ``owned``: the models the student already has in the class folder or on their way (queued,
    training). Refusals say what to delete to make room.
    """
    most = max_models_per_student()
    if adding_models and most is not None and owned + adding_models > most:
        return ConfigError(
            N_(
                "you have {n} model(s) in the class folder, and each student may keep {most}: delete one you no "
                "longer need (pick it in the sidebar, then Delete this model)"
            ),
            n=owned,
            most=most,
        )
    limit = max_class_bytes()
    if limit is not None:
        used = class_bytes()
        if used + adding_bytes > limit:
            return ConfigError(
                N_(
                    "the class folder is full ({used:.0f} MB of {limit:.0f} MB): delete models you no longer need, "
                    "or ask the teacher to remove some on the Teacher's view"
                ),
                used=used / 2**20,
                limit=limit / 2**20,
            )
    return None


UPLOAD_KEEP_SECONDS = 24 * 3600  # a data upload no model was trained on is removed after a day
STALE_SECONDS = 24 * 3600  # a half-written file (a training or upload the server lost) after a day


def clean_class_folder(referenced: Iterable[str], now: float | None = None) -> list[Path]:
    """Remove what nobody will read again; return what was removed.

    Data uploads (``uploads/``) that no model's configuration names (``referenced``: their file names)
    and that are older than UPLOAD_KEEP_SECONDS (a student may still be about to train on a new one),
    and files left half-written (``.partial/``, ``*.tmp``) older than STALE_SECONDS: a server killed
    while training or storing leaves them, and they count against the class's quota.
    """
    now = time.time() if now is None else now
    keep, removed = set(referenced), []
    folder = class_dir()
    candidates = [
        *((p, UPLOAD_KEEP_SECONDS) for p in (folder / "uploads").glob("*") if p.name not in keep),
        *((p, STALE_SECONDS) for p in (folder / ".partial").glob("*")),
        *((p, STALE_SECONDS) for p in folder.glob(".*.tmp")),
    ]
    for p, age in candidates:
        try:
            if p.is_file() and now - p.stat().st_mtime > age:
                p.unlink()
                removed.append(p)
        except OSError:
            pass
    return removed


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
