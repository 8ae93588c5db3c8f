"""Widen a bundled zoo U-Net without changing what it computes, as the start of a wider stage.

    python scripts/widen_weights.py NAME --features N --out runs/NAME-wide.safetensors [--noise 0.01] [--seed 0]

Builds the network of the card ``NAME`` (``src/synthzoo/zoo/weights/NAME.json``), loads its
weights, widens it with :func:`synthzoo.zoo.unet.widen` (Net2WiderNet: the new channels copy
old ones and the layers after them split the weights) and writes the float32 weights to
``--out`` (never over an existing file; ``--bundle DIR`` reads the card and weights from DIR), then prints the file's sha256 and the largest change of
the network's output on a random patch.  Train on with the card's recipe plus
``--features N --init-weights OUT --init-sha256 SHA``; a narrow baseline is widened the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BUNDLE = ROOT / "src" / "synthzoo" / "zoo" / "weights"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("name")
    ap.add_argument("--features", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--noise", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bundle", type=Path, default=BUNDLE, help="folder of the card and weights (default: the package's)")
    args = ap.parse_args(argv)

    import torch
    from safetensors.torch import load_file, save_file

    from synthzoo._fetch import sha256_file
    from synthzoo._io import atomic_write
    from synthzoo.zoo.unet import UNet, widen

    card_path = args.bundle / f"{args.name}.json"
    if not card_path.is_file():
        print(f"error: {card_path}: no such card", file=sys.stderr)
        return 2
    if args.out.exists():
        print(f"error: {args.out}: exists; choose another --out", file=sys.stderr)
        return 2
    card = json.loads(card_path.read_text())
    model = UNet(**card["arch_kwargs"])
    model.load_state_dict(load_file(str(args.bundle / card["weights_file"])), strict=True)
    model.eval()
    g = torch.Generator().manual_seed(args.seed)
    wide = widen(model, args.features, noise=args.noise, generator=g).eval()
    size = card.get("patch_size") or [64] * card["dims"]
    x = torch.rand(1, card["in_channels"], *size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff = (wide(x) - model(x)).abs().max().item()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in wide.state_dict().items()}
    atomic_write(args.out, lambda p: save_file(state, str(p)))
    n_old = sum(p.numel() for p in model.parameters())
    n_new = sum(p.numel() for p in wide.parameters())
    print(json.dumps({"file": str(args.out), "sha256": sha256_file(args.out), "features": [card["arch_kwargs"]["features"], args.features],
                      "parameters": [n_old, n_new], "noise": args.noise, "max_logit_change": round(diff, 6)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
