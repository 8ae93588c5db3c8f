"""synthzoo: domain-randomized deep learning for imaging.

Generators draw synthetic images from label maps (``synthzoo.generators``), the zoo trains and
serves models (``synthzoo.zoo``), test sets of unseen image types live in chunked Zarr stores
(``synthzoo.datasets``), and the benchmark measures cross-domain generalization
(``synthzoo.benchmarks``, ``synthzoo.leaderboard``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("synthzoo")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

from synthzoo import _aliases

_aliases.install()  # former module paths (synthzoo.generators.base, ...) stay importable

__all__ = ["__version__"]
