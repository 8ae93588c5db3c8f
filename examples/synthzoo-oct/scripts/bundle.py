"""Bundle finished training runs into this package and record their benchmark numbers.

    python scripts/bundle.py RUN_DIR [RUN_DIR ...] [--records RECORDS.jsonl]

Each run (the ``OUT`` of ``scripts/train.sh NAME OUT``) holds ``NAME.safetensors`` and its card
``NAME.json``; both are copied into ``src/synthzoo_oct/weights/`` after the weights are checked
against the card's sha256.  With ``--records`` (the ``records.jsonl`` of
``synthzoo bench run --testsets oct-retina-devices --models NAME,...``), the mean foreground
Dice per contrast of each model goes into its card's ``metrics["benchmark"]``.
Reinstall the package afterwards (``pip install ./examples/synthzoo-oct``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

from synthzoo.zoo.card import WeightCard
from synthzoo.zoo.weights import sha256_file

WEIGHTS = Path(__file__).resolve().parents[1] / "src" / "synthzoo_oct" / "weights"


def benchmark(records: Path, model: str, command: str) -> dict:
    dice: dict[str, list[float]] = defaultdict(list)
    size = None
    for line in records.read_text().splitlines():
        r = json.loads(line)
        if r["model"] == model and r["foreground"] and r["dice"] is not None:
            dice[r["contrast"]].append(r["dice"])
            size = r["testset_size"]
    if not dice:
        sys.exit(f"{records}: no records of {model}")
    return {"description": f"mean foreground Dice per contrast on oct-retina-devices (size {size}, "
                           "held-out geometry), from synthzoo bench run",
            "command": command, **{c: round(sum(v) / len(v), 4) for c, v in dice.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--records", type=Path)
    ap.add_argument("--command", default="synthzoo bench run --testsets oct-retina-devices "
                                          "--models oct-retina-layers-unet-2d,oct-retina-layers-unet-2d-fixed")
    args = ap.parse_args()
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    for run in args.runs:
        cards = [p for p in run.glob("*.json") if (run / f"{p.stem}.safetensors").is_file()]
        if len(cards) != 1:
            sys.exit(f"{run}: expected one finished model (NAME.json + NAME.safetensors), found {len(cards)}")
        card = WeightCard.load(cards[0])
        src = run / card.weights_file
        if sha256_file(src) != card.sha256:
            sys.exit(f"{src}: does not match the sha256 of its card {cards[0]}")
        if args.records:
            card = dataclasses.replace(card, metrics={**card.metrics,
                                                      "benchmark": benchmark(args.records, card.name, args.command)})
        shutil.copyfile(src, WEIGHTS / card.weights_file)
        card.save(WEIGHTS / f"{card.name}.json")
        print(f"{card.name}: {WEIGHTS / card.weights_file} (sha256 {card.sha256[:12]})")


if __name__ == "__main__":
    main()
