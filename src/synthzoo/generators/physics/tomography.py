"""Reconstruction artifacts shared by the tomographic domains (``ct``, ``micro-ct``), as steps.

Images are ``float32 (B, C, *spatial)``.  The scanner's rotation axis is the last spatial
axis in 3D (the image plane is the first two spatial axes, so each axial slice is one
reconstructed plane); a 2D image is one reconstructed plane.  The artifacts are drawn in the
image domain, approximating what a filtered back-projection produces (Barrett & Keat,
"Artifacts in CT: recognition and avoidance", RadioGraphics 2004; Boas & Fleischmann,
"CT artifacts: causes and reduction techniques", Imaging Med. 2012):

- :class:`Cupping`: polychromatic beam hardening lowers the reconstructed attenuation towards
  the centre of the object (a bowl-shaped profile).
- :class:`RingArtifact`: a detector element with a wrong gain offsets one radius of every
  reconstructed plane: concentric rings about the rotation axis.
- :class:`Streaks`: photon starvation and beam hardening behind dense objects give bright and
  dark straight lines through the plane, radiating from the dense object.
- :class:`ReconNoise`: filtered back-projection turns the white noise of the projections into
  stationary, in-plane correlated noise whose power spectrum is the ramp filter times the
  squared apodisation window, ``NPS(f) ~ |f| W(f)^2`` (Kak & Slaney, *Principles of
  Computerized Tomographic Imaging*, 1988, ch. 5; Hanson, "Detectability in computed
  tomographic images", Med. Phys. 1979): none at zero frequency, a peak at mid frequencies
  under a Hann window (mottle a few voxels across), rising to the Nyquist frequency under the
  bare ramp.
"""

from __future__ import annotations

import math

import torch

from synthzoo.generators.engine.base import Geometry, Params, State, Step, draw_seed, seeded
from synthzoo.generators.engine.samplers import SamplerLike, as_sampler


