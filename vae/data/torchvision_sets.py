"""MNIST, Fashion-MNIST, KMNIST and CIFAR-10 through ``torchvision.datasets``, from a local folder.

They are downloaded into the folder when the machine is online; offline, the
missing files are named with where to get them.
"""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

import numpy as np
import torch

from vae.data.dataset import Dataset, where
from vae.data.embedded import DIGIT_CLASSES
from vae.errors import DataError, serving
from vae.i18n import N_

TORCHVISION = {
    "mnist": ("MNIST", DIGIT_CLASSES),
    "fashion-mnist": (
        "FashionMNIST",
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    ),
    "kmnist": ("KMNIST", ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]),
    "cifar10": ("CIFAR10", ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]),
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
    return [
        raw / f
        for f in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    ]


def is_present(name: str, root: Path) -> bool:
    """Every file the dataset needs is under ``root``."""
    return all(p.exists() for p in expected_files(name, root))


def _missing_message(name: str, root: Path, reason: str) -> str:
    files = ", ".join(str(p.relative_to(root)) for p in expected_files(name, root))
    src = CIFAR_BIN_URL if name == "cifar10" else "the torchvision mirrors"
    return (
        f"dataset {name!r} is not in {root} and could not be downloaded ({reason}). "
        f"Put these files (uncompressed) into {root}: {files} -- from {src} -- "
        f"or pass --data-root FOLDER where they are"
    )


@functools.lru_cache(maxsize=4)
def torchvision_cached(name: str, root_s: str) -> Dataset:
    root = Path(root_s)
    folder, classes = TORCHVISION[name]
    if not is_present(name, root):
        if serving():  # a student's click never makes the server download or create folders
            raise DataError(
                N_(
                    "dataset {name!r} is not on this server; the operator can put it into the data folder "
                    "($VAE_DATA_ROOT), e.g. with `python -m vae train --dataset {name} --epochs 1` on a machine "
                    "that is online, and restart"
                ),
                name=name,
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            _download(name, root)
        except Exception as e:  # no network, refused, disk full...
            raise DataError(_missing_message(name, root, type(e).__name__ + ": " + str(e)[:120])) from None
        if not is_present(name, root):
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
        raise DataError(
            N_("dataset {name!r} in {root} is unreadable ({e}); delete it and download again"),
            name=name,
            root=where(root),
            e=e,
        ) from None
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
            raise DataError(
                N_("{p} is not a CIFAR-10 binary batch (size {size} is not a multiple of 3073)"), p=p, size=raw.size
            )
        recs.append(raw.reshape(-1, 3073))
    r = np.concatenate(recs)
    return r[:, 1:].reshape(-1, 3, 32, 32) / np.float32(255), r[:, 0].astype(np.int64)
