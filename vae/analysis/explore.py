"""Looking inside a trained VAE: reconstructions, samples, traversals, interpolations.

All functions take a model in eval mode and return numpy arrays of examples of the model's
modality (images (..., C, H, W) in [0, 1], token ids (..., L), series (..., C, L)), together
with the latent values that produced them, so that every picture, text or curve can be checked
against ``model.decode_mean`` directly.

  traversal:      z = z0 + t * e_j for t in a range of prior standard deviations
  interpolation:  linear  z(t) = (1 - t) z_a + t z_b
                  slerp   z(t) = sin((1-t) w)/sin w * z_a + sin(t w)/sin w * z_b,
                          w = angle(z_a, z_b)   (follows the prior's shell)
  manifold:       for a 2-D latent, z on a grid of the prior's quantiles
                  Phi^-1(u), u in (0, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vae.data.modality import Modality
from vae.errors import ConfigError
from vae.i18n import N_
from vae.models.vae import VAE


def _device(model: VAE) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def decode(model: VAE, z: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """E[x|z] for latents (N, D) as images (N, C, H, W)."""
    z = torch.as_tensor(np.asarray(z, dtype=np.float32), device=_device(model))
    model.eval()
    out = [model.decode_mean(z[s : s + batch_size]).cpu() for s in range(0, len(z), batch_size)]
    return torch.cat(out).numpy() if out else np.zeros((0, *model.x_shape), np.float32)


@torch.no_grad()
def posterior(model: VAE, x: torch.Tensor, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and standard deviations of q(z|x), each (N, D)."""
    model.eval()
    mus, sds = [], []
    for s in range(0, len(x), batch_size):
        q = model.encode(x[s : s + batch_size].to(_device(model)))
        mus.append(q.mean.cpu())
        sds.append(q.stddev.cpu())
    return torch.cat(mus).numpy(), torch.cat(sds).numpy()


PRIOR_GRID = 121  # points a side of the grid a 2-D prior's density is drawn on


@torch.no_grad()
def prior_density(model: VAE, means: np.ndarray, n: int = PRIOR_GRID) -> dict[str, np.ndarray]:
    """p(z) of a 2-D latent on an n x n grid over [-L, L]^2, L = max(3, 1.2 q99 |mean|) so that the posterior
    means ``means`` (N, 2) lie inside, the farthest 1 % aside: {"z1", "z2" (n,), "density" (n, n), rows along
    z2}."""
    lim = max(3.0, 1.2 * float(np.quantile(np.abs(means), 0.99))) if len(means) else 3.0
    side = torch.linspace(-lim, lim, n)
    z2, z1 = torch.meshgrid(side, side, indexing="ij")
    grid = torch.stack([z1, z2], -1).reshape(-1, 2).to(_device(model))
    density = model.prior.log_prob(grid).exp().reshape(n, n).cpu().numpy()
    return {"z1": side.numpy(), "z2": side.numpy(), "density": density}


@dataclass
class Reconstructions:
    index: np.ndarray  # (N,) example indices into the split
    original: np.ndarray  # (N, C, H, W)
    mean: np.ndarray  # decoded posterior mean
    sample: np.ndarray  # x ~ p(x|z), z ~ q(z|x)


@torch.no_grad()
def reconstructions(model: VAE, x: torch.Tensor, index, seed: int = 0) -> Reconstructions:
    idx = np.asarray(index, dtype=np.int64)
    xb = x[torch.as_tensor(idx)].to(_device(model))
    g = torch.Generator(device=_device(model))
    g.manual_seed(seed)
    model.eval()
    return Reconstructions(
        idx,
        xb.cpu().numpy(),
        model.reconstruct(xb).cpu().numpy(),
        model.reconstruct(xb, sample=True, generator=g).cpu().numpy(),
    )


