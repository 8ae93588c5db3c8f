"""A configurable 2D/3D U-Net (Ronneberger et al., MICCAI 2015; 3D: Cicek et al., MICCAI 2016).

Defaults follow SynthSeg's network (Billot et al., Medical Image Analysis 2023): 5 levels,
24 base features doubled at each level, two 3x3(x3) convolutions per level.  Input
``float32 (B, in_channels, *spatial)``, output logits ``float32 (B, out_channels, *spatial)``;
each spatial size must be divisible by ``2 ** (levels - 1)`` (:meth:`UNet.divisor`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

NORMS = ("instance", "batch", "group", "none")
ACTIVATIONS = ("elu", "relu", "leaky_relu", "gelu")


def _norm(kind: str, dims: int, channels: int) -> nn.Module:
    if kind == "instance":
        return (nn.InstanceNorm2d if dims == 2 else nn.InstanceNorm3d)(channels, affine=True)
    if kind == "batch":
        return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d)(channels)
    if kind == "group":
        return nn.GroupNorm(min(8, channels), channels)
    return nn.Identity()


def _act(kind: str) -> nn.Module:
    return {"elu": nn.ELU, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU}[kind]()


class _Block(nn.Sequential):
    """``convs`` x (conv 3, norm, activation)."""

    def __init__(self, dims: int, c_in: int, c_out: int, *, norm: str, act: str, convs: int) -> None:
        conv = nn.Conv2d if dims == 2 else nn.Conv3d
        layers: list[nn.Module] = []
        for i in range(convs):
            layers += [conv(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=norm == "none"),
                       _norm(norm, dims, c_out), _act(act)]
        super().__init__(*layers)


class UNet(nn.Module):
    """U-Net with ``levels`` resolution levels and ``features * multiplier**k`` channels at
    level ``k`` (max-pool down, transposed-conv up, skip concatenation)."""

    def __init__(
        self,
        *,
        dims: int = 3,
        in_channels: int = 1,
        out_channels: int = 4,
        levels: int = 5,
        features: int = 24,
        multiplier: int = 2,
        convs: int = 2,
        norm: str = "instance",
        activation: str = "elu",
    ) -> None:
        super().__init__()
        if dims not in (2, 3):
            raise ValueError(f"UNet: dims must be 2 or 3, got {dims}")
        if levels < 1:
            raise ValueError(f"UNet: levels must be >= 1, got {levels}")
        if norm not in NORMS:
            raise ValueError(f"UNet: unknown norm {norm!r}; valid: {', '.join(NORMS)}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"UNet: unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
        self.kwargs: dict[str, Any] = dict(
            dims=dims, in_channels=in_channels, out_channels=out_channels, levels=levels,
            features=features, multiplier=multiplier, convs=convs, norm=norm, activation=activation)
        self.dims = dims
        self.levels = levels
        ch = [features * multiplier**k for k in range(levels)]
        conv = nn.Conv2d if dims == 2 else nn.Conv3d
        up = nn.ConvTranspose2d if dims == 2 else nn.ConvTranspose3d
        self.pool = (nn.MaxPool2d if dims == 2 else nn.MaxPool3d)(2)
        self.down = nn.ModuleList(
            _Block(dims, in_channels if k == 0 else ch[k - 1], ch[k], norm=norm, act=activation, convs=convs)
            for k in range(levels))
        self.up = nn.ModuleList(up(ch[k + 1], ch[k], 2, stride=2) for k in range(levels - 1))
        self.dec = nn.ModuleList(
            _Block(dims, 2 * ch[k], ch[k], norm=norm, act=activation, convs=convs) for k in range(levels - 1))
        self.head = conv(ch[0], out_channels, 1)

    def divisor(self) -> int:
        """Each spatial size of the input must be a multiple of this."""
        return 2 ** (self.levels - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != self.dims + 2:
            raise ValueError(f"UNet({self.dims}D) expects (B, C, *spatial) with {self.dims} spatial "
                             f"dims, got shape {tuple(x.shape)}")
        bad = [s for s in x.shape[2:] if s % self.divisor()]
        if bad:
            raise ValueError(f"UNet: spatial sizes {tuple(x.shape[2:])} must be multiples of "
                             f"{self.divisor()} (2 ** (levels - 1)); pad the input")
        skips = []
        for k, block in enumerate(self.down):
            x = block(x if k == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for k in reversed(range(self.levels - 1)):
            x = self.dec[k](torch.cat([self.up[k](x), skips.pop()], 1))
        return self.head(x)
