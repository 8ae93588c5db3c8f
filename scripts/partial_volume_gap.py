"""How far apart the two ways of putting a 1 mm label map on a coarser grid are.

    python scripts/partial_volume_gap.py [--subject 01] [--spacing 1.5]

Dice per tissue class between the nearest-neighbour resampled tissue map (what ``neuro-mri``
synthesizes on without ``partial_volume``) and the majority tissue per output voxel (the
``neuro-contrasts`` test set's target, and ``neuro-mri`` with ``partial_volume``), of one
training subject of ``synthseg-20`` (held-out subjects are refused by the anatomy source).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subject", default="01")
    ap.add_argument("--spacing", type=float, default=1.5)
    a = ap.parse_args()
    from synthzoo.anatomy import get_source

    src = get_source("synthseg-20")
    names, lut = src.target("tissue")
    tissue = np.asarray(lut)[np.array(src.training_volume(a.subject))]
    shape = [max(1, round(n * src.spacing / a.spacing)) for n in tissue.shape]
    k = len(names)
    onehot = torch.from_numpy(np.stack([tissue == c for c in range(k)]).astype(np.float32))[None]
    majority = F.interpolate(onehot, size=shape, mode="area")[0].argmax(0).numpy()
    nearest = F.interpolate(torch.from_numpy(tissue.astype(np.float32))[None, None], size=shape,
                            mode="nearest")[0, 0].numpy().astype(int)
    for c in range(1, k):
        m, n = majority == c, nearest == c
        print(f"{names[c]:>14}: Dice {2 * (m & n).sum() / (m.sum() + n.sum()):.3f} "
              f"(majority {m.sum()} voxels, nearest {n.sum()})")


if __name__ == "__main__":
    main()
