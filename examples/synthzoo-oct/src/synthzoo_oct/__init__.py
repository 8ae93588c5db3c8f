"""synthzoo-oct: the domain ``oct`` (retinal optical coherence tomography) as a plugin.

Everything here is registered through entry points in this package's ``pyproject.toml``:
the generator ``oct-retina``, the test set ``oct-retina-devices``, the model
``oct-retina-layers-unet-2d`` and its narrow baseline ``oct-retina-layers-unet-2d-fixed``.
"""

__version__ = "0.1.0"
