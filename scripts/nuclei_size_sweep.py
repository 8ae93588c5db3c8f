"""Dice and object F1 of 2D nuclei models on 2D ``fluorescence`` generator images of growing
nucleus size (the generator's ``object_size``: the spacing of the nuclei's grid, in pixels).

    python scripts/nuclei_size_sweep.py MODEL[,MODEL...] [--n 6] [--size 256] [--figure PNG]
    python scripts/nuclei_size_sweep.py MODEL[,MODEL...] --stacks ROOT

Each size band draws ``--n`` images (seeds 500...) at the models' 0.5 um with the generator's
random contrast and its true instances; the models run through ``predict_array`` (bfloat16,
mirror averaging) and their instances come from ``synthzoo.zoo.instances``.  Each model runs
twice: at the 0.5 um the images were drawn at, and at the pixel size ``predict`` takes from the
nuclei when a file gives none (``synthzoo.zoo.scale``: measured diameter -> matched spacing).
These are the generator's own images: a check of what a model has learned, not a test of
unseen data.  ``--figure``: the first image of the largest band, its true nuclei and the first
model's instances at both pixel sizes.  ``--stacks ROOT``: instead, the ``fluorescence-nuclei``
test stacks under ``ROOT`` (physics-simulated, never trained on): the pixel size measured from
their nuclei against the stacks' own, and each model's nucleus Dice at both.
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
    ap.add_argument("--figure", type=Path, default=None)
    ap.add_argument("--stacks", type=Path, default=None)
    args = ap.parse_args()
    if args.stacks is not None:
        return _stacks(args.models.split(","), args.stacks)
    import torch

    from synthzoo.generators import create
    from synthzoo.metrics import dice_per_class, object_f1
    from synthzoo.zoo.instances import instances_from_probabilities, object_classes
    from synthzoo.zoo.models import create_model, get_card
    from synthzoo.zoo.predict import predict_array
    from synthzoo.zoo.scale import estimate_object_diameter, matched_spacing

    torch.set_num_threads(2)
    shown: list = []
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
            for how in ("0.5 um", "measured"):
                dice, f1, sizes = [], [], []
                for img, ids in samples:
                    sp = 0.5 if how == "0.5 um" else matched_spacing(card, estimate_object_diameter(img))
                    sizes.append(sp)
                    prob = predict_array(model, card, img, spacing=(sp, sp), precision="bfloat16")
                    pred, truth = np.isin(prob.argmax(0), (obj, bnd)), ids > 0
                    found = instances_from_probabilities(prob, card.label_names)
                    if (lo, hi) == BANDS[-1] and img is samples[0][0] and len(shown) < 2:
                        shown.append((f"{name}, {how} ({sp:.2f} um per pixel)", found))
                    dice.append(dice_per_class(pred, truth, 2)[1])
                    f1.append(object_f1(pred, truth, truth_instances=ids, pred_instances=found))
                print(f"grid {lo}-{hi} px: {name} at {how} (median {np.median(sizes):.3f} um): "
                      f"Dice {np.mean(dice):.3f}, object F1 {np.mean(f1):.3f}", flush=True)
    if args.figure is not None:
        _figure(args.figure, samples[0], shown)


def _stacks(models: list[str], root: Path) -> None:
    import synthzoo.datasets as ds
    from synthzoo.metrics import dice_per_class
    from synthzoo.zoo.instances import object_classes
    from synthzoo.zoo.models import create_model, get_card
    from synthzoo.zoo.predict import pages_last, predict_array
    from synthzoo.zoo.scale import estimate_object_diameter, matched_spacing

    ts = ds.open("fluorescence-nuclei", root)
    for case in ts.cases.values():
        img, sp, back = pages_last(np.asarray(case.image.compute(), np.float32), case.spacing)
        truth = np.asarray(case.labels.compute()) > 0
        d = estimate_object_diameter(img)
        for name in models:
            model, card = create_model(name, pretrained=True, offline=True), get_card(name)
            s = matched_spacing(card, d)
            dice = []
            for spacing in (sp, (s, s, sp[2] * s / sp[0])):
                prob = predict_array(model, card, img, spacing=spacing, precision="bfloat16")
                pred = back(np.isin(prob.argmax(0), object_classes(card.label_names)).astype(np.uint8)) > 0
                dice.append(dice_per_class(pred, truth, 2)[1])
            print(f"{case.name}: {name}: nuclei {d:.1f} px -> {s:.3f} um (the stack's {sp[0]:g} um); "
                  f"Dice {dice[0]:.3f} at the stack's, {dice[1]:.3f} at the measured", flush=True)


def _figure(path: Path, sample, shown) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img, ids = sample
    rng = np.random.default_rng(0)

    def colour(lab):
        lut = rng.uniform(0.2, 1.0, (int(lab.max()) + 1, 3))
        lut[0] = 0
        return lut[lab]

    panels = [("image (grid 48-80 pixels)", img, "gray"), ("true nuclei", colour(ids), None)]
    panels += [(title, colour(lab), None) for title, lab in shown]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.4))
    for ax, (title, data, cmap) in zip(axes, panels):
        ax.imshow(data, cmap=cmap, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(path)


if __name__ == "__main__":
    main()
