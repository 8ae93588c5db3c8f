"""Evaluate the 2D neuro-MRI tissue model on held-out anatomy and draw its figure.

    python scripts/figure_neuro_mri_2d.py [RUN_DIR]

With RUN_DIR (the ``--out`` of ``scripts/train_neuro_mri_2d.sh``), its weights and card are
first bundled into ``src/synthzoo/zoo/weights/``.  Then the bundled model segments the
held-out MNI152 slab as a real T1-weighted image and as simulated PD- and T2-weighted spin-echo
images (``synthzoo.zoo.heldout``); Dice per class over the whole slab goes into the card's
``metrics`` and the figure (image, prediction, truth on the middle slab slice) into
``docs/zoo/neuro-mri-tissue-unet-2d.png``.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
NAME = "neuro-mri-tissue-unet-2d"
BUNDLE = ROOT / "src" / "synthzoo" / "zoo" / "weights"
FIGURE = ROOT / "docs" / "zoo" / f"{NAME}.png"
TITLES = {"t1": "T1-weighted (MNI152 template)", "pd": "PD-weighted spin echo (simulated)",
          "t2": "T2-weighted spin echo (simulated)"}


def bundle(run: Path) -> None:
    BUNDLE.mkdir(parents=True, exist_ok=True)
    for suffix in (".safetensors", ".json"):
        src = run / f"{NAME}{suffix}"
        if not src.exists():
            sys.exit(f"{src}: not found; has the training run in {run} finished?")
        tmp = BUNDLE / f".{NAME}{suffix}.tmp"
        shutil.copyfile(src, tmp)
        tmp.replace(BUNDLE / f"{NAME}{suffix}")


def main() -> None:
    import torch

    torch.set_num_threads(1)
    if len(sys.argv) > 1:
        bundle(Path(sys.argv[1]))
    import dataclasses

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from synthzoo.generators import anatomy
    from synthzoo.zoo.card import WeightCard
    from synthzoo.zoo.heldout import evaluate, heldout_images
    from synthzoo.zoo.models import create_model

    card_path = BUNDLE / f"{NAME}.json"
    card = WeightCard.load(card_path)
    model = create_model(NAME, pretrained=True, offline=True)
    t = time.perf_counter()
    metrics, preds = evaluate(model, card)
    print(f"held-out evaluation: {time.perf_counter() - t:.1f} s")
    for name, m in metrics.items():
        print(name, m)
    new = dict(card.metrics)
    new["heldout_dice"] = {
        "description": (f"Dice per class over the held-out MNI152 slab (template z {anatomy.HELDOUT_Z[0]}-"
                        f"{anatomy.HELDOUT_Z[1] - 1}, 1 mm, 32 slices, predicted slice by slice); t1: the "
                        "real template; pd/t2: spin echo simulated from the slab's tissue map "
                        "(synthzoo.zoo.heldout)"),
        **metrics,
    }
    card = dataclasses.replace(card, metrics=new)
    card.save(card_path)

    images = heldout_images()
    truth = anatomy.heldout_labels(1.0)
    k = truth.shape[-1] // 2
    cmap = ListedColormap(["black", "#3b7dd8", "#9e9e9e", "#f2f2f2"])
    rows = list(TITLES)
    fig, axes = plt.subplots(len(rows), 3, figsize=(9, 3.3 * len(rows)))
    for r, name in enumerate(rows):
        m = metrics[name]
        panels = [(images[name][..., k], "gray", TITLES[name]),
                  (preds[name][..., k], cmap, "prediction  Dice CSF/GM/WM "
                   f"{m['csf']:.2f}/{m['gray_matter']:.2f}/{m['white_matter']:.2f}"),
                  (truth[..., k], cmap, "truth (held-out tissue map)")]
        for c, (arr, cm, title) in enumerate(panels):
            ax = axes[r, c]
            kw = {"vmin": 0, "vmax": 3, "interpolation": "nearest"} if c else {}
            ax.imshow(np.rot90(arr), cmap=cm, **kw)
            ax.set_title(title, fontsize=8)
            ax.axis("off")
    fig.suptitle(f"{NAME}: trained on synthetic neuro-mri images only; held-out slab "
                 f"z={anatomy.HELDOUT_Z[0] + k} (Dice over the whole slab)", fontsize=9)
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    tmp = FIGURE.with_name(".tmp-" + FIGURE.name)
    fig.savefig(tmp, dpi=90, format="png")
    tmp.replace(FIGURE)
    print(FIGURE)


if __name__ == "__main__":
    main()
