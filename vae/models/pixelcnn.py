"""An autoregressive decoder: PixelCNN conditioned on z (van den Oord et al. 2016; PixelVAE, Gulrajani et al. 2016).

The decoder factorises p(x|z) over pixels in raster order:

    log p(x|z) = sum_i log p(x_i | x_<i, z)

Each factor's parameters come from a stack of *masked* convolutions that only see the
pixels before i: the first layer's mask (type A) excludes the centre pixel, the later
ones (type B) include it, so output i depends on inputs j < i only. Training is exact
and parallel by teacher forcing (the true x goes in, all factors come out at once), so
the ELBO and the IWAE bound of a pixelcnn model are the same numbers as for any other
decoder. Sampling is sequential: pixel by pixel, one forward pass per pixel.

Conditioning on z: a bias per layer and channel, b_l(z) = V_l z, the same at every
pixel (the conditional PixelCNN of van den Oord et al. 2016). z can say "a seven,
slanted" to every pixel at once, but not "this pixel is on": what the decoder does
not get from z, it must model from the earlier pixels.

    h_0 = MaskedConv_A(x) + b_0(z)
    a_l = MaskedConv_B(act(h_{l-1})) + b_l(z)              l = 1 .. L-1
    h_l = h_{l-1} + Conv1x1(act(a_l))        or, gated:  Conv1x1(tanh(a_l') * sigmoid(a_l''))
    params = Conv1x1(act(h_{L-1}))

The first (type A) layer is wider than the rest, (k+4) x (k+4): 7 x 7 for a 3 x 3
stack, as in PixelCNN's input layer; it costs little, having few input channels.

The *receptive field* is the lever of Chen et al. (2017, Variational Lossy
Autoencoder): with L masked layers a pixel sees (k+4)//2 + (L-1)*(k//2) rows up. The wider it
is, the more of x the decoder can model from x alone, and the less it needs z: with a
field that spans the digit, a beta = 1 model lets q(z|x) collapse onto the prior.

Sampling crops: output pixel (r, c) depends on input rows r-R..r and columns c-R..c+R
only (R = the rows up above), so each step runs the network on that strip, not the whole image.

Colour: x_i is the pixel's (R, G, B), and the masks are spatial only, the same for every pair of channels, so
the channels of pixel i are independent given x_<i and z:

    p(x_i | x_<i, z) = prod_c p(x_{i,c} | x_<i, z)

a valid ordering over pixels that leaves the R -> G -> B dependence inside a pixel to z and the neighbours
(PixelCNN's channel masks would model it too). Sampling draws a pixel's three values at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from vae.config import NetworkConfig, check_causal_conv_settings
from vae.errors import ConfigError
from vae.i18n import N_
from vae.models.networks import DecoderNet, linear, make_activation

MEAN_SAMPLE_SEED = 0  # the random numbers of the "mean image"


class MaskedConv2d(nn.Conv2d):
    """A k x k convolution that sees only the rows above and, in its own row, the columns to the left.

    ``mask_type="A"`` also hides the centre pixel (the first layer: x_i must not see
    itself); ``"B"`` shows it (later layers: position i then holds features of x_<i).
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, mask_type: str):
        super().__init__(c_in, c_out, kernel, padding=kernel // 2)
        mask = torch.ones_like(self.weight)
        centre = kernel // 2
        mask[:, :, centre, centre + (mask_type == "B") :] = 0
        mask[:, :, centre + 1 :, :] = 0
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


def first_kernel(kernel: int) -> int:
    """The input layer's size, 4 wider than the others: 7 x 7 for a 3 x 3 stack (van den Oord et al. 2016)."""
    return kernel + 4


def reach(layers: int, kernel: int) -> int:
    """Rows up (and columns either side) that an output pixel can see."""
    return first_kernel(kernel) // 2 + (layers - 1) * (kernel // 2)


def receptive_field(layers: int, kernel: int) -> dict[str, int]:
    """What output pixel i sees: rows up, columns either side, and the count of pixels j < i.

    Counted exactly by back-propagating through all-ones masks (the PixelCNN's blind
    spot, up and to the right, is excluded), on an image large enough to hold it all.
    """
    r = reach(layers, kernel)
    side = 2 * r + 1
    x = torch.zeros(1, 1, side, side, requires_grad=True)
    h = x
    for i in range(layers):
        k = first_kernel(kernel) if i == 0 else kernel
        conv = MaskedConv2d(1, 1, k, "A" if i == 0 else "B")
        h = F.conv2d(h, conv.mask, padding=k // 2) + (h if i > 0 else 0)
    h[0, 0, r, r].backward()
    seen = int((x.grad != 0).sum())
    return {"rows_up": r, "cols_each_side": r, "pixels": seen}


class PixelCNNDecoder(DecoderNet):
    """(z, x) -> likelihood parameters (B, out_channels, H, W), exact by teacher forcing."""

    autoregressive = True
    pixel_by_pixel = True

    def __init__(self, cfg: NetworkConfig, latent_dim: int, x_shape: tuple[int, int, int], out_channels: int):
        super().__init__()
        check_causal_conv_settings(cfg)  # the image's channels: vae.data.modality.Image.check
        c, h, w = x_shape
        ch, k = cfg.hidden[0], cfg.kernel
        layers, self.gated = len(cfg.hidden), cfg.gated
        self.x_shape = (c, h, w)
        self.reach = reach(layers, k)
        self.inp = MaskedConv2d(c, ch, first_kernel(k), "A")
        width = 2 * ch if cfg.gated else ch
        self.widths = [ch] + [width] * (layers - 1)
        self.cond = linear(latent_dim, sum(self.widths))  # b_l(z) for every layer, in one matrix
        self.convs = nn.ModuleList(MaskedConv2d(ch, width, k, "B") for _ in range(layers - 1))
        self.outs = nn.ModuleList(nn.Conv2d(ch, ch, 1) for _ in range(layers - 1))
        self.act = make_activation(cfg.activation)
        self.drop = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.head = nn.Conv2d(ch, out_channels, 1)
        self.output_numel = out_channels * h * w
        self.work_numel = 3 * width * h * w  # a few feature maps alive at once in a forward pass

    def condition(self, z: torch.Tensor) -> list[torch.Tensor]:
        """The biases b_l(z) of every layer, each (B, width, 1, 1): the same at every pixel."""
        return [b[:, :, None, None] for b in self.cond(z).split(self.widths, dim=1)]

    def net(self, x: torch.Tensor, conds: list[torch.Tensor]) -> torch.Tensor:
        """The masked stack on x (B, C, h, w) (the whole image, or a crop of it) given the biases b_l(z)."""
        return residual_stack(self, self.inp(x) + conds[0], conds[1:])

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ConfigError(
                N_("an autoregressive decoder needs x to score (teacher forcing); to draw images, sample")
            )
        return self.net(x, self.condition(z))

    @torch.no_grad()
    def sample(
        self,
        z: torch.Tensor,
        likelihood,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        top_k: int = 0,
        on_row: Callable[[int, torch.Tensor], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> torch.Tensor:
        """Draw x ~ p(x|z) pixel by pixel in raster order, batched over z; (B, C, H, W).

        ``on_row(r, x)`` is called after each finished row (for progress and the fill-in
        animation); ``should_stop()`` ends early, leaving the rest of the image at 0.
        ``top_k`` is for tokens: each pixel draws from all its values.
        """
        with one_thread():
            return self._sample(z, likelihood, generator, temperature, on_row, should_stop)

    @torch.no_grad()
    def mean(self, z: torch.Tensor, likelihood) -> torch.Tensor:
        """No closed-form mean: a sample drawn with the fixed seed MEAN_SAMPLE_SEED, so that it is a function of
        z alone (the frames of a traversal share their random numbers and change only with z)."""
        g = torch.Generator(device=z.device)
        g.manual_seed(MEAN_SAMPLE_SEED)
        return self.sample(z, likelihood, g)

    def _sample(self, z, likelihood, generator, temperature, on_row, should_stop) -> torch.Tensor:
        c, h, w = self.x_shape
        conds = self.condition(z)
        x = torch.zeros((len(z), c, h, w), device=z.device, dtype=z.dtype)
        R = self.reach
        for r in range(h):
            r0 = max(0, r - R)
            for col in range(w):
                c0, c1 = max(0, col - R), min(w, col + R + 1)
                params = self.net(x[:, :, r0 : r + 1, c0:c1], conds)
                p = params[:, :, r - r0 : r - r0 + 1, col - c0 : col - c0 + 1]
                x[:, :, r : r + 1, col : col + 1] = likelihood.sample(p, generator, temperature)
            if on_row is not None:
                on_row(r, x)
            if should_stop is not None and should_stop():
                break
        return x


def residual_stack(dec, h: torch.Tensor, conds: list[torch.Tensor]) -> torch.Tensor:
    """The residual layers of an autoregressive convolution stack (this PixelCNN, and WaveNet in
    vae/models/wavenet.py), from the input layer's h to the parameters:

        a_l = conv_l(act(h_{l-1})) + b_l(z);  h_l = h_{l-1} + Conv1x1(act(a_l)) or Conv1x1(tanh(a') * sigmoid(a''))

    ``dec`` holds ``convs``, ``outs``, ``act``, ``drop``, ``gated`` and the ``head``."""
    for conv, cond, out in zip(dec.convs, conds, dec.outs):
        a = conv(dec.act(h)) + cond
        if dec.gated:
            f, g = a.chunk(2, dim=1)
            a = torch.tanh(f) * torch.sigmoid(g)
        else:
            a = dec.act(a)
        h = h + out(dec.drop(a))
    return dec.head(dec.act(h))


@contextlib.contextmanager
def one_thread():
    """Run the many tiny steps of sampling on one CPU thread, then restore the setting.

    Each step is a few small convolutions: a second thread saves little when the
    machine is idle (0.85 s vs 1.0 s for 16 digits) and costs a lot when another
    process keeps the cores busy (4.7 s vs 1.5 s, a training beside it).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
