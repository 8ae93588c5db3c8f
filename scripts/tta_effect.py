"""Mean foreground Dice per contrast of a bundled model with and without mirror test-time
augmentation, through the benchmark runner's own prediction path.

    python scripts/tta_effect.py MODEL TESTSET [--root out/testsets] [--precision float32]

The test set must be built under ``--root`` (``synthzoo datasets build TESTSET --root ...``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("testset")
    ap.add_argument("--root", default=str(ROOT / "out" / "testsets"))
    ap.add_argument("--precision", default="float32")
    args = ap.parse_args(argv)

    import numpy as np

    import synthzoo.datasets as ds
    from synthzoo.benchmarks import runner
    from synthzoo.datasets.registry import targets
    from synthzoo.metrics import confusion, per_label
    from synthzoo.zoo import predict
    from synthzoo.zoo.models import create_model, get_card

    card, model = get_card(args.model), create_model(args.model, pretrained=True, offline=True)
    ts = ds.open(args.testset, args.root)
    names = targets(ts.card)["labels"]
    scores: dict[str, dict[str, list[float]]] = {"no-tta": {}, "tta": {}}
    for mode, flag in (("no-tta", False), ("tta", True)):
        for case in ts.cases.values():
            pred = runner._zoo_predict(model, card, case, "cpu", precision=args.precision, tta=flag)
            mask = None if case.mask is None else np.asarray(case.mask)
            m = per_label(confusion(pred, np.asarray(case.labels), len(names), mask))
            fg = [x["dice"] for n, x in zip(names, m) if n != "background"]
            scores[mode].setdefault(case.contrast, []).append(float(np.mean(fg)))
    print(f"{'contrast':<22} no-tta    tta   (axes {predict.tta_axes(card)[0]})")
    for c in scores["tta"]:
        a, b = (float(np.mean(scores[m][c])) for m in ("no-tta", "tta"))
        print(f"{c:<22} {a:.4f} {b:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
