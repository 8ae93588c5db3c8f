"""Dice and object F1 of 2D nuclei models on 2D ``fluorescence`` generator images of growing
nucleus size (the generator's ``object_size``: the spacing of the nuclei's grid, in pixels).

    python scripts/nuclei_size_sweep.py MODEL[,MODEL...] [--n 6] [--size 256]

Each size band draws ``--n`` images (seeds 500...) at the models' 0.5 um with the generator's
random contrast and its true instances; the models run through ``predict_array`` (bfloat16,
mirror averaging) and their instances come from ``synthzoo.zoo.instances``.  These are the
generator's own images: a check of what a model has learned, not a test of unseen data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
BANDS = ((6, 16), (16, 28), (28, 48), (48, 80))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models")
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    import torch

    from synthzoo.generators import create
    from synthzoo.metrics import dice_per_class, object_f1
    from synthzoo.zoo.instances import instances_from_probabilities, object_classes
    from synthzoo.zoo.models import create_model, get_card
    from synthzoo.zoo.predict import predict_array

    torch.set_num_threads(2)
    for lo, hi in BANDS:
        gen = create("fluorescence", spacing=0.5, instances=True, object_size=(lo, hi))
        samples = []
        for i in range(args.n):
            g = torch.Generator()
            g.manual_seed(500 + i)
            with torch.no_grad():
                s = gen(gen.default_labels(batch=1, size=args.size, dims=2, generator=g), generator=g)
            samples.append((s.image[0, 0].numpy(), s.labels[0, 0].numpy()))
        for name in args.models.split(","):
            model, card = create_model(name, pretrained=True, offline=True), get_card(name)
            obj, bnd = object_classes(card.label_names)
            dice, f1 = [], []
            for img, ids in samples:
                prob = predict_array(model, card, img, spacing=(0.5, 0.5), precision="bfloat16")
                pred, truth = np.isin(prob.argmax(0), (obj, bnd)), ids > 0
                dice.append(dice_per_class(pred, truth, 2)[1])
                f1.append(object_f1(pred, truth, truth_instances=ids,
                                    pred_instances=instances_from_probabilities(prob, card.label_names)))
            print(f"grid {lo}-{hi} px: {name}: Dice {np.mean(dice):.3f}, object F1 {np.mean(f1):.3f}", flush=True)


if __name__ == "__main__":
    main()