def plane_coords(shape, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
    """In-plane coordinates of the first two spatial axes of ``shape`` in voxels, centred,
    each ``(n0, n1)``."""
    n0, n1 = shape[0], shape[1]
    a = torch.arange(n0, device=device, dtype=torch.float32) - (n0 - 1) / 2
    b = torch.arange(n1, device=device, dtype=torch.float32) - (n1 - 1) / 2
    return torch.meshgrid(a, b, indexing="ij")


def _half(spatial) -> float:
    """Half the larger in-plane extent, in voxels (normalised radius 1)."""
    return max(spatial[0], spatial[1]) / 2


def _expand_plane(field: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """A per-sample plane field ``(B, n0, n1)`` as ``(B, 1, n0, n1[, 1])`` for ``image``."""
    field = field.unsqueeze(1)
    return field.unsqueeze(-1) if image.dim() == 5 else field


def _active(p: float, B: int, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand((B,), generator=generator, device=generator.device) < p).float()


class Cupping(Step):
    """Beam-hardening cupping: ``x -> (x + offset) (1 - c * max(0, 1 - (r/R)^2)) - offset``.

    ``x + offset`` is the attenuation (``offset`` 1000 for Hounsfield units, 0 for
    attenuation coefficients); ``c`` (``strength``), the bowl radius ``R`` (``radius``, in
    units of half the in-plane size) and its centre (``shift``, same units) are drawn per
    sample; ``prob`` is the chance a sample has any cupping."""

    def __init__(self, *, strength: SamplerLike = (0.0, 0.15), radius: SamplerLike = (0.6, 1.3),
                 shift: SamplerLike = (-0.15, 0.15), offset: float = 0.0, prob: float = 0.8) -> None:
        super().__init__()
        self.strength = as_sampler(strength, name="strength")
        self.radius = as_sampler(radius, name="radius")
        self.shift = as_sampler(shift, name="shift")
        self.offset = float(offset)
        self.prob = float(prob)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B = geom.batch
        c = self.strength.sample((B,), generator=generator) * _active(self.prob, B, generator)
        return {"strength": c, "radius": self.radius.sample((B,), generator=generator).abs(),
                "centre": self.shift.sample((B, 2), generator=generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        half = _half(img.shape[2:])
        u, v = plane_coords(img.shape[2:], img.device)
        c = params["centre"].to(img.device) * half
        R = params["radius"].to(img.device).clamp_min(1e-3) * half
        r2 = (u - c[:, 0, None, None]) ** 2 + (v - c[:, 1, None, None]) ** 2
        bowl = (1 - r2 / R.view(-1, 1, 1) ** 2).clamp_min(0)
        gain = _expand_plane(1 - params["strength"].to(img.device).view(-1, 1, 1) * bowl, img)
        out = (img + self.offset) * gain - self.offset
        return State(state.labels, out, state.spacing)


class RingArtifact(Step):
    """Concentric rings about the rotation axis from miscalibrated detector elements.

    Each radius (1 voxel bins) is defective with probability ``density`` (drawn per sample)
    and then offset by ``N(0, amplitude)`` (image units, ``amplitude`` drawn per sample); the
    rotation axis is shifted by ``shift`` (units of half the in-plane size).  The profile is
    linearly interpolated in radius and is the same in every plane of a 3D image."""

    def __init__(self, *, amplitude: SamplerLike = (0.0, 0.1), density: SamplerLike = (0.02, 0.3),
                 shift: SamplerLike = (-0.05, 0.05), prob: float = 0.7) -> None:
        super().__init__()
        self.amplitude = as_sampler(amplitude, name="amplitude")
        self.density = as_sampler(density, name="density")
        self.shift = as_sampler(shift, name="shift")
        self.prob = float(prob)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B = geom.batch
        n_bins = int(math.ceil(math.hypot(geom.spatial[0], geom.spatial[1]))) + 2
        amp = self.amplitude.sample((B, 1), generator=generator).abs()
        amp = amp * _active(self.prob, B, generator).view(B, 1)
        dens = self.density.sample((B, 1), generator=generator)
        g = generator
        hit = torch.rand((B, n_bins), generator=g, device=g.device) < dens
        offsets = torch.randn((B, n_bins), generator=g, device=g.device) * amp * hit
        return {"profile": offsets, "centre": self.shift.sample((B, 2), generator=generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        half = _half(img.shape[2:])
        u, v = plane_coords(img.shape[2:], img.device)
        c = params["centre"].to(img.device) * half
        r = torch.sqrt((u - c[:, 0, None, None]) ** 2 + (v - c[:, 1, None, None]) ** 2)
        prof = params["profile"].to(img.device)
        r = r.clamp(max=prof.shape[1] - 1.001)
        i0 = r.floor().long()
        w = r - i0
        flat0, flat1 = i0.flatten(1), (i0 + 1).flatten(1)
        ring = (torch.gather(prof, 1, flat0) * (1 - w.flatten(1))
                + torch.gather(prof, 1, flat1) * w.flatten(1)).view_as(r)
        return State(state.labels, img + _expand_plane(ring, img), state.spacing)


class Streaks(Step):
    """Straight bright/dark streaks radiating from a dense object (metal, bone).

    ``n_streaks`` lines through one source point (uniform in the central ``spread`` of the
    plane), at random angles, each with a Gaussian profile of ``width`` voxels and a signed
    amplitude ``N(0, amplitude)`` (image units); in 3D the streaks fade along the rotation
    axis with a Gaussian envelope of ``extent`` (fraction of the depth) around a random plane.
    ``prob`` is the chance a sample has streaks."""

    def __init__(self, *, n_streaks: int = 8, amplitude: SamplerLike = (0.0, 0.15),
                 width: SamplerLike = (0.5, 3.0), spread: float = 0.5,
                 extent: SamplerLike = (0.05, 0.5), prob: float = 0.5) -> None:
        super().__init__()
        if n_streaks < 1:
            raise ValueError(f"n_streaks must be >= 1, got {n_streaks}")
        self.n_streaks = int(n_streaks)
        self.amplitude = as_sampler(amplitude, name="amplitude")
        self.width = as_sampler(width, name="width")
        self.spread = float(spread)
        self.extent = as_sampler(extent, name="extent")
        self.prob = float(prob)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, K, g = geom.batch, self.n_streaks, generator
        amp = self.amplitude.sample((B, 1), generator=g).abs() * _active(self.prob, B, g).view(B, 1)
        return {
            "source": (2 * torch.rand((B, 2), generator=g, device=g.device) - 1) * self.spread,
            "angles": torch.rand((B, K), generator=g, device=g.device) * math.pi,
            "amplitudes": torch.randn((B, K), generator=g, device=g.device) * amp,
            "widths": self.width.sample((B, K), generator=g).abs().clamp_min(0.3),
            "z_centre": torch.rand((B,), generator=g, device=g.device),
            "z_extent": self.extent.sample((B,), generator=g).abs().clamp_min(1e-3),
        }

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        dev = img.device
        half = _half(img.shape[2:])
        u, v = plane_coords(img.shape[2:], dev)
        s = params["source"].to(dev) * half
        th = params["angles"].to(dev)[..., None, None]  # (B, K, 1, 1)
        du = (u - s[:, 0, None, None]).unsqueeze(1)
        dv = (v - s[:, 1, None, None]).unsqueeze(1)
        dist = du * torch.sin(th) - dv * torch.cos(th)
        w = params["widths"].to(dev)[..., None, None]
        a = params["amplitudes"].to(dev)[..., None, None]
        field = _expand_plane((a * torch.exp(-0.5 * (dist / w) ** 2)).sum(1), img)
        if img.dim() == 5:
            nz = img.shape[-1]
            z = torch.linspace(0, 1, nz, device=dev)
            zc = params["z_centre"].to(dev).view(-1, 1)
            ze = params["z_extent"].to(dev).view(-1, 1)
            field = field * torch.exp(-0.5 * ((z - zc) / ze) ** 2).view(-1, 1, 1, 1, nz)
        return State(state.labels, img + field, state.spacing)


class ReconNoise(Step):
    """Stationary noise of a filtered back-projection, in the plane of each reconstructed slice.

    White Gaussian noise is shaped in the Fourier domain of the first two spatial axes by
    ``sqrt(|f| W(f))`` with the Hann window ``W(f) = (0.5 (1 + cos(pi f / f_c)))^2`` for
    ``f < f_c`` (0 beyond), ``f`` in cycles per voxel and ``f_c = 0.5 * cutoff``: ``cutoff`` 1 is
    a Hann-filtered reconstruction, larger values approach the bare ramp (noise up to the
    Nyquist frequency), smaller ones a smoother kernel.  Then scaled to a std of ``std``
    (image units); ``std`` and ``cutoff`` are drawn per sample, and ``prob`` is the chance a
    sample has any.  Slices of a 3D image (along the rotation axis, the last) get independent
    noise, as independent reconstructions do."""

    def __init__(self, *, std: SamplerLike = (0.0, 0.1), cutoff: SamplerLike = (0.5, 2.0),
                 prob: float = 1.0) -> None:
        super().__init__()
        self.std = as_sampler(std, name="std")
        self.cutoff = as_sampler(cutoff, name="cutoff")
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob is a probability in [0, 1], got {prob}")
        self.prob = float(prob)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B = geom.batch
        std = self.std.sample((B,), generator=generator).abs() * _active(self.prob, B, generator)
        return {"std": std, "cutoff": self.cutoff.sample((B,), generator=generator).abs().clamp_min(0.05),
                "seed": draw_seed(generator)}

    @staticmethod
    def spectrum(n0: int, n1: int, cutoff: torch.Tensor) -> torch.Tensor:
        """Amplitude filter ``(B, n0, n1 // 2 + 1)`` for ``torch.fft.rfft2`` of ``(n0, n1)`` planes,
        normalised so that white noise of unit std comes out with unit std."""
        dev = cutoff.device
        f0 = torch.fft.fftfreq(n0, device=dev).view(n0, 1)
        f1 = torch.fft.rfftfreq(n1, device=dev).view(1, -1)
        f = torch.sqrt(f0 ** 2 + f1 ** 2)  # cycles / voxel
        fc = 0.5 * cutoff.view(-1, 1, 1)
        window = torch.where(f < fc, 0.5 * (1 + torch.cos(math.pi * f / fc)), torch.zeros(()))
        nps = f * window ** 2
        # rfft2 keeps half of the last axis: weight the mirrored columns twice in the mean power
        weight = torch.full_like(f1, 2.0)
        weight[..., 0] = 1.0
        if n1 % 2 == 0:
            weight[..., -1] = 1.0
        mean = (nps * weight).sum((-2, -1)) / (n0 * n1)
        return torch.sqrt(nps / mean.clamp_min(1e-12).view(-1, 1, 1))

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        std = params["std"].to(img.device)
        if not bool((std > 0).any()):
            return state
        g = seeded(params["seed"], img.device)
        white = torch.randn(img.shape, generator=g, device=img.device)
        planes = white.movedim(-1, 2) if img.dim() == 5 else white  # (B, C, [Z,] n0, n1)
        n0, n1 = planes.shape[-2:]
        amp = self.spectrum(n0, n1, params["cutoff"].to(img.device))
        amp = amp.view(amp.shape[0], *([1] * (planes.dim() - 3)), *amp.shape[1:])
        shaped = torch.fft.irfft2(torch.fft.rfft2(planes) * amp, s=(n0, n1))
        if img.dim() == 5:
            shaped = shaped.movedim(2, -1)
        return State(state.labels, img + shaped * std.view(-1, *([1] * (img.dim() - 1))), state.spacing)


__all__ = ["Cupping", "ReconNoise", "RingArtifact", "Streaks", "plane_coords"]
