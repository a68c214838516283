"""A data set: examples with labels (and generative factors), split once and for all into train and test.

The split is a fixed random permutation (seed ``SPLIT_SEED``): every run, every
checkpoint's report and every page sees the same test examples.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from vae.data.modality import Modality, Tokens, as_modality
from vae.errors import DataError, serving
from vae.i18n import N_

SPLIT_SEED = 0  # the train/test split never changes between runs
SUBSET_SEED = 1  # which training examples a train_size subset keeps (Dataset.subset)
TEST_SHARE = {
    "sprites": 10,
    "dsprites": 10,
    "npz": 5,
    "zip": 5,
    "names": 10,
    "text": 10,
    "waves": 10,
    "series": 10,
}  # 1 in this many examples is held out for testing


def default_data_root() -> Path:
    """``$VAE_DATA_ROOT`` or ``~/.cache/vae-explorer/data``."""
    env = os.environ.get("VAE_DATA_ROOT")
    return Path(env) if env else Path.home() / ".cache" / "vae-explorer" / "data"


def where(path: Path | str) -> str:
    """``path`` as a message may name it: in full, or (:func:`serving`) only as the server's data folder."""
    return "$VAE_DATA_ROOT" if serving() else str(path)


def held_out(name: str, n: int) -> int:
    """How many of a dataset's ``n`` images its fixed split holds out for testing (at least one)."""
    return max(1, n // TEST_SHARE[name])


@dataclass
class Dataset:
    """Examples with labels (N,) int64 and optional factors: images in [0, 1], (N, C, H, W) float32, or, with
    a ``vocab``, token sequences (N, L) int64 (vae.data.modality.Tokens)."""

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
    vocab: list[str] | None = None  # token sequences: the text of each token id

    @property
    def x_shape(self) -> tuple[int, ...]:
        """The shape of one example (an image's (C, H, W), a sequence's (L,))."""
        return tuple(self.x_train.shape[1:])

    @property
    def modality(self) -> Modality:
        """What an example is: an image of ``x_shape`` (C, H, W), a series (C, L), or a token sequence over
        ``vocab``."""
        if self.vocab is not None:
            return Tokens(self.x_shape, self.vocab)
        return as_modality(self.x_shape)

    def subset(self, n: int) -> Dataset:
        """The same data with a fixed random ``n`` of the training split (SUBSET_SEED, the same for every run and
        every n: a smaller subset is part of a larger one's draw order); the test split whole. ``n`` of 0, or at
        least the split's size, keeps it all."""
        if n <= 0 or n >= len(self.x_train):
            return self
        g = torch.Generator().manual_seed(SUBSET_SEED)
        keep = torch.randperm(len(self.x_train), generator=g)[:n].sort().values
        factors = None if self.factors_train is None else self.factors_train[keep.numpy()]
        return replace(self, x_train=self.x_train[keep], y_train=self.y_train[keep], factors_train=factors)

    def split(self, which: str) -> tuple[torch.Tensor, torch.Tensor]:
        if which == "train":
            return self.x_train, self.y_train
        if which == "test":
            return self.x_test, self.y_test
        raise DataError(N_("split must be 'train' or 'test', got {which!r}"), which=which)

    def factors(self, which: str) -> np.ndarray | None:
        return self.factors_train if which == "train" else self.factors_test


def index_labels(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """The sorted distinct labels and each example's index into them (int64), in O(n log n): a million
    labels take a second, where ``classes.index`` per example took hours."""
    if not len(labels):
        return [], np.zeros(0, dtype=np.int64)
    classes, y = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    return classes.tolist(), y.astype(np.int64).reshape(-1)


def fixed_split(x: np.ndarray, y: np.ndarray, n_test: int, factors: np.ndarray | None = None, **kw) -> Dataset:
    """Fixed random split (seed ``SPLIT_SEED``) into train and test. Integer examples (token ids) stay int64;
    the others become float32."""
    perm = np.random.RandomState(SPLIT_SEED).permutation(len(x))
    te, tr = perm[:n_test], perm[n_test:]
    f = (factors[tr], factors[te]) if factors is not None else (None, None)
    dtype = np.int64 if np.issubdtype(x.dtype, np.integer) else np.float32
    return Dataset(
        x_train=torch.from_numpy(np.ascontiguousarray(x[tr], dtype=dtype)),
        y_train=torch.from_numpy(y[tr].astype(np.int64)),
        x_test=torch.from_numpy(np.ascontiguousarray(x[te], dtype=dtype)),
        y_test=torch.from_numpy(y[te].astype(np.int64)),
        factors_train=f[0],
        factors_test=f[1],
        **kw,
    )
