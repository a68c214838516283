"""A student's own data, uploaded to a shared server.

An upload (``.npz`` with images under ``x``, a ``.zip`` of PNG/JPEG files, or a ``.txt`` of
sequences, one per line) is
checked for its size, stored under the SHA-256 of its bytes in a folder the server
chooses (never a path the user typed), and then read once by the same loader as
``--dataset npz|zip|text`` (:mod:`vae.data`: ``allow_pickle=False``, image count and size
limits, UTF-8 and line limits). A file that fails is deleted again and the reason is returned.

That reading runs in a process of its own (:func:`check_upload`), at low CPU priority and for at
most ``$VAE_UPLOAD_CHECK_SECONDS`` (60): a file crafted to be slow to check costs the server one
bounded process, never a page's thread for hours, and it is stopped as soon as its uploader leaves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vae.config.datasets import DATASETS, UPLOADS
from vae.data.catalog import read_user_data
from vae.errors import DataError
from vae.i18n import N_

MAX_DATA_UPLOAD_BYTES = 50 << 20
SUFFIX = {d.name: d.upload_suffix for d in DATASETS.values() if d.is_upload}  # dataset -> its upload's suffix
KINDS = tuple(SUFFIX)
STORED_NAME = re.compile(r"[0-9a-f]{24}\.(" + "|".join(UPLOADS) + ")")  # how store_dataset_upload names an upload


def check_seconds() -> float:
    """The longest an upload's check may take: ``$VAE_UPLOAD_CHECK_SECONDS`` (60)."""
    return float(os.environ.get("VAE_UPLOAD_CHECK_SECONDS", "") or 60)


def _check_in_child(kind: str, path: str, conn) -> None:
    from vae.service.priority import UPLOAD_CHECK_NICE, lower_process

    lower_process(UPLOAD_CHECK_NICE)
    try:
        read_user_data(kind, path)
        conn.send(None)
    except DataError as e:
        conn.send((e.template, e.values))
    except Exception as e:  # noqa: BLE001 - a reader's own failure is still the file's fault, said in one line
        conn.send((N_("it cannot be read ({e})"), {"e": f"{type(e).__name__}: {str(e)[:120]}"}))


def check_upload(kind: str, path: str | Path, gone: Callable[[], bool] = lambda: False) -> None:
    """:func:`vae.data.catalog.read_user_data` of ``path`` in a process of its own (the training's fork server),
    at nice 5, for at most :func:`check_seconds`; raise DataError with what is wrong. ``gone()`` is asked every
    half second: True (the uploader's session has ended) stops the check at once."""
    from vae.service.worker import context

    parent, child = context().Pipe(duplex=False)
    proc = context().Process(target=_check_in_child, args=(kind, str(path), child), daemon=True)
    proc.start()
    child.close()
    deadline = time.monotonic() + check_seconds()
    try:
        while True:
            if gone():
                raise DataError(N_("its check was stopped: the page that uploaded it was closed"))
            left = deadline - time.monotonic()
            if left <= 0:
                raise DataError(
                    N_("checking it took more than {s:.0f} s on this server: upload fewer or smaller examples"),
                    s=check_seconds(),
                )
            if parent.poll(min(0.5, left)):
                break
            if not proc.is_alive():
                raise DataError(N_("checking it stopped the checking process (code {code})"), code=proc.exitcode)
        result = parent.recv()
    except EOFError:
        raise DataError(N_("checking it stopped the checking process (code {code})"), code=proc.exitcode) from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    if result is not None:
        template, values = result
        raise DataError(template, **values)


def store_dataset_upload(
    filename: str, data: bytes, folder: str | Path, gone: Callable[[], bool] | None = None
) -> tuple[str, Path]:
    """Validate and store an uploaded dataset; return (kind: its dataset name, stored path) or raise DataError.

    ``gone``: the server's check (:func:`check_upload`, in a process of its own, bounded in time, stopped when
    ``gone()`` says the uploader left); None reads it here (the command line, the tests of the readers)."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    kind = UPLOADS.get(suffix)
    if kind is None:
        raise DataError(
            N_(
                "{filename}: upload a .npz file (images under 'x', optional labels 'y'), a .zip of PNG/JPEG images "
                "(one sub-folder per class), a .txt of sequences or a .csv of series (one per line)"
            ),
            filename=filename,
        )
    if len(data) > MAX_DATA_UPLOAD_BYTES:
        raise DataError(
            N_("{filename} is {value:.0f} MB; uploads are limited to {value2} MB (fewer or smaller images)"),
            filename=filename,
            value=len(data) / 2**20,
            value2=MAX_DATA_UPLOAD_BYTES >> 20,
        )
    if not data:
        raise DataError(N_("{filename} is empty"), filename=filename)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:24]}.{suffix}"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    try:
        # validated, then freed: the server keeps no decoded copy of an upload
        read_user_data(kind, path) if gone is None else check_upload(kind, path, gone)
    except DataError as e:
        path.unlink(missing_ok=True)
        raise named_after_upload(e, path.name, filename) from None
    except BaseException:
        path.unlink(missing_ok=True)  # whatever stopped the check, the file it did not pass is not kept
        raise
    return kind, path


def named_after_upload(e: DataError, stored: str, filename: str) -> DataError:
    """``e`` (a reader's refusal of the stored file ``stored``) naming the file as its uploader named it: the
    stored name is a digest the student never saw. A refusal that names no file is prefixed with the upload's."""
    if stored not in e.values.values():
        return DataError(N_("{filename}: {e}"), filename=filename, e=e)
    return DataError(e.template, **{k: filename if v == stored else v for k, v in e.values.items()})


def is_inside(path: str | Path, folder: str | Path) -> bool:
    """True when ``path`` is a file inside ``folder`` (after resolving links and '..')."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, ValueError):
        return False


def confine_data(data, uploads_folder: str | Path):
    """The data configuration a class server may load for a model: no path a file chose.

    A checkpoint's stored configuration may name any file or folder. On the server its
    data are found only by dataset name under the operator's data folder
    (``$VAE_DATA_ROOT``: the stored ``data_root`` is dropped), or, for a student's own
    data, by the upload's digest under ``uploads_folder``: the stored path keeps only its
    file name, which must be one that :func:`store_dataset_upload` gives. Anything else is
    refused with a message that names no path (it would tell whether a server file exists).
    """
    out = dataclasses.replace(data, data_root=None, path=None)
    if data.name in KINDS:
        name = Path(str(data.path or "")).name
        if not STORED_NAME.fullmatch(name) or not name.endswith("." + SUFFIX[data.name]):
            raise DataError(
                N_(
                    "this model was trained on a {name} file that is not one of this class's uploads; the server reads "
                    "only data sets uploaded on the Train page: upload yours there and train again"
                ),
                name=data.name,
            )
        out.path = str(Path(uploads_folder) / name)
    return out
