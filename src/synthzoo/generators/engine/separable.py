"""Separable linear operators applied along one axis as small dense matrices.

A Gaussian blur with reflected borders and a linear resampling (``align_corners=True``) act
on one axis at a time, so each is an ``(m, n)`` matrix per sample.  Applying such a matrix
with one ``matmul`` is much faster on CPU than a grouped 1D convolution or a 3D
``interpolate`` (BLAS does the work, no padded copies), and a chain of them (blur, then
downsample, then upsample) can be multiplied into one matrix before touching the volume.
Tensors are ``(B, C, *spatial)``; matrices are ``(B, m, n)`` (one per sample).
"""

from __future__ import annotations

import math

import torch


def gaussian_kernel1d(sigma: torch.Tensor, radius: int) -> torch.Tensor:
    """Normalised Gaussian kernels, ``(len(sigma), 2*radius+1)``; sigma 0 gives a delta."""
    x = torch.arange(-radius, radius + 1, device=sigma.device, dtype=torch.float32)
    s = sigma.float().clamp_min(1e-3).unsqueeze(-1)
    k = torch.exp(-0.5 * (x / s) ** 2)
    return k / k.sum(-1, keepdim=True)


def blur_matrix(sigma: torch.Tensor, n: int, radius: int) -> torch.Tensor:
    """Gaussian blur of ``n`` samples with borders reflected (as ``F.pad(mode="reflect")``),
    one ``(n, n)`` matrix per entry of ``sigma`` ``(B,)``: ``(B, n, n)``.  ``radius`` must be
    below ``n``."""
    if not 0 <= radius < max(n, 1):
        raise ValueError(f"blur radius {radius} must lie in [0, {n - 1}] for an axis of {n} voxels")
    k = gaussian_kernel1d(sigma, radius)  # (B, K)
    B, K = k.shape
    i = torch.arange(n, device=sigma.device)
    j = i.unsqueeze(1) + torch.arange(-radius, radius + 1, device=sigma.device)  # (n, K)
    j = torch.where(j < 0, -j, j)
    j = torch.where(j > n - 1, 2 * (n - 1) - j, j)
    out = torch.zeros((B, n, n), device=sigma.device, dtype=torch.float32)
    return out.scatter_add_(2, j.expand(B, n, K), k.unsqueeze(1).expand(B, n, K).contiguous())


def interp_matrix(n_in: int, n_out: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Linear resampling from ``n_in`` to ``n_out`` samples with ``align_corners=True`` (as
    ``F.interpolate``), ``(n_out, n_in)``."""
    if n_in < 1 or n_out < 1:
        raise ValueError(f"interp_matrix needs positive sizes, got {n_in} -> {n_out}")
    if n_out == 1 or n_in == 1:
        src = torch.zeros(n_out, device=device)
    else:
        src = torch.arange(n_out, device=device, dtype=torch.float32) * ((n_in - 1) / (n_out - 1))
    i0 = src.floor().long().clamp(max=n_in - 1)
    w = src - i0
    i1 = (i0 + 1).clamp(max=n_in - 1)
    rows = torch.arange(n_out, device=device)
    out = torch.zeros((n_out, n_in), device=device, dtype=torch.float32)
    out.index_put_((rows, i0), 1 - w, accumulate=True)
    out.index_put_((rows, i1), w, accumulate=True)
    return out


def apply_along(x: torch.Tensor, mats: torch.Tensor, axis: int) -> torch.Tensor:
    """Apply ``mats`` ``(B, m, n)`` (or one ``(m, n)`` for all) along spatial ``axis`` of
    ``x`` ``(B, C, *spatial)`` whose size there is ``n``; returns ``(B, C, *spatial')``."""
    B, C = x.shape[:2]
    sp = list(x.shape[2:])
    n = sp[axis]
    if mats.dim() == 2:
        mats = mats.expand(B, *mats.shape)
    if mats.shape[0] != B or mats.shape[2] != n:
        raise ValueError(f"matrices {tuple(mats.shape)} do not fit axis {axis} of {tuple(x.shape)}")
    m = mats.shape[1]
    mats = mats.to(x.dtype)
    P = C * math.prod(sp[:axis])
    Q = math.prod(sp[axis + 1:])
    x = x.contiguous()
    if Q == 1:
        y = torch.bmm(x.view(B, P, n), mats.transpose(1, 2))
    elif P == 1:
        y = torch.bmm(mats, x.view(B, n, Q))
    else:
        y = torch.matmul(mats.unsqueeze(1), x.view(B, P, n, Q))
    sp[axis] = m
    return y.reshape(B, C, *sp)


__all__ = ["apply_along", "blur_matrix", "gaussian_kernel1d", "interp_matrix"]
