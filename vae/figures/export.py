"""Traversals and interpolations as image files for slides: a PNG grid or an animated GIF.

Grids are torchvision's ``make_grid`` (2 px grey padding); a GIF shows one frame per
step, enlarged 3x with nearest-neighbour so small digits stay crisp.
"""

from __future__ import annotations

import io

import numpy as np

FORMATS = ("png", "gif")


def frames_to_bytes(frames: list[np.ndarray], fmt: str, nrow: int) -> bytes:
    """frames: list of (N, C, H, W) arrays in [0, 1].

    PNG: all frames stacked as rows of one grid; GIF: one grid per frame.
    """
    import torch
    from PIL import Image
    from torchvision.utils import make_grid

    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"format must be png or gif, got {fmt!r}")

    def picture(images: np.ndarray, scale: int) -> Image.Image:
        g = make_grid(torch.as_tensor(np.asarray(images, dtype=np.float32)), nrow=nrow, padding=2, pad_value=0.5)
        arr = g.clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()
        img = Image.fromarray(arr if arr.shape[2] == 3 else arr[..., 0])
        return img.resize((img.width * scale, img.height * scale), Image.NEAREST) if scale > 1 else img

    buf = io.BytesIO()
    if fmt == "gif":
        imgs = [picture(f, 3) for f in frames]
        imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], duration=120, loop=0)
    else:
        picture(np.concatenate(frames), 1).save(buf, format="PNG")
    return buf.getvalue()


def traversal_bytes(trav, fmt: str) -> bytes:
    """PNG: one row per dimension, one column per step. GIF: one frame per step, dimensions side by side."""
    dims, steps = trav.images.shape[:2]
    if fmt.lower().lstrip(".") == "gif":
        return frames_to_bytes([trav.images[:, s] for s in range(steps)], fmt, nrow=dims)
    return frames_to_bytes([trav.images[r] for r in range(dims)], fmt, nrow=steps)


def interpolation_bytes(interp, fmt: str) -> bytes:
    """PNG: one strip start..end. GIF: one frame per step."""
    steps = len(interp.t)
    if fmt.lower().lstrip(".") == "gif":
        return frames_to_bytes([interp.images[s : s + 1] for s in range(steps)], fmt, nrow=1)
    return frames_to_bytes([interp.images], fmt, nrow=steps)
