"""What each page shows on a first visit: the widgets' default values.

The pages set their widgets from here and the server-start warm-up (ui/warmup.py)
computes exactly these views ahead, so a first visitor finds them in the cache.
"""

from __future__ import annotations

from vae.analysis.reports import REPORT_IWAE_K
from vae.i18n import N_

AR_MAX_IMAGES = 60  # images one page view may draw from an autoregressive decoder (784 passes each at 28x28)

MAP = dict(split="test", limit=2000, seed=0, methods=("pca", "tsne"))  # Latent map: the projections warmed
MAP_SIZES = (500, 1000, 2000, 5000, 10000)  # Latent map: how many points, up to the split's size
TRAVERSAL = dict(span=3.0, steps=11)  # Latent traversals: span in prior sd, frames per dimension
INTERPOLATION = dict(a=0, b=1, steps=11, method="linear")  # Latent traversals: the first interpolation
SEED_GRID = dict(n_z=4, n_seeds=5, seed=0)  # Strong decoders: rows of z, columns of seeds
SEED_GRID_PX = 230  # Strong decoders: a grid's width, one of three columns
PLACE_NEIGHBOURS = 10  # Latent map: a drawn input is placed among this many nearest mapped codes
IWAE_K = REPORT_IWAE_K  # Posterior collapse: importance samples, the k of the reports stored at save


def traversal_dims(ck) -> int:
    """Latent traversals: how many dimensions (fewer for a pixelcnn: every image is drawn)."""
    return min(ck.config.latent_dim, 5 if ck.model.pixel_by_pixel else 10)


SWEEPS = {  # Compare runs: knob -> (its label, the values offered, those picked at first, the widget's key)
    "beta": (N_("beta"), [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0], [0.5, 8.0], "sweep_betas"),
    "latent_dim": (N_("the latent size d_z"), [1, 2, 4, 8, 16, 32, 64], [2, 32], "sweep_latent_dims"),
    "lr": (N_("the learning rate"), [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1], [1e-3, 3e-2], "sweep_lrs"),
}
COMPARE = dict(n_dims=5, span=3.0, steps=9)  # Compare runs: the side-by-side traversals


def compare_dims(ck, n_dims: int = COMPARE["n_dims"]) -> int:
    """Compare runs: how many dimensions of ``ck`` the side-by-side traversal shows."""
    return min(n_dims, ck.config.latent_dim, AR_MAX_IMAGES // COMPARE["steps"] if ck.model.pixel_by_pixel else 10)


def samples(ck) -> dict:
    """Reconstructions & samples: how many reconstructions and prior samples."""
    return {"n_rec": 10, "n_samples": 16 if ck.model.pixel_by_pixel else 32}
