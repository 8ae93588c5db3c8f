"""Where a micro-CT model's errors lie on a core of the ``micro-ct-pores`` test set: well inside
the core, or in the ring of air between the core's edge and the edge of the field of view.

    python scripts/micro_ct_core_edge.py ROOT [--model NAME] [--contrast lab-80kv]

``ROOT`` holds the built test set (e.g. ``/tmp/mj37/testsets`` of ``synthzoo run-default``).  The
model runs as the benchmark runs it (``synthzoo.benchmarks.runner``, float32, mirror averaging);
the planes are the case's ``yx`` planes, the radius is measured from the centre of the view.
Prints the confusion matrix (rows truth, columns prediction) inside radius ``0.46 * size``, the
ring's voxel count and how many of them are called solid, and each class's Dice on the case.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--model", default="micro-ct-pores-unet-2d")
    ap.add_argument("--contrast", default="lab-80kv")
    ap.add_argument("--core", type=float, default=0.46, help="inner radius, a fraction of the view's size")
    args = ap.parse_args()
    import torch

    import synthzoo.datasets as ds
    from synthzoo.benchmarks.runner import _zoo_probabilities
    from synthzoo.metrics import confusion, per_label
    from synthzoo.zoo.models import create_model, get_card

    torch.set_num_threads(2)
    ts = ds.open("micro-ct-pores", args.root)
    cases = [c for c in ts.cases.values() if c.contrast == args.contrast]
    if not cases:
        sys.exit(f"{args.root}: micro-ct-pores has no case of contrast {args.contrast!r}")
    case = cases[0]
    if str(case.attrs.get("axes")) != "zyx":
        sys.exit(f"{case.name}: expected zyx axes, got {case.attrs.get('axes')!r}")
    model, card = create_model(args.model, pretrained=True, offline=True), get_card(args.model)
    pred = _zoo_probabilities(model, card, case, "cpu", "float32").argmax(0)
    truth = np.asarray(case.labels.compute())
    fov = np.ones(truth.shape, bool) if case.mask is None else np.asarray(case.mask.compute()) > 0
    k = len(ts.card.label_names)
    c = (truth.shape[1] - 1) / 2, (truth.shape[2] - 1) / 2
    yy, xx = np.meshgrid(np.arange(truth.shape[1]) - c[0], np.arange(truth.shape[2]) - c[1], indexing="ij")
    r = np.broadcast_to(np.hypot(yy, xx)[None], truth.shape)
    core = (r <= args.core * truth.shape[1]) & fov
    cm = confusion(pred, truth, k, core)
    ring = (r > args.core * truth.shape[1]) & fov
    print(f"{args.model} on {case.name} ({ts.card.label_names})")
    print(f"inside the core: confusion {cm.tolist()}, errors {int(cm.sum() - np.trace(cm))}")
    print(f"ring: {int(ring.sum())} voxels, {int((truth[ring] == 0).sum())} pore in the truth, "
          f"{int((pred[ring] != 0).sum())} called solid")
    for name, m in zip(ts.card.label_names, per_label(confusion(pred, truth, k, fov))):
        print(f"{name}: Dice {m['dice']:.3f}")


if __name__ == "__main__":
    main()
