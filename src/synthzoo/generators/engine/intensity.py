"""Intensity models and artifacts, each a :class:`~synthzoo.generators.engine.base.Step`.

Images are ``float32 (B, C, *spatial)``.  The Gaussian mixture, bias field, gamma and
resolution model follow SynthSeg (Billot et al., Medical Image Analysis 2023); Rician noise is
the magnitude of complex Gaussian noise (Gudbjartsson & Patz 1995).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from synthzoo.generators.engine.base import Geometry, Params, State, Step, draw_seed, seeded
from synthzoo.generators.engine.samplers import LogUniform, SamplerLike, Uniform, as_sampler
from synthzoo.generators.engine.separable import apply_along, blur_matrix, gaussian_kernel1d, interp_matrix


def _bshape(B: int, C: int, d: int) -> tuple[int, ...]:
    return (B, C) + (1,) * d


# --------------------------------------------------------------------------- helpers
#: Axes up to this many voxels are blurred with one dense matrix per sample (a ``matmul``,
#: much faster on CPU than a grouped 1D convolution); longer axes use the convolution.
MATRIX_BLUR_MAX = 1024


def blur(image: torch.Tensor, sigma: torch.Tensor, *, truncate: float = 3.0) -> torch.Tensor:
    """Separable Gaussian blur with per-sample, per-axis ``sigma`` ``(B, d)`` in voxels.

    ``image``: ``(B, C, *spatial)``.  Borders are reflected.  An axis whose largest sigma is
    below 0.3 voxel is left alone; the kernel is truncated at ``truncate`` sigmas."""
    d = image.dim() - 2
    out = image
    for axis in range(d):
        s = sigma[:, axis]
        smax = float(s.max())
        if smax < 0.3:
            continue
        n = out.shape[2 + axis]
        radius = min(max(1, int(math.ceil(truncate * smax))), n - 1)
        if n <= MATRIX_BLUR_MAX:
            out = apply_along(out, blur_matrix(s, n, radius), axis)
        else:
            out = _conv_blur(out, s, axis, radius)
    return out


def _conv_blur(image: torch.Tensor, s: torch.Tensor, axis: int, radius: int) -> torch.Tensor:
    """Blur along one long axis with a grouped 1D convolution (one kernel per sample)."""
    B = image.shape[0]
    k = gaussian_kernel1d(s, radius)  # (B, K)
    x = image.movedim(2 + axis, -1)
    shape = x.shape
    x = x.reshape(1, B, -1, shape[-1]).transpose(0, 2).reshape(-1, B, shape[-1])
    x = F.pad(x, (radius, radius), mode="reflect")
    x = F.conv1d(x, k.unsqueeze(1).to(x.dtype), groups=B)
    x = x.reshape(-1, 1, B, shape[-1]).transpose(0, 2).reshape(shape)
    return x.movedim(-1, 2 + axis)


def minmax(image: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Per-sample, per-channel min-max normalisation to [0, 1]."""
    flat = image.flatten(2)  # amin/amax: no sort (and faster than aminmax over a dim)
    view = (*image.shape[:2], *([1] * (image.dim() - 2)))
    lo, hi = flat.amin(-1).view(view), flat.amax(-1).view(view)
    return (image - lo).div_((hi - lo).clamp_min(eps))


