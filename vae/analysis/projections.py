"""2-D maps of posterior means E_q[z|x]: PCA, t-SNE, UMAP; cached.

t-SNE runs openTSNE (Barnes-Hut gradients, exact nearest neighbours, which are
faster than approximate search on latents of a few dozen dimensions, all cores, a
shortened schedule); without
openTSNE it falls back to scikit-learn's ``TSNE`` inside
``threadpoolctl.threadpool_limits(1, user_api="openmp")``, because on small machines
its default OpenMP threading is up to ~100x slower. Latents wider than 50 dimensions
go through PCA to 50 first (the usual t-SNE preprocessing). UMAP is used when
``umap-learn`` is installed.

Every projection keeps the example index (into the split) and the label of each
point. Results are cached in memory and, when a folder is given, on disk as ``.npz``
(arrays only, loaded with ``allow_pickle=False``), keyed by the checkpoint's content
digest, the split, the method, the subsample size and the seed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vae.analysis.explore import posterior
from vae.errors import ConfigError
from vae.i18n import N_

METHODS = ("pca", "tsne", "umap")
# openTSNE schedule: 100 early-exaggeration + 150 plain iterations (defaults: 250 + 500).
# On 5,000 mnist5k posterior means its trustworthiness (10 neighbours) matched the full
# schedule's to 0.001 (bench/projection_speed.py measures it against scikit-learn).
TSNE_EARLY_ITER, TSNE_ITER = 100, 150


@dataclass
class Projection:
    method: str
    coords: np.ndarray  # (N, 2)
    index: np.ndarray  # (N,) example index into the split
    labels: np.ndarray  # (N,)
    seconds: float
    cached: bool = False


def umap_available() -> bool:
    try:
        import umap  # noqa: F401
    except ImportError:
        return False
    return True


def embed(codes: np.ndarray, method: str, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """2-D coordinates of ``codes`` (N, D) by ``method``."""
    codes = np.asarray(codes, dtype=np.float64)
    n = len(codes)
    if method not in METHODS:
        raise ConfigError(
            N_("projection method must be one of {value}; got {method!r}"), value=", ".join(METHODS), method=method
        )
    if n < 3:
        raise ConfigError(N_("a projection needs at least 3 points, got {n}"), n=n)
    if codes.shape[1] == 1:
        codes = np.concatenate([codes, np.zeros_like(codes)], 1)
    if method == "pca":
        from sklearn.decomposition import PCA

        out = PCA(n_components=2, random_state=seed).fit_transform(codes)
        return out if out.shape[1] == 2 else np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
    if method == "umap":
        if not umap_available():
            raise ConfigError(N_("UMAP needs the umap-learn package: pip install umap-learn (or use pca or tsne)"))
        import umap

        return umap.UMAP(n_components=2, random_state=seed).fit_transform(codes)
    if codes.shape[1] > 50:
        from sklearn.decomposition import PCA

        codes = PCA(n_components=50, random_state=seed).fit_transform(codes)
    perp = min(perplexity, max(1.0, (n - 1) / 3))
    try:
        from openTSNE import TSNE as OpenTSNE
    except ImportError:
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="openmp"):
            return TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed).fit_transform(codes)
    import os

    tsne = OpenTSNE(
        n_components=2,
        perplexity=perp,
        neighbors="exact",
        random_state=seed,
        negative_gradient_method="bh",
        early_exaggeration_iter=TSNE_EARLY_ITER,
        n_iter=TSNE_ITER,
        n_jobs=os.cpu_count() or 1,
    )
    return np.asarray(tsne.fit(codes))


def subsample(n: int, limit: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of a random subset of size ``limit`` (all when ``limit`` is None)."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.RandomState(seed).choice(n, size=limit, replace=False))


class ProjectionCache:
    """Memory (and optionally disk) cache of projections; safe to share between threads."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else None
        self._mem: dict[str, Projection] = {}
        self._lock = threading.Lock()
        self.computed = 0  # how many projections were actually computed

    @staticmethod
    def key(digest: str, split: str, method: str, limit: int | None, seed: int) -> str:
        return f"{digest[:20]}-{split}-{method}-{limit or 'all'}-s{seed}"

    def get_or_compute(self, key: str, compute) -> Projection:
        with self._lock:
            if key in self._mem:
                p = self._mem[key]
                return Projection(p.method, p.coords, p.index, p.labels, p.seconds, cached=True)
        disk = self.folder / f"{key}.npz" if self.folder else None
        if disk is not None and disk.exists():
            try:
                with np.load(disk, allow_pickle=False) as f:
                    p = Projection(str(f["method"]), f["coords"], f["index"], f["labels"], float(f["seconds"]), True)
                with self._lock:
                    self._mem[key] = p
                return p
            except Exception:
                disk.unlink(missing_ok=True)  # a damaged cache file is recomputed
        p = compute()
        with self._lock:
            self._mem[key] = p
            self.computed += 1
        if disk is not None:
            disk.parent.mkdir(parents=True, exist_ok=True)
            tmp = disk.with_suffix(".tmp.npz")
            np.savez(tmp, method=p.method, coords=p.coords, index=p.index, labels=p.labels, seconds=p.seconds)
            tmp.replace(disk)
        return p


DEFAULT_CACHE = ProjectionCache()


def project_codes(
    codes: np.ndarray, labels: np.ndarray, method: str, limit: int | None = None, seed: int = 0
) -> Projection:
    """Project (a subsample of) codes; index and labels stay aligned with the points."""
    idx = subsample(len(codes), limit, seed)
    t = time.perf_counter()
    coords = embed(codes[idx], method, seed)
    return Projection(method, coords.astype(np.float32), idx, np.asarray(labels)[idx], time.perf_counter() - t)


def project_model(
    checkpoint,
    x,
    labels,
    split: str,
    method: str,
    limit: int | None = None,
    seed: int = 0,
    cache: ProjectionCache | None = None,
) -> Projection:
    """Posterior means of ``x`` under a loaded checkpoint, projected and cached."""
    cache = cache or DEFAULT_CACHE
    key = cache.key(checkpoint.digest, split, method, limit, seed)

    def compute():
        mu, _ = posterior(checkpoint.model, x)
        return project_codes(mu, np.asarray(labels), method, limit, seed)

    return cache.get_or_compute(key, compute)


def place_among(codes: np.ndarray, coords: np.ndarray, new: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Where new codes (M, D) fall on a map of ``codes`` (N, D) at ``coords`` (N, 2), by any method.

    Each new code goes to the inverse-distance-weighted mean of the map positions of its ``k``
    nearest codes (the way openTSNE starts placing new points); a code equal to a mapped one
    lands on it. Returns (positions (M, 2), the k nearest indices into ``codes`` (M, k)).
    """
    codes, coords, new = (np.asarray(a, dtype=np.float64) for a in (codes, coords, new))
    k = min(k, len(codes))
    d = np.sqrt(((new[:, None, :] - codes[None, :, :]) ** 2).sum(-1))  # (M, N)
    near = np.argsort(d, axis=1, kind="stable")[:, :k]
    dn = np.take_along_axis(d, near, 1)
    w = 1.0 / np.maximum(dn, 1e-12)
    w[dn < 1e-12] = 1e12  # an exact match takes its place
    w /= w.sum(1, keepdims=True)
    return (w[:, :, None] * coords[near]).sum(1), near
