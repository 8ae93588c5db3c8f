"""Bundle a finished training run into the zoo, measure it on its test set, draw its figure.

    python scripts/finish_model.py RUN_DIR [RUN_DIR ...] [--contrast C] [--testset T] [--cases N]

For each run (the ``OUT`` of ``scripts/train_model.sh NAME OUT``):

1. its weights and card are copied into ``src/synthzoo/zoo/weights/`` (a narrow baseline's
   card gets ``training["contrast"]``: the test contrast it was trained on, ``--contrast``),
   the weights stored in float16 (``scripts/halve_weights.py``);
2. the models are run on the test set (``--testset``, default ``neuro-contrasts`` at its
   default size and cases, built under ``out/testsets``) with ``synthzoo.benchmarks.runner``
   into ``out/zoo-eval`` (resumable records; the classical baselines run beside them);
3. mean foreground Dice per contrast goes into each card's ``metrics["benchmark"]``, with the
   command that measured it, and the per-subject agreement of the tissue maps of one held-out
   subject imaged as T1w and as PDw goes into ``metrics["contrast_agreement"]``;
4. a figure of every contrast (image, prediction of every finished model, truth) goes to
   ``docs/zoo/<testset>.png`` (``<testset>-<target>.png`` for models of an extra target such
   as the brain mask).

    python scripts/finish_model.py --models A,B --testset T --records RECORDS [--no-figure]

refreshes the cards of bundled models from the records of a benchmark run already made
(e.g. the full suite behind the published board) instead of running it again: the records of
the bundled weights under the current inference procedure, in the precision they were run in,
on the test set's cases as they are now under ``out/testsets`` (they must be the cases the
records scored: the same builder, size and seed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BUNDLE = ROOT / "src" / "synthzoo" / "zoo" / "weights"


def bundle(run: Path, contrast: str | None) -> str:
    from synthzoo.zoo.card import WeightCard

    cards = [p for p in run.glob("*.json") if p.name not in ("config.json",)]
    cards = [p for p in cards if (run / (p.stem + ".safetensors")).exists()]
    if len(cards) != 1:
        sys.exit(f"{run}: expected one finished model (NAME.json + NAME.safetensors), found {len(cards)}; "
                 "has the training run finished?")
    card = continued(WeightCard.load(cards[0]))
    from synthzoo.generators import get_generator

    unit = get_generator(card.generator["generator"]).spacing_unit
    if card.spacing_unit != unit:  # a run begun before cards had the unit
        card = dataclasses.replace(card, spacing_unit=unit)
    if card.baseline:
        if not contrast:  # a later stage keeps the contrast the bundled card names
            path = BUNDLE / f"{card.name}.json"
            contrast = WeightCard.load(path).training.get("contrast") if path.exists() else None
        if not contrast:
            sys.exit(f"{card.name} is a narrow baseline: give --contrast (the test contrast it was trained on)")
        card = dataclasses.replace(card, training={**card.training, "contrast": contrast})
    BUNDLE.mkdir(parents=True, exist_ok=True)
    tmp = BUNDLE / f".{card.name}.safetensors.tmp"
    shutil.copyfile(run / card.weights_file, tmp)
    tmp.replace(BUNDLE / card.weights_file)
    card.save(BUNDLE / f"{card.name}.json")
    from halve_weights import halve_card

    print(halve_card(card.name))  # shipped in float16: half the size (see halve_weights.py)
    return card.name


def continued(card):
    """A run that started from the bundled model of the same name (a later stage, e.g. in a later
    session) gets the earlier stages in ``training["stages"]`` and their sums in
    ``training["total_steps"]`` / ``["total_wall_time_s"]``."""
    from synthzoo.zoo.card import WeightCard

    init, path = card.training.get("init_weights"), BUNDLE / f"{card.name}.json"
    if not init or not path.exists():
        return card
    old = WeightCard.load(path)
    # the bundled weights, or their float32 original (halve_weights.py keeps its sha256)
    if init["sha256"] not in (old.sha256, old.training.get("float32_sha256")):
        return card  # another model's weights (a curriculum's first stage)
    t = old.training
    stages = [dict(s) for s in t.get("stages", [])] or [
        {"stage": 1, "steps": t["steps"], "wall_time_s": t["wall_time_s"], "what": old.description,
         "command": old.command}]
    stages[-1].setdefault("weights_sha256", init["sha256"])
    stages.append({"stage": len(stages) + 1, "steps": card.training["steps"],
                   "wall_time_s": card.training["wall_time_s"], "what": card.description,
                   "weights_sha256": card.sha256, "command": card.command})
    steps, wall = sum(s["steps"] for s in stages), sum(s["wall_time_s"] for s in stages)
    training = {k: v for k, v in card.training.items() if k not in ("note",)}
    training.update(stages=stages, total_steps=steps, total_wall_time_s=round(wall, 1),
                    note=f"{steps} steps in {len(stages)} stages; CPU only, 1 thread, machine shared with other jobs")
    return dataclasses.replace(card, training=training)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="*", type=Path)
    ap.add_argument("--contrast", help="narrow baselines: the test contrast they were trained on "
                    "(default: the one the bundled card of the same name gives)")
    ap.add_argument("--testset", default="neuro-contrasts")
    ap.add_argument("--models", default="", help="bundled models to evaluate (default: the runs')")
    ap.add_argument("--records", type=Path, help="take the numbers from these benchmark records instead of running it")
    ap.add_argument("--root", type=Path, default=ROOT / "out" / "testsets", help="where the test sets are built")
    ap.add_argument("--no-figure", action="store_true", help="leave docs/zoo/<testset>.png as it is")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    names = [n for n in args.models.split(",") if n]
    if args.runs:  # bundle, then evaluate in a fresh interpreter that registers the new cards
        names += [bundle(r, args.contrast) for r in args.runs]
        import os

        os.execv(sys.executable, [sys.executable, __file__, "--models", ",".join(names),
                                  "--testset", args.testset])
    if not names:
        sys.exit("nothing to evaluate: give RUN_DIRs or --models")
    from synthzoo.benchmarks import records as rec
    from synthzoo.benchmarks.baselines import BASELINES
    from synthzoo.benchmarks.runner import run, zoo_version

    root = args.root
    if args.records:
        if not args.records.is_file():
            sys.exit(f"{args.records}: no such records file")
        df = rec.frame(args.records)
        from synthzoo.zoo.inference import PRECISIONS
        from synthzoo.zoo.models import get_card

        # the precision the bundled weights were run in: the one whose model versions the records hold
        versions = set(df.loc[df["testset"] == args.testset, "model_version"])
        kinds = [p for p in PRECISIONS if p != "auto"
                 and all(zoo_version(get_card(n).sha256, p) in versions for n in names)]
        if len(kinds) != 1:
            sys.exit(f"{args.records}: expected the records of the bundled {', '.join(names)} on {args.testset} "
                     f"in one precision, found {kinds or 'none'}")
        precision = kinds[0]
        command = (f"python scripts/finish_model.py --models {','.join(names)} --testset {args.testset} "
                   f"--records {args.records} (the numbers of that benchmark run)")
    else:
        out = ROOT / "out" / f"zoo-eval-{args.testset}"
        command = f"python scripts/finish_model.py --models {','.join(names)} --testset {args.testset}"
        precision = run(names + BASELINES.names(), [args.testset], root, out)["precision"]
        df = rec.frame(out / "records.jsonl")
    from synthzoo.zoo.models import get_card

    # only the records of the weights bundled now under the current inference procedure and
    # precision (the folder also holds earlier versions')
    current = {n: zoo_version(get_card(n).sha256, precision) for n in names}
    df = df[[current.get(m, v) == v for m, v in zip(df["model"], df["model_version"])]]
    # the folder may hold cases of an earlier build of the test set: only the cases as they are
    # now count (an unchanged case keeps its earlier record, so this goes by the case's checksum)
    import synthzoo.datasets as ds
    from synthzoo.benchmarks.runner import checksums

    now = set(checksums(ds.open(args.testset, root))[1].items())
    df = df[[(c, h) in now for c, h in zip(df["case"], df["case_sha256"])]]
    fg = df[df["label"] != "background"]
    table = fg.groupby(["model", "contrast"])["dice"].mean().unstack()
    print(table.round(3).to_string())
    objects = fg.dropna(subset=["object_f1"]).groupby(["model", "contrast"])["object_f1"].mean().unstack()
    if len(objects):
        print("object F1 (true instances)\n" + objects.round(3).to_string())
    from synthzoo.zoo.card import WeightCard

    missing = [n for n in names if n not in table.index]
    if missing:
        sys.exit(f"no current records of {', '.join(missing)} on {args.testset} (weights, inference "
                 f"version {precision} and cases as bundled and built now)")
    # the agreement and the figure predict as the benchmark did
    agreement = contrast_agreement(names, root, args.testset, precision) if args.testset == "neuro-contrasts" else {}
    for name in names:
        path = BUNDLE / f"{name}.json"
        card = WeightCard.load(path)
        bench = {"description": (f"mean foreground Dice per contrast on {args.testset} (held-out anatomy, "
                                 "default size and cases), from synthzoo.benchmarks.runner"),
                 "command": command, "precision": precision,
                 **{c: round(float(v), 4) for c, v in table.loc[name].items() if v == v}}  # no NaN (other test sets)
        if name in objects.index:
            bench["object_f1"] = {c: round(float(v), 4) for c, v in objects.loc[name].items() if v == v}
        metrics = {**card.metrics, "benchmark": bench}
        if name in agreement:
            metrics["contrast_agreement"] = agreement[name]
        dataclasses.replace(card, metrics=metrics).save(path)
        print(name, json.dumps(metrics.get("contrast_agreement")))
    if not args.no_figure:
        figure(names, root, args.testset, precision)


def _predict(name: str, case, precision: str) -> np.ndarray:
    """The label map the benchmark scores (the runner's own prediction path, the network run
    in the benchmark run's ``precision``)."""
    from synthzoo.benchmarks.runner import _zoo_predict
    from synthzoo.zoo.models import create_model, get_card

    return _zoo_predict(create_model(name, pretrained=True, offline=True), get_card(name), case, "cpu",
                        precision=precision)


def _z(arr: np.ndarray, axes: str) -> int:
    return axes.index("z") if "z" in axes else arr.ndim - 1


def _plane(arr: np.ndarray, axes: str, k: int | None = None) -> np.ndarray:
    """A 2D view: the plane at index ``k`` along z (a 2D array as it is)."""
    return arr if arr.ndim == 2 else np.take(arr, k, axis=_z(arr, axes))


def _best_plane(labels: np.ndarray, axes: str) -> int | None:
    """The z index with the most foreground (``None`` for 2D)."""
    if labels.ndim == 2:
        return None
    z = _z(labels, axes)
    return int(np.argmax((labels > 0).sum(tuple(i for i in range(labels.ndim) if i != z))))


def contrast_agreement(names: list[str], root: Path, testset: str, precision: str) -> dict:
    """Dice between the predicted maps (tissue or brain mask) of one held-out subject imaged as
    T1w GRE and as PDw SE (the same anatomy, two contrasts), per model."""
    import synthzoo.datasets as ds
    from synthzoo.zoo.heldout import dice_per_class
    from synthzoo.zoo.models import get_card

    ts = ds.open(testset, root)
    by = {}
    for c in ts:
        s = c.attrs["parameters"].get("subject")
        if s:
            by.setdefault(s, {})[c.contrast] = c
    pairs = [(s, v["t1w-gre-1.5t"], v["pdw-se-1.5t"]) for s, v in sorted(by.items())
             if "t1w-gre-1.5t" in v and "pdw-se-1.5t" in v]
    out = {}
    for name in names:
        labels = get_card(name).label_names
        res = {}
        for s, a, b in pairs:
            pa, pb = _predict(name, a, precision), _predict(name, b, precision)
            d = dice_per_class(pa, pb, len(labels))[1:]
            res[f"subject {s}"] = {**{n: round(v, 4) for n, v in zip(labels[1:], d)},
                                   "mean": round(float(np.mean(d)), 4)}
        what = "tissue maps" if len(labels) > 2 else f"{labels[1]} masks"
        out[name] = {"description": f"Dice between the predicted {what} of the same held-out subject "
                                    "imaged as t1w-gre-1.5t and pdw-se-1.5t", **res}
    return out


def figure(names: list[str], root: Path, testset: str, precision: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import synthzoo.datasets as ds
    from synthzoo._io import save_figure

    from synthzoo.benchmarks.runner import target_of
    from synthzoo.zoo.models import get_card

    ts = ds.open(testset, root)
    target = {target_of(ts.card, get_card(n).label_names) for n in names}
    if len(target) != 1 or None in target:
        sys.exit(f"figure: the models {', '.join(names)} do not share one target of {testset}")
    target = target.pop()
    from synthzoo.datasets.registry import targets

    K = len(targets(ts.card)[target])  # a boundary class is folded into its object
    cases = {}
    for c in ts:
        cases.setdefault(c.contrast, c)
    cols = 2 + len(names)
    fig, axes = plt.subplots(len(cases), cols, figsize=(2.2 * cols, 2.4 * len(cases)), squeeze=False)
    for r, (contrast, case) in enumerate(cases.items()):
        ax_order = str(case.attrs.get("axes", "xyz"))
        img, truth = np.asarray(case.image), np.asarray(getattr(case, target))
        k = _best_plane(truth, ax_order)
        panels = [(_plane(img, ax_order, k), "gray", contrast)]
        for n in names:
            p = _predict(n, case, precision)
            fg = range(1, K)
            d = [2 * np.sum((p == j) & (truth == j)) / max(np.sum(p == j) + np.sum(truth == j), 1) for j in fg]
            panels.append((_plane(p, ax_order, k), "viridis", f"{n}\nmean fg Dice {np.mean(d):.2f}"))
        panels.append((_plane(truth, ax_order, k), "viridis", "truth"))
        for c, (arr, cm, title) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(np.rot90(arr) if ax_order == "xyz" else arr, cmap=cm,
                      **({"vmin": 0, "vmax": K - 1, "interpolation": "nearest"} if c else {}))
            ax.set_title(title, fontsize=6)
            ax.axis("off")
    fig.suptitle(f"{testset}: unseen contrasts (one case each; Dice over the whole case)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (2.4 * len(cases))))  # room for the title
    path = ROOT / "docs" / "zoo" / (f"{testset}.png" if target == "labels" else f"{testset}-{target}.png")
    save_figure(fig, path, dpi=80)
    print(path)


if __name__ == "__main__":
    main()
