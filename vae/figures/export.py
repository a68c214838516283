"""Traversals and interpolations as image files for slides: a PNG grid or an animated GIF.

Grids are torchvision's ``make_grid`` (2 px grey padding); a GIF shows one frame per
step. Both are enlarged by a whole factor with nearest-neighbour (small digits stay crisp)
to at least EXPORT_MIN_WIDTH pixels: a slide shown on a projector. Given a translation
function ``tr``, a file carries a caption above the grid in the reader's language, drawn
here with a font that has CJK glyphs (Debian's fonts-noto-cjk, which the set-up installs).
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

import numpy as np

from vae.i18n import Translate

FORMATS = ("png", "gif")
EXPORT_MIN_WIDTH = 1000  # pixels: an exported picture fills a slide
EXPORT_MAX_SCALE = 16  # nearest-neighbour enlargement at most (a single 28-px digit: 448 px)

CAPTION_FONTS = (  # fonts with Chinese glyphs, the first found is used
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "SourceHanSansSC-Regular.otf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "msyh.ttc",
    "PingFang.ttc",
)
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
)


@functools.cache
def caption_font_path() -> Path | None:
    """The captions' font: ``$VAE_CAPTION_FONT``, else the first of CAPTION_FONTS under FONT_DIRS, else None
    (Pillow's own font then, which has no Chinese glyphs)."""
    if os.environ.get("VAE_CAPTION_FONT"):
        return Path(os.environ["VAE_CAPTION_FONT"])
    for name in CAPTION_FONTS:
        for d in FONT_DIRS:
            found = next(Path(d).expanduser().rglob(name), None) if Path(d).expanduser().is_dir() else None
            if found is not None:
                return found
    return None


def captioned(img, caption: str):
    """``img`` (a PIL image) under a white band holding ``caption``, wrapped to the image's width.

    Without a CJK font a caption beyond Latin-1 would be drawn as empty boxes: the image is then left
    without it (``make setup`` says to install fonts-noto-cjk).
    """
    from PIL import Image, ImageDraw, ImageFont

    size = max(12, min(40, img.width // 30))
    path = caption_font_path()
    if path is None and not caption.isascii():
        return img
    # Noto's collection holds JP, KR, SC, TC, HK in that order: index 2 draws the simplified Chinese glyph forms
    index = 2 if path is not None and path.name.startswith("NotoSansCJK") and path.suffix == ".ttc" else 0
    font = ImageFont.truetype(str(path), size, index=index) if path else ImageFont.load_default(size)
    lines, line = [], ""
    for ch in caption:  # wrap by width, character by character (Chinese has no spaces to break at)
        if line and font.getlength(line + ch) > img.width - 8:
            cut = line.rfind(" ")
            lines.append(line[:cut] if cut > 0 and not ch.isspace() else line)
            line = (line[cut + 1 :] if cut > 0 and not ch.isspace() else "") + ch.lstrip()
        else:
            line += ch
    lines.append(line)
    step = int(size * 1.4)
    band = step * len(lines) + 8
    white = 255 if img.mode == "L" else (255, 255, 255)
    out = Image.new(img.mode, (img.width, img.height + band), white)
    out.paste(img, (0, band))
    draw = ImageDraw.Draw(out)
    for i, text in enumerate(lines):
        draw.text((4, 4 + i * step), text, fill=0 if img.mode == "L" else (0, 0, 0), font=font)
    return out


def frames_to_bytes(
    frames: list[np.ndarray],
    fmt: str,
    nrow: int,
    caption: str | None = None,
    frame_captions: list[str] | None = None,
) -> bytes:
    """frames: list of (N, C, H, W) arrays in [0, 1] (or series (N, C, L), drawn as curves).

    PNG: all frames stacked as rows of one grid; GIF: one grid per frame. ``caption`` goes above the grid
    (and above every GIF frame, followed by that frame's ``frame_captions`` entry).
    """
    import torch
    from PIL import Image
    from torchvision.utils import make_grid

    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"format must be png or gif, got {fmt!r}")

    def picture(images: np.ndarray) -> Image.Image:
        if np.ndim(images) == 3:  # series (N, C, L): drawn as curves
            from vae.figures.curves import curve_pictures

            images = curve_pictures(images)
        g = make_grid(torch.as_tensor(np.asarray(images, dtype=np.float32)), nrow=nrow, padding=2, pad_value=0.5)
        arr = g.clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()
        img = Image.fromarray(arr if arr.shape[2] == 3 else arr[..., 0])
        scale = min(EXPORT_MAX_SCALE, -(-EXPORT_MIN_WIDTH // img.width))
        return img.resize((img.width * scale, img.height * scale), Image.NEAREST) if scale > 1 else img

    buf = io.BytesIO()
    if fmt == "gif":
        imgs = [picture(f) for f in frames]
        if caption is not None or frame_captions is not None:
            imgs = [
                captioned(img, " · ".join(t for t in (caption, frame_captions[i] if frame_captions else None) if t))
                for i, img in enumerate(imgs)
            ]
        imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], duration=120, loop=0)
    else:
        img = picture(np.concatenate(frames))
        if caption is not None:
            img = captioned(img, caption)
        img.save(buf, format="PNG")
    return buf.getvalue()


def traversal_bytes(trav, fmt: str, tr: Translate | None = None) -> bytes:
    """PNG: one row per dimension, one column per step. GIF: one frame per step, dimensions side by side.
    With ``tr``: captioned in its language (which dimensions, the offsets; on a GIF, each frame's offset)."""
    dims, steps = trav.images.shape[:2]
    caption = frame_captions = None
    if tr is not None:
        caption = tr("Latent traversal of {dims}: offsets {lo:+.1f} to {hi:+.1f} prior sd").format(
            dims=", ".join(f"z{j}" for j in trav.dims), lo=float(trav.values[0]), hi=float(trav.values[-1])
        )
        frame_captions = [tr("offset {v:+.2f}").format(v=float(v)) for v in trav.values]
    if fmt.lower().lstrip(".") == "gif":
        return frames_to_bytes([trav.images[:, s] for s in range(steps)], fmt, dims, caption, frame_captions)
    return frames_to_bytes([trav.images[r] for r in range(dims)], fmt, nrow=steps, caption=caption)


def interpolation_bytes(interp, fmt: str, tr: Translate | None = None) -> bytes:
    """PNG: one strip start..end. GIF: one frame per step. With ``tr``: captioned in its language."""
    steps = len(interp.t)
    caption = (
        tr("interpolation between two posterior means along a {path}").format(path=tr(interp.path)) if tr else None
    )
    frame_captions = [f"t = {t:.2f}" for t in interp.t] if tr else None
    if fmt.lower().lstrip(".") == "gif":
        return frames_to_bytes([interp.images[s : s + 1] for s in range(steps)], fmt, 1, caption, frame_captions)
    return frames_to_bytes([interp.images], fmt, nrow=steps, caption=caption)
