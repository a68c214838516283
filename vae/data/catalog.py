"""Every data set by name: what it is, its shape without loading it, and how to load it."""

from __future__ import annotations

import functools
from pathlib import Path

from vae.config import DataConfig
from vae.config.datasets import DATASETS
from vae.data.colour import load_mnist5k_colour
from vae.data.dataset import Dataset, default_data_root, held_out
from vae.data.embedded import DIGITS_TEST, MNIST5K_TEST, load_digits, load_mnist5k
from vae.data.names import LENGTH as NAMES_LENGTH
from vae.data.names import load_names
from vae.data.sprites import DSPRITES_FILE, dsprites_cached, sprites_cached
from vae.data.torchvision_sets import TORCHVISION, is_present, torchvision_cached
from vae.data.user_files import load_user_file, npz_headers, read_user_file, zip_headers
from vae.data.user_series import load_series_file, read_series_file
from vae.data.user_text import load_text_file, read_text_file
from vae.errors import DataError, shown_path
from vae.i18n import N_

USER_FILES = tuple(d.name for d in DATASETS.values() if d.is_upload)  # the user's own data, read from a file


def read_user_data(kind: str, path: str | Path) -> Dataset:
    """A user's ``npz``, ``zip``, ``text`` or ``series`` data set, read and validated (uncached)."""
    read = {"text": read_text_file, "series": read_series_file}.get(kind, functools.partial(read_user_file, kind))
    return read(path)


EMBEDDED = {"mnist5k": load_mnist5k, "mnist5k-colour": load_mnist5k_colour, "digits": load_digits, "names": load_names}
NAMES_TEST = 376  # held_out("names", 3763)


BUILTIN = DATASETS  # every dataset by name (vae.config.datasets), as the command line lists them


def load_dataset(cfg: DataConfig) -> Dataset:
    """Load the dataset a :class:`DataConfig` names (cached per process), with only ``train_size`` of its
    training split where that is set."""
    return _load_whole(cfg).subset(cfg.train_size)


def _load_whole(cfg: DataConfig) -> Dataset:
    if cfg.name not in BUILTIN:
        raise DataError(N_("unknown dataset {name!r}; choose one of {value}"), name=cfg.name, value=", ".join(BUILTIN))
    if cfg.name in USER_FILES:
        if not cfg.path:
            raise DataError(N_("dataset {name!r} needs a file: pass --data-path FILE.{name}"), name=cfg.name)
        p = Path(cfg.path)
        try:
            st = p.stat()
        except OSError:
            raise DataError(N_("data file not found: {p}"), p=shown_path(p)) from None
        load = {"text": load_text_file, "series": load_series_file}.get(
            cfg.name, functools.partial(load_user_file, cfg.name)
        )
        return load(str(p.resolve()), st.st_mtime_ns, st.st_size)
    if cfg.name == "sprites":
        return sprites_cached(cfg.num, cfg.size)
    if cfg.name == "waves":
        from vae.data.waves import waves_cached

        return waves_cached()
    if cfg.name == "dsprites":
        root = Path(cfg.data_root) if cfg.data_root else default_data_root()
        return dsprites_cached(str(root / DSPRITES_FILE), cfg.num)
    if cfg.name in TORCHVISION:
        root = Path(cfg.data_root) if cfg.data_root else default_data_root()
        return torchvision_cached(cfg.name, str(root))
    return EMBEDDED[cfg.name]()


def is_available_offline(name: str, root: Path | None = None) -> bool:
    if name == "dsprites":
        return ((root or default_data_root()) / DSPRITES_FILE).exists()
    if name not in TORCHVISION:
        return BUILTIN[name].offline
    return is_present(name, root or default_data_root())


KNOWN_SHAPES = {  # (C, H, W), train, test: what load_dataset gives, known without loading
    "mnist5k": ((1, 28, 28), 5000 - MNIST5K_TEST, MNIST5K_TEST),
    "mnist5k-colour": ((3, 28, 28), 5000 - MNIST5K_TEST, MNIST5K_TEST),
    "digits": ((1, 8, 8), 1797 - DIGITS_TEST, DIGITS_TEST),
    "mnist": ((1, 28, 28), 60000, 10000),
    "fashion-mnist": ((1, 28, 28), 60000, 10000),
    "kmnist": ((1, 28, 28), 60000, 10000),
    "cifar10": ((3, 32, 32), 50000, 10000),
    "names": ((NAMES_LENGTH,), 3763 - NAMES_TEST, NAMES_TEST),
    "waves": ((1, 64), 2400 - 240, 240),  # vae.data.waves: 800 combinations of the factors, 3 times
}
DSPRITES_IMAGES = 737_280


def data_modality(cfg: DataConfig):
    """(modality, train size, test size) of the dataset ``cfg`` names, as :func:`data_shape` (nothing is
    generated): pictures of their shape, or token sequences with their vocabulary (a text file is read)."""
    from vae.data.modality import Tokens, as_modality

    if cfg.name == "names":
        from vae.data.names import LENGTH, VOCAB

        shape, n_train, n_test = data_shape(cfg)
        return Tokens((LENGTH,), VOCAB), n_train, n_test
    if cfg.name in ("text", "series"):
        ds = load_dataset(cfg)
        return ds.modality, len(ds.x_train), len(ds.x_test)
    shape, n_train, n_test = data_shape(cfg)
    return as_modality(shape), n_train, n_test


def data_shape(cfg: DataConfig) -> tuple[tuple[int, int, int], int, int]:
    """(image shape, train size, test size) of the dataset ``cfg`` names, without generating or decoding it.

    A web page sizes a training from this, so that it never builds a student's data. A user's file is
    measured from its headers (.npy headers, the first image's). The train size is ``train_size`` where that
    is set and smaller.
    """
    shape, n_train, n_test = _whole_shape(cfg)
    return shape, min(n_train, cfg.train_size or n_train), n_test


def _whole_shape(cfg: DataConfig) -> tuple[tuple[int, int, int], int, int]:
    if cfg.name in KNOWN_SHAPES:
        return KNOWN_SHAPES[cfg.name]
    if cfg.name in ("sprites", "dsprites"):
        n = cfg.num if cfg.name == "sprites" else min(cfg.num, DSPRITES_IMAGES)
        side = cfg.size if cfg.name == "sprites" else 64
        return (1, side, side), n - held_out(cfg.name, n), held_out(cfg.name, n)
    if cfg.name in ("text", "series"):
        ds = load_dataset(cfg)  # a text file is read whole to know its longest line (at most 20 MB)
        return ds.x_shape, len(ds.x_train), len(ds.x_test)
    if cfg.name in ("npz", "zip"):
        if not cfg.path:
            raise DataError(N_("dataset {name!r} needs a file: pass --data-path FILE.{name}"), name=cfg.name)
        shape = (npz_headers if cfg.name == "npz" else zip_headers)(Path(cfg.path))
        if shape is None:
            raise DataError(
                N_("{name}: no image array named 'x', shaped (N, H, W), (N, H, W, C) or (N, C, H, W)"),
                name=Path(cfg.path).name,
            )
        n = shape[0]
        return shape[1:], n - held_out(cfg.name, n), held_out(cfg.name, n)
    raise DataError(N_("unknown dataset {name!r}; choose one of {value}"), name=cfg.name, value=", ".join(BUILTIN))
