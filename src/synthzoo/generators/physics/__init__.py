"""Forward models and shapes shared by several domains: ``tomography`` (reconstruction
artifacts of ``ct`` and ``micro-ct``), ``shapes`` (ellipsoid packings and warps for microscopy
and ultrasound) and ``anatomy`` (brain label maps from the registered anatomy sources, with a
shell of non-brain labels, for ``neuro-mri``, ``ct`` and ``pet``)."""
