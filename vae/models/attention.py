"""Self-attention over an image network's feature map: the chapter's attention "for high-resolution images".

A convolution mixes only neighbouring cells; a self-attention block (SAGAN, Zhang et al. 2019) lets every cell of
the coarsest feature map of a cnn or resnet network read every other, whatever the distance. At that grid, h
(B, C, H, W) is N = H W tokens of C values:

    a        = LayerNorm(h_n) + p_n                       p_n: a learned embedding of cell n's position
    q, k, v  = a W_q, a W_k, a W_v                        split into ``heads`` heads of d = C / heads values
    A        = softmax(q k^T / sqrt(d))                   (heads, N, N): row n is where cell n looks, summing to 1
    h'       = h + gamma (A v) W_o                        gamma starts at 0: the block starts as the identity

The encoder's block sits after its last stride-2 stage, the decoder's before its first up-sampling (7 x 7 cells
for 28 x 28 digits with two stages): attention over N cells costs N^2 weights per head, 2,401 at 7 x 7 and
256 times that over the 784 pixels, which is why it attends where the grid is small.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class SelfAttention2d(nn.Module):
    """h (B, C, H, W) -> h + gamma * attention(h), the module's docstring; ``weights(h)`` gives A."""

    def __init__(self, channels: int, heads: int, grid: tuple[int, int]):
        super().__init__()
        self.heads, self.grid = heads, grid
        self.norm = nn.LayerNorm(channels)
        self.position = nn.Parameter(torch.randn(grid[0] * grid[1], channels) * 0.02)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)
        self.gamma = nn.Parameter(torch.zeros(1))

    def _heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(A (B, heads, N, N), v (B, heads, N, d)) of h (B, C, H, W)."""
        b, c, _, _ = h.shape
        a = self.norm(h.flatten(2).transpose(1, 2)) + self.position  # (B, N, C)
        q, k, v = (t.view(b, -1, self.heads, c // self.heads).transpose(1, 2) for t in self.qkv(a).chunk(3, -1))
        return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), -1), v

    def weights(self, h: torch.Tensor) -> torch.Tensor:
        """A (B, heads, N, N) for the block's input h: row n, cell n's weights over the cells (row-major)."""
        return self._heads(h)[0]

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, c, hh, ww = h.shape
        att, v = self._heads(h)
        mixed = (att @ v).transpose(1, 2).reshape(b, hh * ww, c)
        return h + self.gamma * self.out(mixed).transpose(1, 2).reshape(b, c, hh, ww)


def attention_block(network: nn.Module) -> SelfAttention2d | None:
    """The self-attention block of an encoder or decoder network, None when it has none."""
    return next((m for m in network.modules() if isinstance(m, SelfAttention2d)), None)
