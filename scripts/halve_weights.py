"""Store bundled zoo weights in half precision (float16), updating each card's sha256.

    python scripts/halve_weights.py NAME [NAME ...]

The networks run in float32: loading copies the float16 tensors into float32 parameters, so
only the stored file halves (a U-Net of 5 levels and 16 features: 7.8 MB -> 3.9 MB).  Measured
on random patches: class probabilities within 0.006 of the float32 weights', label maps equal
but for 0.02 % of voxels (neuro-mri-tissue-unet-2d, em-cells-unet-2d).  The card
keeps the float32 file's sha256 in ``training["float32_sha256"]``.  Re-run the model's benchmark
afterwards (``scripts/finish_model.py --models NAME --testset T``): its outputs change slightly.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BUNDLE = ROOT / "src" / "synthzoo" / "zoo" / "weights"


def halve(path: Path) -> bool:
    """Rewrite the safetensors file at ``path`` with its float32 tensors as float16 (atomic);
    ``False`` if it holds none."""
    import torch
    from safetensors.torch import load_file, save_file

    from synthzoo._io import atomic_write

    state = load_file(str(path))
    if not any(v.dtype == torch.float32 for v in state.values()):
        return False
    half = {k: (v.half() if v.dtype == torch.float32 else v).contiguous() for k, v in state.items()}
    atomic_write(path, lambda p: save_file(half, str(p)))
    return True


def halve_card(name: str) -> str:
    from synthzoo.zoo.card import WeightCard
    from synthzoo.zoo.weights import sha256_file

    cpath = BUNDLE / f"{name}.json"
    card = WeightCard.load(cpath)
    wpath = BUNDLE / card.weights_file
    if sha256_file(wpath) != card.sha256:
        sys.exit(f"{wpath}: sha256 differs from its card {cpath}; not touching it")
    if not halve(wpath):
        return f"{name}: already float16"
    training = {**card.training, "float32_sha256": card.sha256, "stored_dtype": "float16"}
    dataclasses.replace(card, sha256=sha256_file(wpath), training=training).save(cpath)
    return f"{name}: {wpath.stat().st_size / 1e6:.1f} MB float16"


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for n in sys.argv[1:]:
        print(halve_card(n))
