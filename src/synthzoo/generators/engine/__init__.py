"""The generator engine: what a domain subclasses and composes.

``base`` (the contract: :class:`~synthzoo.generators.engine.base.Generator`, ``Step``,
``Sample``, ``Geometry``, ``State``), ``samplers`` (distributions as plain values),
``spatial`` (random affine, diffeomorphic warp, flips and crop/pad in one resampling),
``intensity`` (Gaussian mixtures, fixed contrasts, bias fields, blur, resolution, noise,
normalisation), ``separable`` (separable operators as small dense matrices) and ``labels``
(label maps read from files or made from noise).
"""
