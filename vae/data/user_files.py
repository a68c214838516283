"""A user's own images: an ``.npz`` (images under ``x``, optional labels ``y``) or a zip of
image files (optionally one sub-folder per class).

Every size is checked from the file's headers before anything is decoded, against
limits an operator sets (``$VAE_MAX_UPLOAD_VALUES``).
"""

from __future__ import annotations

import functools
import io
import os
import zipfile
from pathlib import Path

import numpy as np

from vae.data.dataset import Dataset, fixed_split, held_out
from vae.errors import DataError
from vae.i18n import N_

MAX_USER_IMAGES = 200_000
MAX_USER_SIDE = 128
MIN_USER_SIDE = 8
MAX_ZIP_BYTES = 1 << 30
DEFAULT_MAX_USER_VALUES = 50_000_000  # decoded values (N*C*H*W) of a user's data set: 200 MB as float32
MAX_ZIP_MEMBER_BYTES = 4 << 20  # one image file inside a zip (a 128x128 RGB bitmap is 49 KB)


def max_user_values() -> int:
    """The most decoded values a user's data set may have: ``$VAE_MAX_UPLOAD_VALUES`` (default 50 M, 200 MB)."""
    env = os.environ.get("VAE_MAX_UPLOAD_VALUES")
    return int(env) if env else DEFAULT_MAX_USER_VALUES


def check_decoded_size(n: int, values_each: int, source: str) -> None:
    """Refuse, before decoding, a data set of ``n`` images of ``values_each`` values over :func:`max_user_values`."""
    budget = max_user_values()
    if n > MAX_USER_IMAGES:
        raise DataError(
            N_("{source}: at most {MAX_USER_IMAGES} images, got {n}"),
            source=source,
            MAX_USER_IMAGES=MAX_USER_IMAGES,
            n=n,
        )
    if n * values_each > budget:
        raise DataError(
            N_(
                "{source}: {n} images of {values_each} values each are {value:.0f} M values decoded; at most "
                "{value2:.0f} M are allowed: use fewer or smaller images"
            ),
            source=source,
            n=n,
            values_each=values_each,
            value=n * values_each / 1e6,
            value2=budget / 1e6,
        )


def images_from_array(x: np.ndarray, source: str) -> np.ndarray:
    """Validate an image array and return (N, C, H, W) float32 in [0, 1].

    Accepts (N, H, W), (N, H, W, C) or (N, C, H, W) with C in {1, 3}; uint8 0..255 or
    floats in [0, 1]; 8 to 128 pixels a side; at most 200,000 images.
    """
    if x.dtype == object or not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise DataError(N_("{source}: images must be numbers, got dtype {dtype}"), source=source, dtype=x.dtype)
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4:
        if x.shape[1] not in (1, 3) and x.shape[3] in (1, 3):
            x = x.transpose(0, 3, 1, 2)
    else:
        raise DataError(
            N_("{source}: images must be shaped (N, H, W), (N, H, W, C) or (N, C, H, W); got {shape}"),
            source=source,
            shape=x.shape,
        )
    n, c, h, w = x.shape
    if c not in (1, 3):
        raise DataError(N_("{source}: images need 1 or 3 channels, got shape {shape}"), source=source, shape=x.shape)
    if n < 10:
        raise DataError(N_("{source}: need at least 10 images, got {n}"), source=source, n=n)
    if n > MAX_USER_IMAGES:
        raise DataError(
            N_("{source}: at most {MAX_USER_IMAGES} images, got {n}"),
            source=source,
            MAX_USER_IMAGES=MAX_USER_IMAGES,
            n=n,
        )
    if not (MIN_USER_SIDE <= h <= MAX_USER_SIDE and MIN_USER_SIDE <= w <= MAX_USER_SIDE):
        raise DataError(
            N_("{source}: images must be {MIN_USER_SIDE} to {MAX_USER_SIDE} pixels a side, got {h}x{w}"),
            source=source,
            MIN_USER_SIDE=MIN_USER_SIDE,
            MAX_USER_SIDE=MAX_USER_SIDE,
            h=h,
            w=w,
        )
    if np.issubdtype(x.dtype, np.integer):
        if x.min() < 0 or x.max() > 255:
            raise DataError(
                N_("{source}: integer pixels must lie in 0..255, got {value}..{value2}"),
                source=source,
                value=x.min(),
                value2=x.max(),
            )
        out = x.astype(np.float32)  # in float32 throughout: no float64 copy of the whole set
        out /= 255
        return out
    if not np.isfinite(x).all():
        raise DataError(N_("{source}: images contain NaN or infinite values"), source=source)
    if x.min() < 0 or x.max() > 1:
        raise DataError(
            N_(
                "{source}: float pixels must lie in [0, 1], got {value:.3g}..{value2:.3g}; divide by 255 or save as "
                "uint8"
            ),
            source=source,
            value=x.min(),
            value2=x.max(),
        )
    return x.astype(np.float32)


