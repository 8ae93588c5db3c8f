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


@torch.no_grad()
def widen(model: UNet, features: int, *, noise: float = 0.0, generator: torch.Generator | None = None) -> UNet:
    """A wider copy of ``model`` that computes the same function (Net2WiderNet, Chen et al.,
    ICLR 2016): level ``k`` gets ``features * multiplier**k`` channels; channel ``j`` past the
    old width copies old channel ``j mod old width`` (its convolution and normalisation), and every
    layer reading copied channels splits their input weights among the copies.

    Copies of a channel receive equal gradients, so they would stay equal: ``noise`` (> 0) adds
    Gaussian noise of that size, relative to each weight tensor's standard deviation, to the
    split input weights of the new copies, which breaks the symmetry at a small change of the
    output.  Needs a norm that is per channel (instance, batch or none: group norm mixes the
    channels of a group)."""
    kw = dict(model.kwargs)
    old = kw["features"]
    if features < old:
        raise ValueError(f"widen: features {features} is narrower than the model's {old}")
    if kw["norm"] == "group":
        raise ValueError("widen: group norm mixes channels; widening would change the function")
    m, levels = kw["multiplier"], kw["levels"]
    new = UNet(**{**kw, "features": features})
    maps = [torch.arange(features * m**k) % (old * m**k) for k in range(levels)]
    counts = [torch.bincount(g, minlength=old * m**k).float() for k, g in enumerate(maps)]

    def split(g: torch.Tensor, n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Input index map and weight scale of a layer reading channels mapped by ``g``."""
        return g, 1.0 / n[g]

    def copy_block(src: _Block, dst: _Block, g_in: torch.Tensor, s_in: torch.Tensor, g_out: torch.Tensor) -> None:
        convs = [m_ for m_ in src if isinstance(m_, (nn.Conv2d, nn.Conv3d))]
        dconvs = [m_ for m_ in dst if isinstance(m_, (nn.Conv2d, nn.Conv3d))]
        norms = [m_ for m_ in src if not isinstance(m_, (nn.Conv2d, nn.Conv3d)) and list(m_.parameters())]
        dnorms = [m_ for m_ in dst if not isinstance(m_, (nn.Conv2d, nn.Conv3d)) and list(m_.parameters())]
        gi, si = g_in, s_in
        for i, (c, d) in enumerate(zip(convs, dconvs)):
            w = c.weight[g_out][:, gi] * si.view(1, -1, *([1] * (c.weight.dim() - 2)))
            d.weight.copy_(_jitter(w, gi, noise, generator))
            if c.bias is not None:
                d.bias.copy_(c.bias[g_out])
            if i < len(norms):
                for p_src, p_dst in zip(norms[i].parameters(), dnorms[i].parameters()):
                    p_dst.copy_(p_src[g_out])
                for name, b in norms[i].named_buffers():
                    if b.dim() == 1:
                        getattr(dnorms[i], name).copy_(b[g_out])
            gi, si = g_out, 1.0 / counts_of(g_out)[g_out]

    def counts_of(g: torch.Tensor) -> torch.Tensor:
        return torch.bincount(g, minlength=int(g.max()) + 1).float()

    ident = torch.arange(kw["in_channels"])
    for k in range(levels):
        g_in, s_in = (ident, torch.ones(len(ident))) if k == 0 else split(maps[k - 1], counts[k - 1])
        copy_block(model.down[k], new.down[k], g_in, s_in, maps[k])
    for k in range(levels - 1):
        u, du = model.up[k], new.up[k]  # ConvTranspose weight: (in, out, *kernel)
        gi, si = split(maps[k + 1], counts[k + 1])
        w = u.weight[gi][:, maps[k]] * si.view(-1, *([1] * (u.weight.dim() - 1)))
        du.weight.copy_(_jitter(w.transpose(0, 1), gi, noise, generator).transpose(0, 1))
        du.bias.copy_(u.bias[maps[k]])
        c_old = old * m**k
        g2 = torch.cat([maps[k], maps[k] + c_old])  # cat([up(x), skip])
        s2 = torch.cat([1.0 / counts[k][maps[k]]] * 2)
        copy_block(model.dec[k], new.dec[k], g2, s2, maps[k])
    gi, si = split(maps[0], counts[0])
    w = model.head.weight[:, gi] * si.view(1, -1, *([1] * (model.head.weight.dim() - 2)))
    new.head.weight.copy_(_jitter(w, gi, noise, generator))
    new.head.bias.copy_(model.head.bias)
    return new


def _jitter(w: torch.Tensor, g_in: torch.Tensor, noise: float, generator: torch.Generator | None) -> torch.Tensor:
    """``w (out, in, ...)`` with relative Gaussian noise added to the input columns of copied
    channels (every occurrence of an input index after its first)."""
    if noise <= 0:
        return w
    seen: set[int] = set()
    dup = torch.zeros(len(g_in), dtype=torch.bool)
    for j, i in enumerate(g_in.tolist()):
        dup[j] = i in seen
        seen.add(i)
    if not dup.any():
        return w
    w = w.clone()
    eps = torch.randn(w[:, dup].shape, generator=generator) * noise * float(w.std())
    w[:, dup] += eps
    return w
