"""An autoregressive decoder of real-valued series: WaveNet conditioned on z (van den Oord et al. 2016).

The series counterpart of the pixelcnn decoder (vae/models/pixelcnn.py). p(x|z) factorises over the
steps in time order,

    log p(x|z) = sum_t log p(x_t | x_<t, z),

each factor a Gaussian (the series likelihood) whose parameters come from a stack of *causal*,
*dilated* 1-D convolutions that see the steps before t only. The input is shifted one step right
(x_<t at position t), so that a causal convolution there never sees x_t itself; each later layer
doubles its dilation, so the receptive field grows exponentially with depth:

    h_0 = CausalConv_k(shift(x)) + b_0(z)
    a_l = CausalConv_k,dilation 2^l(act(h_{l-1})) + b_l(z)                 l = 1 .. L-1
    h_l = h_{l-1} + Conv1x1(act(a_l))     or, gated:  Conv1x1(tanh(a_l') * sigmoid(a_l''))
    params = Conv1x1(act(h_{L-1}))

with b_l(z) = V_l z a bias per layer and channel, the same at every step (the global
conditioning of WaveNet). Training is exact and parallel by teacher forcing; sampling runs the
stack once per step on the last ``reach`` steps.

The *receptive field* is the lever, as for pixelcnn: step t sees the ``1 + (k-1) (2^L - 1)`` steps
before it (L layers of kernel k; the dilations cycle after 2^9). With a field that spans a wave's
period, the decoder predicts the next step from the last ones and needs little from z; with a
short one it must read the wave's shape, frequency and phase from z.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from vae.config import NetworkConfig
from vae.errors import ConfigError
from vae.i18n import N_
from vae.models.networks import DecoderNet, linear, make_activation
from vae.models.pixelcnn import MEAN_SAMPLE_SEED, one_thread, residual_stack

DILATION_CYCLE = 10  # dilations 1, 2, ..., 512, then 1 again (WaveNet's stacks of ten)


def dilation(layer: int) -> int:
    return 2 ** (layer % DILATION_CYCLE)


def receptive_field(layers: int, kernel: int) -> int:
    """How many steps before t the output at t sees."""
    return (kernel - 1) * sum(dilation(i) for i in range(layers)) + 1


class CausalConv1d(nn.Conv1d):
    """A 1-D convolution whose output at t sees inputs t - (k-1) d .. t only (padded on the left)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, dilation: int = 1):
        super().__init__(c_in, c_out, kernel, dilation=dilation)
        self.left = (kernel - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, (self.left, 0)))


def shift(x: torch.Tensor) -> torch.Tensor:
    """x_<t at position t: the series one step later, a zero first."""
    return F.pad(x, (1, 0))[..., :-1]


class WaveNetDecoder(DecoderNet):
    """(z, x) -> likelihood parameters (B, out_channels, L), exact by teacher forcing."""

    autoregressive = True
    pixel_by_pixel = True  # a network pass per step to draw one

    def __init__(self, cfg: NetworkConfig, latent_dim: int, x_shape: tuple[int, int], out_channels: int):
        super().__init__()
        c, length = x_shape
        ch, k = cfg.hidden[0], cfg.kernel
        layers, self.gated = len(cfg.hidden), cfg.gated
        self.x_shape = (c, length)
        self.reach = receptive_field(layers, k)
        self.inp = CausalConv1d(c, ch, k)
        width = 2 * ch if cfg.gated else ch
        self.widths = [ch] + [width] * (layers - 1)
        self.cond = linear(latent_dim, sum(self.widths))  # b_l(z) for every layer, in one matrix
        self.convs = nn.ModuleList(CausalConv1d(ch, width, k, dilation(i)) for i in range(1, layers))
        self.outs = nn.ModuleList(nn.Conv1d(ch, ch, 1) for _ in range(layers - 1))
        self.act = make_activation(cfg.activation)
        self.drop = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.head = nn.Conv1d(ch, out_channels, 1)
        self.output_numel = out_channels * length
        self.work_numel = 3 * width * length

    def condition(self, z: torch.Tensor) -> list[torch.Tensor]:
        """The biases b_l(z) of every layer, each (B, width, 1): the same at every step."""
        return [b[:, :, None] for b in self.cond(z).split(self.widths, dim=1)]

    def net(self, x: torch.Tensor, conds: list[torch.Tensor]) -> torch.Tensor:
        """The causal stack on x (B, C, l) (the whole series or its last steps) given the biases b_l(z)."""
        return residual_stack(self, self.inp(shift(x)) + conds[0], conds[1:])

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ConfigError(N_("an autoregressive decoder needs x to score (teacher forcing); to draw, sample"))
        return self.net(x, self.condition(z))

    @torch.no_grad()
    def sample(
        self,
        z: torch.Tensor,
        likelihood,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        top_k: int = 0,
        should_stop: Callable[[], bool] | None = None,
        **_progress,
    ) -> torch.Tensor:
        """Draw x ~ p(x|z) step by step, batched over z; (B, C, L). ``should_stop()`` ends early, leaving the rest
        at 0."""
        with one_thread():
            c, length = self.x_shape
            conds = self.condition(z)
            x = torch.zeros((len(z), c, length), device=z.device, dtype=z.dtype)
            for t in range(length):
                t0 = max(0, t - self.reach)
                params = self.net(x[:, :, t0 : t + 1], conds)
                x[:, :, t : t + 1] = likelihood.sample(params[:, :, -1:], generator, temperature)
                if should_stop is not None and should_stop():
                    break
            return x

    @torch.no_grad()
    def mean(self, z: torch.Tensor, likelihood) -> torch.Tensor:
        """No closed-form mean: a sample drawn with the fixed seed MEAN_SAMPLE_SEED, a function of z alone (as for
        pixelcnn: the frames of a traversal share their random numbers and change only with z)."""
        g = torch.Generator(device=z.device)
        g.manual_seed(MEAN_SAMPLE_SEED)
        return self.sample(z, likelihood, g)