@functools.lru_cache(maxsize=4)
def load_user_file(kind: str, path: str, _mtime: int, _size: int) -> Dataset:
    return read_user_file(kind, path)


def read_user_file(kind: str, path: str | Path) -> Dataset:
    """A user's ``npz`` or ``zip`` data set, read and validated (uncached: an upload check keeps nothing)."""
    x, y, classes = (_read_npz if kind == "npz" else _read_zip)(Path(path))
    return fixed_split(x, y, held_out(kind, len(x)), name=f"{kind}:{Path(path).name}", classes=classes)


NPZ_MEMBERS = ("x.npy", "y.npy")
NPZ_KINDS = "biuf"  # bool, signed and unsigned integers, floats: at most 8 bytes a value


def npz_headers(path: Path) -> tuple[int, int, int, int] | None:
    """Read the .npy headers inside an .npz (shapes and dtypes) and refuse, before decoding, what is too big.

    A small compressed file can decode to gigabytes: the sizes are checked first, of every member (only
    x.npy and y.npy are admitted, of numeric dtypes of at most 8 bytes, so the limit on values bounds the
    bytes). Each member's declared uncompressed size must also fit its header (zipfile then reads no more).
    Returns x's shape as (N, C, H, W), or None when it is not an image array.
    """
    found = None
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename not in NPZ_MEMBERS:  # np.load would also serve a member "x" as f["x"]
                    raise DataError(
                        N_("{name} holds {filename}: an .npz for this tool holds x.npy and, optionally, y.npy only"),
                        name=path.name,
                        filename=info.filename[:60],
                    )
                with zf.open(info) as fp:
                    version = np.lib.format.read_magic(fp)
                    read = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = read(fp)
                if dtype.hasobject:
                    raise DataError(
                        N_("{name}: holds Python objects, which are never loaded; save plain arrays"), name=path.name
                    )
                if dtype.kind not in NPZ_KINDS or dtype.itemsize > 8:  # the value limit then bounds the bytes too
                    raise DataError(
                        N_("{name}: {filename} holds {dtype} values; save numbers (integers or floats)"),
                        name=path.name,
                        filename=info.filename,
                        dtype=str(dtype)[:20],
                    )
                count = int(np.prod(shape, dtype=np.int64)) if shape else 1
                if info.file_size > count * dtype.itemsize + 4096:
                    raise DataError(
                        N_("{name}: {filename} is larger than its header says"), name=path.name, filename=info.filename
                    )
                if info.filename == "x.npy":
                    n = shape[0] if shape else 1
                    check_decoded_size(n, count // max(n, 1), path.name)
                    found = _nchw(shape)
                elif count > MAX_USER_IMAGES:
                    raise DataError(
                        N_("{name}: 'y' holds {count} labels; at most {MAX_USER_IMAGES}"),
                        name=path.name,
                        count=count,
                        MAX_USER_IMAGES=MAX_USER_IMAGES,
                    )
    except DataError:
        raise
    except Exception as e:
        raise DataError(
            N_("{name} is not a readable .npz file ({kind}: {e})"), name=path.name, kind=type(e).__name__, e=e
        ) from None
    return found


def _nchw(shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """(N, C, H, W) as images_from_array reads an array of this shape, or None when it cannot."""
    if len(shape) == 3:
        return shape[0], 1, shape[1], shape[2]
    if len(shape) == 4:
        return tuple(shape) if shape[1] in (1, 3) or shape[3] not in (1, 3) else (shape[0], shape[3], *shape[1:3])
    return None


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    with open(path, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":  # an .npz is a zip of .npy files
            raise DataError(
                N_("{name} is not a readable .npz file (save one with numpy.savez(path, x=images, y=labels))"),
                name=path.name,
            )
    npz_headers(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = set(f.files)
            if "x" not in keys:
                raise DataError(
                    N_("{name}: no array named 'x' (found: {value})"),
                    name=path.name,
                    value=", ".join(sorted(keys)) or "none",
                )
            x = f["x"]
            y = f["y"] if "y" in keys else None
    except DataError:
        raise
    except ValueError as e:
        raise DataError(
            N_("{name}: holds Python objects, which are never loaded ({e}); save plain arrays"), name=path.name, e=e
        ) from None
    except Exception as e:
        raise DataError(
            N_("{name} is not a readable .npz file ({kind}: {e})"), name=path.name, kind=type(e).__name__, e=e
        ) from None
    x = images_from_array(x, path.name)
    if y is None:
        y = np.zeros(len(x), dtype=np.int64)
        return x, y, ["all"]
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise DataError(
            N_("{name}: 'y' must be {value} non-negative integer labels, got shape {shape}, dtype {dtype}"),
            name=path.name,
            value=len(x),
            shape=y.shape,
            dtype=y.dtype,
        )
    return x, y.astype(np.int64), [str(i) for i in range(int(y.max()) + 1)]


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
GREY_MODES = ("1", "L", "LA", "I", "I;16")


def _zip_members(zf: zipfile.ZipFile, path: Path) -> list[zipfile.ZipInfo]:
    """The image files of a user's zip, checked for count and declared sizes."""
    members = [
        m
        for m in zf.infolist()
        if not m.is_dir() and m.filename.lower().endswith(IMAGE_SUFFIXES) and not Path(m.filename).name.startswith(".")
    ]
    if not members:
        raise DataError(N_("{name}: no image files (.png, .jpg, .bmp, .gif) inside"), name=path.name)
    if len(members) > MAX_USER_IMAGES:
        raise DataError(
            N_("{name}: at most {MAX_USER_IMAGES} images, got {value}"),
            name=path.name,
            MAX_USER_IMAGES=MAX_USER_IMAGES,
            value=len(members),
        )
    if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise DataError(N_("{name}: images total more than 1 GiB uncompressed"), name=path.name)
    big = next((m for m in members if m.file_size > MAX_ZIP_MEMBER_BYTES), None)
    if big is not None:
        raise DataError(
            N_("{name}: {filename} is {value} MB; one image may have at most {value2} MB"),
            name=path.name,
            filename=big.filename,
            value=big.file_size >> 20,
            value2=MAX_ZIP_MEMBER_BYTES >> 20,
        )
    return members


def _image_header(zf: zipfile.ZipFile, m: zipfile.ZipInfo, path: Path, count: int | None):
    """Open one image of a user's zip and check its size from its header; with ``count``, the whole set's size."""
    from PIL import Image

    im = Image.open(io.BytesIO(zf.read(m)))
    w, h = im.size  # from the file's header: nothing decoded yet
    if not (MIN_USER_SIDE <= h <= MAX_USER_SIDE and MIN_USER_SIDE <= w <= MAX_USER_SIDE):
        raise DataError(
            N_("{name}: {filename} is {w}x{h} pixels; images must be {MIN_USER_SIDE} to {MAX_USER_SIDE} pixels a side"),
            name=path.name,
            filename=m.filename,
            w=w,
            h=h,
            MIN_USER_SIDE=MIN_USER_SIDE,
            MAX_USER_SIDE=MAX_USER_SIDE,
        )
    if count is not None:  # the whole set, decoded, from the first header and the member count
        check_decoded_size(count, w * h * (1 if im.mode in GREY_MODES else 3), path.name)
    return im


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(N_("{name} is not a readable zip file ({e})"), name=path.name, e=e) from None


def zip_headers(path: Path) -> tuple[int, int, int, int]:
    """(N, C, H, W) of a user's zip of images, from the member list and the first image's header."""
    with _open_zip(path) as zf:
        members = _zip_members(zf, path)
        first = min(members, key=lambda m: m.filename)
        try:
            with _image_header(zf, first, path, len(members)) as im:
                return len(members), 1 if im.mode in GREY_MODES else 3, im.size[1], im.size[0]
        except DataError:
            raise
        except Exception as e:
            raise DataError(
                N_("{name}: {filename} is not a readable image ({e})"), name=path.name, filename=first.filename, e=e
            ) from None


def _read_zip(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    with _open_zip(path) as zf:
        members = _zip_members(zf, path)
        folders = sorted({str(Path(m.filename).parent) for m in members})
        classes = folders if len(folders) > 1 else ["all"]
        folder_index = {f: i for i, f in enumerate(folders)}  # a dict: a list's .index per member is quadratic
        arrays, labels, first = [], [], None
        for m in sorted(members, key=lambda m: m.filename):
            try:
                with _image_header(zf, m, path, len(members) if first is None else None) as im:
                    im.load()
                    mode = "L" if im.mode in GREY_MODES else "RGB"
                    arr = np.asarray(im.convert(mode))
            except DataError:
                raise
            except Exception as e:
                raise DataError(
                    N_("{name}: {filename} is not a readable image ({e})"), name=path.name, filename=m.filename, e=e
                ) from None
            if first is None:
                first = (m.filename, arr.shape)
            elif arr.shape != first[1]:
                raise DataError(
                    N_(
                        "{name}: all images must have the same size and colour mode; {value} is {value2} "
                        "but {filename} is "
                        "{shape}"
                    ),
                    name=path.name,
                    value=first[0],
                    value2=first[1],
                    filename=m.filename,
                    shape=arr.shape,
                )
            arrays.append(arr)
            labels.append(folder_index[str(Path(m.filename).parent)] if len(folders) > 1 else 0)
    x = images_from_array(np.stack(arrays), path.name)
    return x, np.asarray(labels, dtype=np.int64), classes