@torch.no_grad()
def prior_samples(model: VAE, n: int, temperature: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n draws z ~ p(z) (its spread scaled by ``temperature``: N(0, temperature^2 I) for the standard
    prior) and their mean images: (z, images)."""
    g = torch.Generator(device=_device(model))
    g.manual_seed(seed)
    with torch.no_grad():
        z = model.prior.sample(n, g, temperature, _device(model))
    return z.cpu().numpy(), decode(model, z)


@dataclass
class Samples:
    z: np.ndarray  # (N, D) the latents drawn
    images: np.ndarray  # (N, C, H, W) draws x ~ p(x|z)
    frames: list[np.ndarray]  # the autoregressive fill-in, the images after each finished row; else [images]
    source: str  # "prior" or "posterior of example I"


def _codes(model: VAE, n: int, seed: int, temperature: float, x_example, posterior_name: str):
    """(z (n, D), the generator to go on drawing with, where z came from): z ~ p(z), or z ~ q(z|x) for one
    example ``x_example`` (its batch of one); the number of samples and the temperature checked."""
    if n < 1:
        raise ConfigError(N_("the number of samples must be at least 1, got {n}"), n=n)
    if temperature < 0:
        raise ConfigError(N_("the temperature must be 0 or more, got {temperature:g}"), temperature=temperature)
    dev = _device(model)
    model.eval()
    g = torch.Generator(device=dev)
    g.manual_seed(seed)
    if x_example is None:
        return model.prior.sample(n, g, 1.0, dev), g, "prior"
    eps = torch.randn((n, model.latent_dim), generator=g, device=dev)
    return model.encode(x_example.to(dev)[:1]).transform(eps)[0], g, posterior_name


@torch.no_grad()
def sample_images(
    model: VAE,
    n: int,
    seed: int = 0,
    temperature: float = 1.0,
    x_example: torch.Tensor | None = None,
    example: int | None = None,
    record_rows: bool = False,
    on_row=None,
    should_stop=None,
) -> Samples:
    """n draws x ~ p(x|z) with z ~ p(z), or z ~ q(z|x) for one example ``x_example`` (1, C, H, W).

    ``temperature`` scales the likelihood's randomness (0: its mode); an autoregressive
    decoder draws pixel by pixel, calling ``on_row(r, x)`` after each row, and with
    ``record_rows`` keeps every row's state for an animation of the fill-in.
    """
    z, g, source = _codes(model, n, seed, temperature, x_example, f"posterior of example {example}")
    frames: list[np.ndarray] = []

    def row_done(r, x):
        if record_rows:
            frames.append(x.cpu().numpy().copy())
        if on_row is not None:
            on_row(r, x)

    progress = dict(on_row=row_done, should_stop=should_stop) if model.autoregressive else {}
    images = model.sample_x(z, g, temperature, **progress).cpu().numpy()
    return Samples(z.cpu().numpy(), images, frames if frames else [images], source)


@torch.no_grad()
def sample_sequences(
    model: VAE,
    n: int,
    seed: int = 0,
    temperature: float = 1.0,
    top_k: int = 0,
    x_example: torch.Tensor | None = None,
) -> tuple[np.ndarray, str]:
    """n token sequences x ~ p(x|z), batched, with z ~ p(z) or z ~ q(z|x) for one example (1, L): their ids
    (n, L) (``model.modality.show`` spells them) and where z came from. ``temperature`` divides the logits
    (0: the most likely token at each step); ``top_k`` keeps the k most likely tokens at each step (0: all)."""
    z, g, source = _codes(model, n, seed, temperature, x_example, "posterior of the example")
    return model.sample_x(z, g, temperature, top_k).cpu().numpy(), source


@torch.no_grad()
def seed_grid(model: VAE, n_z: int = 4, n_seeds: int = 6, seed: int = 0, on_row=None) -> tuple[np.ndarray, np.ndarray]:
    """Rows: different z ~ p(z); columns: independent draws x ~ p(x|z) for the same z.

    Returns (z, images (n_z, n_seeds, C, H, W)).

    It shows whether the decoder uses z: when it does, a row's images look alike and
    rows differ; when z is ignored (an autoregressive decoder after collapse), the rows
    look alike and the columns differ. A decoder that is not autoregressive draws every
    pixel on its own given z, so its draws differ only by independent pixel noise (a grid of
    Bernoulli speckle): it is shown as its mean E[x|z], the same for every seed of a row,
    which is all that z decides.
    """
    dev = _device(model)
    model.eval()
    g = torch.Generator(device=dev)
    g.manual_seed(seed)
    z = torch.randn((n_z, model.latent_dim), generator=g, device=dev)
    zz = z.repeat_interleave(n_seeds, 0)
    if not model.autoregressive:
        with torch.no_grad():
            x = model.decode_mean(zz).cpu().numpy()
        return z.cpu().numpy(), x.reshape(n_z, n_seeds, *x.shape[1:])
    progress = dict(on_row=on_row) if on_row is not None else {}
    x = model.sample_x(zz, g, **progress).cpu().numpy()
    return z.cpu().numpy(), x.reshape(n_z, n_seeds, *x.shape[1:])


def seed_grid_spread(images: np.ndarray) -> tuple[float, float]:
    """How much a grid of pictures (rows: z, columns: seeds; (n_z, n_seeds, ...)) varies with the seed and
    with z, on one scale (the square roots of a one-way ANOVA's two mean squares, averaged over pixels):

        within  = sqrt(mean over rows of Var_seeds(x))                    (ddof 1)
        between = sqrt(n_seeds x Var_rows(mean over seeds of x))           (ddof 1)

    A row's average of n_seeds draws varies by sigma / sqrt(n_seeds) when z changes nothing, so the factor
    n_seeds makes the two equal on average for a decoder that ignores z; one that uses z gives between >
    within (for a decoder drawn as its mean, within is 0). The grid's pixels as drawn, nothing else."""
    a = np.asarray(images, np.float64)
    n_z, n_seeds = a.shape[:2]
    within = np.sqrt(a.var(1, ddof=1).mean(0)).mean() if n_seeds > 1 else 0.0
    between = np.sqrt(n_seeds * a.mean(1).var(0, ddof=1)).mean() if n_z > 1 else 0.0
    return float(within), float(between)


@torch.no_grad()
def draw_noise(model: VAE, x: torch.Tensor, draws: int = 8, seed: int = 0) -> dict[str, float]:
    """What p(x|z) adds to its mean, on series x (N, C, L): at z = E[q(z|x)], ``draws`` draws x_s ~ p(x|z) and the
    residuals r = x_s - m, m the decoder's mean (a flow decoder's stand-in, f(mu(z))):

        sd    = sqrt(mean r^2)                                             the noise's size
        lag1  = sum_t r_t r_t+1 / sum_t r_t^2   (over draws, examples, channels)  its correlation a step apart

    lag1 is about 0 for a Gaussian per step (independent noise); a flow decoder's draws can move neighbouring
    steps together. Values in [0, 1] as drawn (the draws held to the data's range)."""
    model.eval()
    g = torch.Generator(device=_device(model)).manual_seed(seed)
    z = model.encode(x.to(_device(model))).mean.repeat_interleave(draws, 0)
    r = (model.sample_x(z, g) - model.decode_mean(z)).double()
    return {"sd": float(r.pow(2).mean().sqrt()), "lag1": float((r[..., 1:] * r[..., :-1]).sum() / r.pow(2).sum())}


def first_letter_agreement(grid: list[list[str]]) -> tuple[float, float]:
    """How alike the sequences drawn for one z are, for a grid of sequences (rows: z, columns: seeds).

    Within: for each row, the share of its sequences that start with the row's most common first
    character, averaged over the rows. Between: the same for the columns, whose sequences come from
    different z. A decoder that uses z gives within > between; one that ignores z gives them alike.
    """

    def agreement(groups: list[list[str]]) -> float:
        shares = []
        for g in groups:
            firsts = [s[:1] for s in g]
            shares.append(max(firsts.count(f) for f in firsts) / len(firsts))
        return float(np.mean(shares))

    return agreement(grid), agreement([list(col) for col in zip(*grid)])


def nearest_training_examples(
    images: np.ndarray, x_train: torch.Tensor, modality: Modality, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """For each example, the index of and the modality's distance to the closest training example
    (for images, the Euclidean distance over pixels).

    A sample that is a near copy of a training example suggests memorisation.
    """
    q = torch.as_tensor(images).float()
    best_d = torch.full((len(q),), float("inf"))
    best_i = torch.zeros(len(q), dtype=torch.long)
    for s in range(0, len(x_train), chunk):
        d = modality.distance(q, x_train[s : s + chunk].cpu())
        m, i = d.min(1)
        better = m < best_d
        best_d[better], best_i[better] = m[better], i[better] + s
    return best_i.numpy(), best_d.numpy()


@dataclass
class Traversal:
    dims: list[int]  # latent dimensions, in display order
    values: np.ndarray  # (steps,) offsets in prior standard deviations
    z: np.ndarray  # (len(dims), steps, D)
    images: np.ndarray  # (len(dims), steps, C, H, W)
    kl: list[float]  # KL of each shown dimension, when known


def traversal(
    model: VAE,
    dims: list[int] | None = None,
    kl_per_dim=None,
    span: float = 3.0,
    steps: int = 11,
    z0: np.ndarray | None = None,
    max_dims: int | None = None,
) -> Traversal:
    """Decode z0 + t sd_j e_j for t in linspace(-span, span, steps) and each dimension j.

    Dimensions default to all, ordered by ``kl_per_dim`` (most informative first) when
    given; ``z0`` defaults to the prior's mean (or pass an example's posterior mean); sd_j
    is the prior's sd along j (1 for N(0, I)).
    """
    d = model.latent_dim
    if dims is None:
        dims = list(range(d)) if kl_per_dim is None else np.argsort(-np.asarray(kl_per_dim), kind="stable").tolist()
    if max_dims is not None:
        dims = dims[:max_dims]
    with torch.no_grad():
        mean, sd = (m.cpu().numpy().astype(np.float32) for m in model.prior.moments())
    base = mean if z0 is None else np.asarray(z0, np.float32).reshape(d)
    values = np.linspace(-span, span, steps).astype(np.float32)
    z = np.repeat(base[None, None], len(dims), 0).repeat(steps, 1)  # (dims, steps, D)
    for row, j in enumerate(dims):
        z[row, :, j] = base[j] + values * sd[j]
    imgs = decode(model, z.reshape(-1, d)).reshape(len(dims), steps, *model.x_shape)
    kl = [float(kl_per_dim[j]) for j in dims] if kl_per_dim is not None else []
    return Traversal(list(dims), values, z, imgs, kl)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation between vectors a and b at fractions t: (len(t), D)."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-8 or nb < 1e-8:
        return np.outer(1 - t, a) + np.outer(t, b)
    cos = np.clip(np.dot(a / na, b / nb), -1.0, 1.0)
    w = np.arccos(cos)
    if w < 1e-6:
        return np.outer(1 - t, a) + np.outer(t, b)
    return (np.sin((1 - t) * w)[:, None] * a + np.sin(t * w)[:, None] * b) / np.sin(w)


INTERPOLATION_PATHS = {  # the path between two codes, and its name on the pages
    "linear": N_("straight line"),
    "slerp": N_("great circle (slerp)"),
}


@dataclass
class Interpolation:
    t: np.ndarray  # (steps,)
    z: np.ndarray  # (steps, D)
    images: np.ndarray  # (steps, C, H, W)
    method: str  # a key of INTERPOLATION_PATHS

    @property
    def path(self) -> str:
        """The path's name, to be translated: "straight line"."""
        return INTERPOLATION_PATHS[self.method]


def interpolation(
    model: VAE, z_a: np.ndarray, z_b: np.ndarray, steps: int = 11, method: str = "linear"
) -> Interpolation:
    t = np.linspace(0, 1, steps).astype(np.float32)
    if method == "linear":
        z = np.outer(1 - t, z_a) + np.outer(t, z_b)
    elif method == "slerp":
        z = slerp(np.asarray(z_a, np.float64), np.asarray(z_b, np.float64), t.astype(np.float64))
    else:
        raise ConfigError(N_("interpolation method must be linear or slerp, got {method!r}"), method=method)
    z = z.astype(np.float32)
    return Interpolation(t, z, decode(model, z), method)


def manifold(model: VAE, n: int = 15, eps: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """For a 2-D latent: z on an n x n grid of prior quantiles, and the decoded grid.

    Returns (grid values (n,), images (n, n, C, H, W)); row i has z_2 = grid[n-1-i]
    (top row = largest z_2) and column j has z_1 = grid[j].
    """
    from scipy.stats import norm

    if model.latent_dim != 2:
        raise ConfigError(
            N_("the manifold grid needs a 2-D latent; this model has {latent_dim}"), latent_dim=model.latent_dim
        )
    grid = norm.ppf(np.linspace(eps, 1 - eps, n)).astype(np.float32)
    z1, z2 = np.meshgrid(grid, grid[::-1])
    z = np.stack([z1.ravel(), z2.ravel()], 1)
    return grid, decode(model, z).reshape(n, n, *model.x_shape)


@torch.no_grad()
def encode_input(model: VAE, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One input of the model's shape (an image (C, H, W), a sequence (L,)): its posterior mean and sd (D,) and
    the decoded mean (the input's shape)."""
    model.eval()
    q = model.encode(model.modality.as_input(x).to(_device(model)))
    return q.mean[0].cpu().numpy(), q.stddev[0].cpu().numpy(), model.decode_mean(q.mean)[0].cpu().numpy()


@dataclass
class DecoderAttention:
    """Where a Transformer decoder looks while it scores one sequence x given z = E[z|x] (its teacher-forced
    pass): ``self_attention[b, t, s]`` is, in block b, step t's weight on what step s reads (``inputs[s]``, the
    token before position s; s <= t), ``cross_attention[b, t, m]`` its weight on memory vector m made from z.
    Rows sum to 1."""

    inputs: list[str]  # what step t reads: <end> (the start), then the characters
    outputs: list[str]  # what step t predicts: the characters, then <end>
    self_attention: np.ndarray  # (blocks, T, T), zero above the diagonal (causal)
    cross_attention: np.ndarray  # (blocks, T, MEMORY)


@torch.no_grad()
def decoder_attention(model: VAE, x: torch.Tensor) -> DecoderAttention:
    """The attention of a Transformer decoder for one token sequence x (L,), over its scored steps only
    (the characters and END; the padding after them is never read)."""
    if not hasattr(model.decoder, "attention"):
        raise ConfigError(
            N_("only a transformer decoder has attention to show; this one is {arch}"), arch=model.config.decoder.arch
        )
    from vae.data.modality import END, SPECIALS

    model.eval()
    xb = torch.as_tensor(x).long().reshape(1, -1).to(_device(model))
    z = model.encode(xb).mean
    weights = model.decoder.attention(z, xb)
    steps = int(model.modality.lengths(xb.cpu())[0])
    ids = xb[0, :steps].tolist()
    name = lambda t: SPECIALS[t] if t < len(SPECIALS) else model.modality.vocab[t]  # noqa: E731
    return DecoderAttention(
        [SPECIALS[END]] + [name(t) for t in ids[:-1]],
        [name(t) for t in ids],
        np.stack([w[0, :steps, :steps].cpu().numpy() for w, _ in weights]),
        np.stack([c[0, :steps].cpu().numpy() for _, c in weights]),
    )


Grid = tuple[int, int]  # an attention block's map, (rows, columns) of cells


@dataclass
class ImageAttention:
    """Where an image network's self-attention block looks (vae/models/attention.py) for one image x: for each
    network that has a block ("encoder": reading x; "decoder": drawing E[x|z] at z = E[q(z|x)]), its weights
    ``weights[network][head, n, m]``, cell n's weight on cell m of the ``grid`` (row-major), each row summing to
    1, and ``image[network]``, what that network's map lies over (x itself, the decoded mean)."""

    grid: dict[str, tuple[int, int]]
    weights: dict[str, np.ndarray]  # (heads, N, N)
    image: dict[str, np.ndarray]  # (C, H, W)


def _attention_weights(
    model: VAE, x: torch.Tensor
) -> tuple[dict[str, tuple[tuple[int, int], torch.Tensor]], torch.Tensor]:
    """Each attention block's grid and weights (B, heads, N, N) for images x (B, C, H, W) (the decoder's at
    z = E[q(z|x)]), and the decoded means."""
    from vae.models.attention import attention_block

    blocks = {w: attention_block(getattr(model, w)) for w in ("encoder", "decoder")}
    blocks = {w: b for w, b in blocks.items() if b is not None}
    if not blocks:
        raise ConfigError(N_("this model's networks have no attention block; train one with --attention 4"))
    model.eval()
    inputs: dict[str, torch.Tensor] = {}
    hooks = [b.register_forward_hook(lambda m, a, _o, w=w: inputs.setdefault(w, a[0])) for w, b in blocks.items()]
    try:
        mean = model.decode_mean(model.encode(x.to(_device(model))).mean)
    finally:
        for h in hooks:
            h.remove()
    return {w: (b.grid, b.weights(inputs[w])) for w, b in blocks.items()}, mean


@torch.no_grad()
def image_attention(model: VAE, x: torch.Tensor) -> ImageAttention:
    """The attention of each of the model's self-attention blocks for one image x (C, H, W)."""
    xb = torch.as_tensor(x, dtype=torch.float32)[None]
    blocks, mean = _attention_weights(model, xb)
    shown = {"encoder": xb[0], "decoder": mean[0]}
    return ImageAttention(
        {w: grid for w, (grid, _) in blocks.items()},
        {w: a[0].cpu().double().numpy() for w, (_, a) in blocks.items()},
        {w: shown[w].cpu().numpy() for w in blocks},
    )


def query_cell(grid: tuple[int, int], image_side: tuple[int, int], pixel: tuple[int, int]) -> int:
    """The row-major index of the cell of ``grid`` (gh, gw) that covers ``pixel`` (row, column) of an image of
    ``image_side`` (H, W) pixels."""
    (gh, gw), (h, w) = grid, image_side
    r, c = min(gh - 1, max(0, int(pixel[0] * gh // h))), min(gw - 1, max(0, int(pixel[1] * gw // w)))
    return r * gw + c


def cell_weights(weights: np.ndarray, cell: int, head: int | None = None) -> np.ndarray:
    """Row ``cell`` of a block's weights (heads, N, N): one head's, or their mean (head None); it sums to 1."""
    rows = weights[:, cell, :]
    return rows.mean(0) if head is None else rows[head]


def beyond_neighbours(grid: tuple[int, int]) -> np.ndarray:
    """(N, N) for the N cells of ``grid`` (row-major): whether cell m lies outside cell n's 3 x 3 neighbourhood,
    max(|r_m - r_n|, |c_m - c_n|) > 1."""
    gh, gw = grid
    rows, cols = np.divmod(np.arange(gh * gw), gw)
    return np.maximum(np.abs(rows[:, None] - rows[None]), np.abs(cols[:, None] - cols[None])) > 1


def weight_beyond_neighbours(row: np.ndarray, grid: tuple[int, int], cell: int) -> float:
    """The share of one cell's attention ``row`` (N,) on cells outside its 3 x 3 neighbourhood on ``grid``:

        sum_m A[n, m] [max(|r_m - r_n|, |c_m - c_n|) > 1]

    what a 3 x 3 convolution at that grid could not read (a uniform row over a 7 x 7 grid gives 40/49 at the
    centre)."""
    return float(row[beyond_neighbours(grid)[cell]].sum())


@torch.no_grad()
def attention_reach(model: VAE, x: torch.Tensor) -> dict[str, dict[str, float]]:
    """How far and how narrowly each attention block looks, over the images x (N, C, H, W) and every cell n:

        beyond   mean_n :func:`weight_beyond_neighbours` of the heads' mean row    where a 3 x 3 conv cannot read
        cells    mean_{n, head} exp(-sum_m A[n, m] log A[n, m])                    cells a head looks at

    ``cells`` is the perplexity of a head's row: all ``of`` cells for uniform weights, 1 for one cell. A block
    whose heads look at few cells far away learned where to look; uniform heads only average the map."""
    out = {}
    for w, (grid, att) in _attention_weights(model, x)[0].items():
        a = att.double().cpu()
        entropy = -(a * a.clamp_min(1e-300).log()).sum(-1)
        out[w] = {
            "beyond": float((a.mean(1) * torch.as_tensor(beyond_neighbours(grid))).sum(-1).mean()),
            "cells": float(entropy.exp().mean()),
            "of": grid[0] * grid[1],
        }
    return out


def uniform_beyond(grid: tuple[int, int]) -> float:
    """:func:`weight_beyond_neighbours` of uniform weights, averaged over the cells of ``grid`` (0.85 at 7 x 7)."""
    return float(beyond_neighbours(grid).mean())