def smooth_field(coeffs: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Upsample a coarse field ``(B, C, *coarse)`` to ``size`` (linear, align_corners)."""
    mode = "bilinear" if len(size) == 2 else "trilinear"
    return F.interpolate(coeffs, size=tuple(size), mode=mode, align_corners=True)


# --------------------------------------------------------------------------- steps
class GaussianMixture(Step):
    """Image from labels: per-class intensity ``N(mean_k, std_k)`` with means and stds drawn
    per sample (SynthSeg's GMM: means U(25, 225), stds U(5, 25)).

    ``classes`` maps generation labels to intensity classes so that several labels can
    share an intensity (default: one class per label).  ``channels`` > 1 draws independent
    contrasts per channel.  ``zero_background`` pins class 0 to intensity 0 (e.g. for
    skull-stripped data); by default background is randomized like any class.

    ``groups`` (one group index per class, e.g. the physical tissue of each anatomical label)
    with ``p_grouped`` > 0: with that probability per sample, the classes of a group share
    one mean and std (a contrast consistent per tissue, as real scanners give); otherwise
    every class draws its own.

    ``separate`` (class indices; with ``groups``, the index of each group's representative
    class, i.e. the group index) with ``separation`` > 0: their means are drawn uniformly among
    the configurations whose pairwise distances are all >= ``separation`` (``means`` must then be
    a uniform range).  Tissues a network must tell apart are then never of equal brightness, a
    sample that no network could label; any order of the tissues is still drawn.

    ``p_close`` > 0 (needs two or more ``separate`` classes): with that probability per sample
    and channel, one pair of the ``separate`` classes is drawn at random and the second's mean
    set to the first's times ``1 + U(-close, close)``: two tissues of nearly the same brightness,
    as grey matter and CSF are in proton-density-weighted MRI (a tenth apart), which a uniform
    draw of the means gives rarely.  Drawn after ``separation``, so it overrides it for that pair.
    """

    def __init__(self, *, means: SamplerLike = (25.0, 225.0), stds: SamplerLike = (5.0, 25.0),
                 classes: Sequence[int] | None = None, channels: int = 1,
                 zero_background: bool = False, groups: Sequence[int] | None = None,
                 p_grouped: float = 0.0, separate: Sequence[int] = (),
                 separation: float = 0.0, p_close: float = 0.0, close: float = 0.15) -> None:
        super().__init__()
        self.means = as_sampler(means, name="means")
        self.stds = as_sampler(stds, name="stds")
        self.classes = None if classes is None else [int(c) for c in classes]
        self.channels = int(channels)
        self.zero_background = bool(zero_background)
        if not 0.0 <= p_grouped <= 1.0:
            raise ValueError(f"p_grouped is a probability in [0, 1], got {p_grouped}")
        if p_grouped > 0 and groups is None:
            raise ValueError("p_grouped > 0 needs groups (one group index per class)")
        self.groups = None if groups is None else [int(c) for c in groups]
        self.p_grouped = float(p_grouped)
        self.separate = [int(c) for c in separate]
        self.separation = float(separation)
        if not 0.0 <= p_close <= 1.0:
            raise ValueError(f"p_close is a probability in [0, 1], got {p_close}")
        if p_close > 0 and len(self.separate) < 2:
            raise ValueError("p_close > 0 needs two or more separate classes to bring close")
        if not 0.0 <= close < 1.0:
            raise ValueError(f"close is a relative difference in [0, 1), got {close}")
        self.p_close = float(p_close)
        self.close = float(close)
        if self.separation < 0:
            raise ValueError(f"separation must be >= 0, got {separation}")
        if self.separation > 0 and len(self.separate) > 1:
            if not isinstance(self.means, Uniform):
                raise ValueError("separation needs means drawn from a uniform range (low, high)")
            span = self.means.high - self.means.low
            if (len(self.separate) - 1) * self.separation > span:
                raise ValueError(f"{len(self.separate)} means {self.separation} apart do not fit in "
                                 f"[{self.means.low}, {self.means.high}]")

    def _n_classes(self, n_labels: int) -> int:
        if self.classes is None:
            return n_labels
        if len(self.classes) < n_labels:
            raise ValueError(f"classes maps {len(self.classes)} labels, need {n_labels}")
        return max(self.classes) + 1

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        K = self._n_classes(geom.n_labels)
        shape = (geom.batch, self.channels, K)
        means = self.means.sample(shape, generator=generator)
        stds = self.stds.sample(shape, generator=generator).abs()
        if self.separation > 0 and len(self.separate) > 1:
            means = self._separated(means, K, generator)
        if self.p_close > 0:  # only then, so that samples without it draw as before
            means = self._closed(means, K, generator)
        if self.groups is not None and self.p_grouped > 0:
            if len(self.groups) < K:
                raise ValueError(f"groups maps {len(self.groups)} classes, need {K}")
            idx = torch.as_tensor(self.groups[:K], device=means.device).expand(shape)
            use = torch.rand((geom.batch, 1, 1), generator=generator, device=generator.device) < self.p_grouped
            means = torch.where(use, torch.gather(means, 2, idx), means)
            stds = torch.where(use, torch.gather(stds, 2, idx), stds)
        if self.zero_background:
            means[..., 0] = 0
            stds[..., 0] = 0
        return {"means": means, "stds": stds, "seed": draw_seed(generator)}

    def _separated(self, means: torch.Tensor, K: int, generator: torch.Generator) -> torch.Tensor:
        """``means`` with the ``separate`` classes redrawn >= ``separation`` apart: n values
        uniform in [low, high - (n - 1) d], sorted, the i-th raised by i d (uniform over the
        allowed configurations), then given to the classes in a random order."""
        idx = [c for c in self.separate if c < K]
        n, d = len(idx), self.separation
        if n < 2:
            return means
        B, C = means.shape[:2]
        lo, hi = self.means.low, self.means.high - (n - 1) * d
        u = lo + (hi - lo) * torch.rand((B, C, n), generator=generator, device=generator.device)
        u = u.sort(dim=-1).values + d * torch.arange(n, device=u.device, dtype=u.dtype)
        order = torch.rand((B, C, n), generator=generator, device=generator.device).argsort(dim=-1)
        out = means.clone()
        out[..., idx] = torch.gather(u, 2, order)
        return out

    def _closed(self, means: torch.Tensor, K: int, generator: torch.Generator) -> torch.Tensor:
        """``means`` where, with probability ``p_close`` per sample and channel, the second of a
        random ordered pair of the ``separate`` classes takes the first's mean times
        ``1 + U(-close, close)``."""
        idx = [c for c in self.separate if c < K]
        if len(idx) < 2:
            return means
        B, C = means.shape[:2]
        dev = generator.device  # the means' device too (samplers draw there), as in _separated
        pairs = torch.tensor([(a, b) for a in idx for b in idx if a != b], device=dev)
        pick = pairs[torch.randint(len(pairs), (B, C), generator=generator, device=dev)]
        rel = (torch.rand((B, C), generator=generator, device=dev) * 2 - 1) * self.close
        use = torch.rand((B, C), generator=generator, device=dev) < self.p_close
        src = torch.gather(means, 2, pick[..., :1]).squeeze(-1)
        dst = torch.gather(means, 2, pick[..., 1:]).squeeze(-1)
        out = means.clone()
        out.scatter_(2, pick[..., 1:], torch.where(use, src * (1 + rel), dst).unsqueeze(-1))
        return out

    def apply(self, state: State, /, *, params: Params) -> State:
        labels = state.labels
        B = labels.shape[0]
        idx = labels
        if self.classes is not None:
            idx = torch.take(torch.as_tensor(self.classes, device=labels.device), labels)
        flat = idx.view(B, 1, -1).expand(B, self.channels, -1)
        mean = torch.gather(params["means"], 2, flat)
        std = torch.gather(params["stds"], 2, flat)
        g = seeded(params["seed"], labels.device)
        noise = torch.randn(mean.shape, generator=g, device=labels.device)
        image = torch.addcmul(mean, std, noise).view(B, self.channels, *labels.shape[2:])
        return State(labels, image, state.spacing)


class FixedContrast(GaussianMixture):
    """One fixed contrast: per-label means from ``table`` (one value per generation label),
    each scaled by ``1 + U(-jitter, jitter)`` per sample, within-class std from ``stds``.
    The intensity model of a conventionally trained ("narrow") network, against which
    domain randomization (:class:`GaussianMixture`) is compared."""

    def __init__(self, *, table: Sequence[float], jitter: float = 0.1,
                 stds: SamplerLike = (2.0, 8.0)) -> None:
        super().__init__(stds=stds)
        self.table = [float(v) for v in table]
        self.jitter = float(jitter)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        if len(self.table) < geom.n_labels:
            raise ValueError(f"FixedContrast table has {len(self.table)} values, need {geom.n_labels}")
        shape = (geom.batch, self.channels, geom.n_labels)
        base = torch.tensor(self.table[: geom.n_labels], device=generator.device)
        u = torch.rand(shape, generator=generator, device=generator.device) * 2 - 1
        means = base * (1 + self.jitter * u)
        stds = self.stds.sample(shape, generator=generator).abs()
        return {"means": means, "stds": stds, "seed": draw_seed(generator)}


class BiasField(Step):
    """Multiplicative smooth bias field ``exp(b)``, ``b`` a coarse Gaussian field upsampled
    (std drawn from ``std``; coarse grid ``scale`` x the image size; SynthSeg: 0.7, 0.025)."""

    def __init__(self, *, std: SamplerLike = (0.0, 0.7), scale: float = 0.025) -> None:
        super().__init__()
        self.std = as_sampler(std, name="std")
        self.scale = float(scale)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        coarse = [max(2, math.ceil(n * self.scale)) for n in geom.spatial]
        std = self.std.sample((geom.batch,), generator=generator)
        field = torch.randn((geom.batch, 1, *coarse), generator=generator, device=generator.device)
        return {"coeffs": field * std.view(-1, *([1] * (geom.dims + 1)))}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        field = smooth_field(params["coeffs"], img.shape[2:]).exp_()
        out = field.mul_(img) if field.shape == img.shape else img * field
        return State(state.labels, out, state.spacing)


class Normalize(Step):
    """Per-sample min-max normalisation to [0, 1]."""

    def apply(self, state: State, /, *, params: Params) -> State:
        return State(state.labels, minmax(state.image), state.spacing)


class Gamma(Step):
    """Gamma transform ``x ** exp(g)``, ``g ~ N(0, std)`` per sample and channel (SynthSeg:
    std 0.5).  The image is min-max normalised first."""

    def __init__(self, *, std: SamplerLike = 0.5) -> None:
        super().__init__()
        self.std = as_sampler(std, name="std")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        std = self.std.sample((geom.batch, 1), generator=generator)
        g = torch.randn((geom.batch, 1), generator=generator, device=generator.device) * std
        return {"log_gamma": g}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = minmax(state.image)
        g = torch.exp(params["log_gamma"]).view(img.shape[0], -1, *([1] * (img.dim() - 2)))
        return State(state.labels, img.clamp_min_(0).pow_(g), state.spacing)


class Blur(Step):
    """Gaussian blur with ``sigma`` (voxels) drawn per sample and axis."""

    def __init__(self, *, sigma: SamplerLike = (0.0, 1.0)) -> None:
        super().__init__()
        self.sigma = as_sampler(sigma, name="sigma")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        return {"sigma": self.sigma.sample((geom.batch, geom.dims), generator=generator).abs()}

    def apply(self, state: State, /, *, params: Params) -> State:
        return State(state.labels, blur(state.image, params["sigma"]), state.spacing)


class Resolution(Step):
    """Resolution and slice-thickness simulation (SynthSeg): blur with a Gaussian matched to a
    random acquisition resolution, downsample to it, and upsample back.

    With probability ``p_thick`` one random axis gets a thick-slice resolution drawn from
    ``thick`` (mm) and the others from ``iso``; otherwise all axes share one ``iso`` draw.
    ``sigma = 0.75 * res / spacing`` voxels (for res > spacing), jittered by ``jitter``.
    """

    def __init__(self, *, iso: SamplerLike = (1.0, 4.0), thick: SamplerLike = (1.0, 8.0),
                 p_thick: float = 0.5, jitter: float = 0.15, prob: float = 1.0) -> None:
        super().__init__()
        self.iso = as_sampler(iso, name="iso")
        self.thick = as_sampler(thick, name="thick")
        self.p_thick = float(p_thick)
        self.jitter = float(jitter)
        self.prob = float(prob)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, d = geom.batch, geom.dims
        spacing = torch.tensor(geom.spacing, device=generator.device)
        iso = self.iso.sample((B, 1), generator=generator).expand(B, d).clone()
        thick = self.thick.sample((B,), generator=generator)
        axis = torch.randint(d, (B,), generator=generator, device=generator.device)
        use_thick = torch.rand((B,), generator=generator, device=generator.device) < self.p_thick
        onehot = F.one_hot(axis, d).bool() & use_thick.unsqueeze(1)
        res = torch.where(onehot, thick.unsqueeze(1).expand(B, d), iso)
        active = torch.rand((B,), generator=generator, device=generator.device) < self.prob
        res = torch.where(active.unsqueeze(1), res, spacing.expand(B, d))
        res = torch.maximum(res, spacing)
        jit = 1 + self.jitter * (2 * torch.rand((B, d), generator=generator,
                                                device=generator.device) - 1)
        return {"resolution": res, "sigma": 0.75 * res / spacing * jit * (res > spacing)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        d = img.dim() - 2
        spacing = torch.tensor(state.spacing or (1.0,) * d, device=img.device)
        out = []
        for b in range(img.shape[0]):
            factor = (spacing / params["resolution"][b]).tolist()
            low = [max(2, int(round(n * f))) for n, f in zip(img.shape[2:], factor)]
            down, up = resolution_matrices(params["sigma"][b], img.shape[2:], low)
            x = img[b : b + 1]
            # shrink the most-reduced axis first and grow it back last: less work in between
            order = sorted(range(d), key=lambda a: low[a] / img.shape[2 + a])
            for axis in order:
                if down[axis] is not None:
                    x = apply_along(x, down[axis], axis)
            for axis in reversed(order):
                if up[axis] is not None:
                    x = apply_along(x, up[axis], axis)
            out.append(x)
        return State(state.labels, torch.cat(out), state.spacing)


def resolution_matrices(sigma: torch.Tensor, size: Sequence[int], low: Sequence[int], *,
                        truncate: float = 3.0) -> tuple[list, list]:
    """Per-axis matrices of blur-then-downsample ``(low, n)`` and upsample ``(n, low)`` for
    one sample (``None`` where an axis is untouched).  Blur (``sigma`` ``(d,)`` voxels,
    reflected borders) and linear resampling (``align_corners=True``) act on one axis at a
    time, so the 3D blur + two 3D interpolations become small matrix products."""
    down: list = []
    up: list = []
    for axis, (n, m) in enumerate(zip(size, low)):
        mat = None
        s = sigma[axis : axis + 1]
        if float(s) >= 0.3:
            radius = min(max(1, int(math.ceil(truncate * float(s)))), n - 1)
            mat = blur_matrix(s, n, radius)[0]
        resample = list(low) != list(size)
        if resample and m != n:
            dm = interp_matrix(n, m, sigma.device)
            mat = dm if mat is None else dm @ mat
        down.append(mat)
        up.append(interp_matrix(m, n, sigma.device) if resample and m != n else None)
    return down, up


class Noise(Step):
    """Additive Gaussian or Rician noise with ``std`` drawn per sample (in image units, so
    place it after :class:`Normalize` for relative noise)."""

    def __init__(self, *, std: SamplerLike = (0.0, 0.05), kind: str = "gaussian") -> None:
        super().__init__()
        if kind not in ("gaussian", "rician"):
            raise ValueError(f"unknown noise kind {kind!r}; available: gaussian, rician")
        self.std = as_sampler(std, name="std")
        self.kind = kind

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        return {"std": self.std.sample((geom.batch,), generator=generator).abs(),
                "seed": draw_seed(generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        g = seeded(params["seed"], img.device)
        std = params["std"].view(-1, *([1] * (img.dim() - 1)))
        n1 = torch.randn(img.shape, generator=g, device=img.device)
        if self.kind == "gaussian":
            return State(state.labels, torch.addcmul(img, std, n1), state.spacing)
        n2 = torch.randn(img.shape, generator=g, device=img.device)
        # sqrt((img + std n1)^2 + (std n2)^2), in place on the noise buffers
        real = torch.addcmul(img, std, n1, out=n1).square_()
        return State(state.labels, real.add_(n2.mul_(std).square_()).sqrt_(), state.spacing)


class PoissonNoise(Step):
    """Photon/count noise: the image (assumed >= 0, e.g. after :class:`Normalize`) is scaled
    to an expected count ``peak`` (drawn per sample), Poisson-sampled and scaled back, so
    the noise level varies with the signal.  Used by PET, fluorescence, EM and micro-CT."""

    def __init__(self, *, peak: SamplerLike = LogUniform(5.0, 500.0)) -> None:
        super().__init__()
        self.peak = as_sampler(peak, name="peak")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        return {"peak": self.peak.sample((geom.batch,), generator=generator).clamp_min(1e-3),
                "seed": draw_seed(generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image.clamp_min(0)
        g = seeded(params["seed"], img.device)
        peak = params["peak"].view(-1, *([1] * (img.dim() - 1)))
        counts = torch.poisson(img * peak, generator=g)
        return State(state.labels, counts / peak, state.spacing)
