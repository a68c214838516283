"""A user's own series: a CSV file, one series per line (the ``series`` dataset, series modality).

Each non-empty line holds the values of one series, separated by commas: ``0.1,0.4,0.9,...``. A
first field that is not a number is the line's label (``sine,0.1,0.4,...``), for colouring the
latent map. Every line must have the same number of values (4 to 4096). The values are scaled as one
to [0, 1] (x' = (x - min) / (max - min) over the whole file), the range the Gaussian decoder's means
live in; the pages show the scaled values. Everything is checked before anything is built, with the
line numbers of what is wrong: not UTF-8, too large, too few lines, a value that is not a finite
number, lines of different lengths.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from vae.data.dataset import Dataset, fixed_split, held_out, index_labels
from vae.data.user_files import max_user_values
from vae.data.user_text import read_utf8
from vae.errors import DataError
from vae.i18n import N_

MAX_SERIES_BYTES = 20 << 20  # 20 MB of CSV
MIN_LINES = 10  # the split holds out one line in ten
MIN_STEPS, MAX_STEPS = 4, 4096


@functools.lru_cache(maxsize=4)
def load_series_file(path: str, _mtime: int, _size: int) -> Dataset:
    """:func:`read_series_file`, cached per process by the file's path, modification time and size."""
    return read_series_file(path)


def _number(field: str) -> float | None:
    try:
        v = float(field)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_series_file(path: str | Path) -> Dataset:
    """The series of a CSV file, validated and scaled to [0, 1]; DataError says what is wrong and where."""
    path = Path(path)
    text = read_utf8(
        path,
        MAX_SERIES_BYTES,
        N_("{name} is {value:.1f} MB; a series data set may have at most {most:.0f} MB"),
        N_("{name} is not UTF-8 text (byte {at}): save it as a CSV file, one series per line"),
    )
    rows, labels, bad = [], [], []
    for i, line in enumerate(text.split("\n")):
        fields = [f.strip() for f in line.strip().split(",")]
        if not line.strip():
            continue
        label = fields[0] if _number(fields[0]) is None and fields[0].lower() not in ("nan", "inf", "-inf") else None
        values = [_number(f) for f in (fields[1:] if label is not None else fields)]
        if any(v is None for v in values):
            bad.append(i + 1)
            continue
        rows.append(values)
        labels.append(label or "series")
    if bad:
        raise DataError(
            N_("{name}: line(s) {lines} hold a field that is not a finite number (only a first field may be a label)"),
            name=path.name,
            lines=", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else ""),
        )
    if len(rows) < MIN_LINES:
        raise DataError(
            N_("{name} has {n} non-empty line(s); a data set needs at least {most}, one series per line"),
            name=path.name,
            n=len(rows),
            most=MIN_LINES,
        )
    lengths = [len(r) for r in rows]
    steps = max(set(lengths), key=lengths.count)  # the usual length; the others are named
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise DataError(
            N_("{name}: a series has {steps} values; {low} to {high} are allowed"),
            name=path.name,
            steps=steps,
            low=MIN_STEPS,
            high=MAX_STEPS,
        )
    odd = [i for i, n in enumerate(lengths) if n != steps]
    if odd:
        raise DataError(
            N_("{name}: every series needs {steps} values; the non-empty line(s) number {lines} differ"),
            name=path.name,
            steps=steps,
            lines=", ".join(str(i + 1) for i in odd[:10]) + (" ..." if len(odd) > 10 else ""),
        )
    if len(rows) * steps > max_user_values():
        raise DataError(
            N_("{name}: {n} values are more than the {most} this server accepts"),
            name=path.name,
            n=len(rows) * steps,
            most=max_user_values(),
        )
    x = np.asarray(rows, dtype=np.float64)
    x = x / max(np.abs(x).max(), 1e-300)  # first into [-1, 1]: max - min of +-1e308 overflows to inf
    lo, hi = x.min(), x.max()
    x = (x - lo) / (hi - lo) if hi > lo else np.full_like(x, 0.5)
    classes, y = index_labels(labels)
    x = x[:, None, :].astype(np.float32)  # one channel
    return fixed_split(x, y, held_out("series", len(x)), name=f"series:{path.name}", classes=classes)
