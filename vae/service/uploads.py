"""A student's own data, uploaded to a shared server.

An upload (``.npz`` with images under ``x``, a ``.zip`` of PNG/JPEG files, or a ``.txt`` of
sequences, one per line) is
checked for its size, stored under the SHA-256 of its bytes in a folder the server
chooses (never a path the user typed), and then read once by the same loader as
``--dataset npz|zip|text`` (:mod:`vae.data`: ``allow_pickle=False``, image count and size
limits, UTF-8 and line limits). A file that fails is deleted again and the reason is returned.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tempfile
from pathlib import Path

from vae.config.datasets import DATASETS, UPLOADS
from vae.data.catalog import read_user_data
from vae.errors import DataError
from vae.i18n import N_

MAX_DATA_UPLOAD_BYTES = 50 << 20
SUFFIX = {d.name: d.upload_suffix for d in DATASETS.values() if d.is_upload}  # dataset -> its upload's suffix
KINDS = tuple(SUFFIX)
STORED_NAME = re.compile(r"[0-9a-f]{24}\.(" + "|".join(UPLOADS) + ")")  # how store_dataset_upload names an upload


def store_dataset_upload(filename: str, data: bytes, folder: str | Path) -> tuple[str, Path]:
    """Validate and store an uploaded dataset; return (kind: its dataset name, stored path) or raise DataError."""
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
        read_user_data(kind, path)
    except DataError as e:
        path.unlink(missing_ok=True)
        raise DataError(N_("{filename}: {e}"), filename=filename, e=e) from None
    return kind, path


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
