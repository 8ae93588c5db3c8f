"""Check the bundled models on real images that are not in this repository.

    python scripts/check_real_images.py [--out out/real-images] [--data DIR]

Real images, with their sources:

* **Nuclei**: the fluorescence image of the 2018 Data Science Bowl (BBBC038, Caicedo et al.,
  Nature Methods 2019; CC0) with its hand-drawn instance mask, as shipped inside the stardist
  0.9.2 wheel on PyPI (``stardist/data/images/img2d.tif``, ``mask2d.tif``).  The wheel is
  fetched with ``pip download`` (pinned file, sha256 checked before it is opened) into
  ``--data``; nothing of it is committed.  Every fluorescence model is run as a user runs it
  (``synthzoo predict MODEL img2d.tif OUT.tif --instances``: the file has no pixel size, so
  the nuclei's size is measured), and scored against the mask: foreground Dice and object F1
  (IoU > 0.5), beside Otsu's threshold with connected components (as is, and with objects
  under 30 pixels removed).
* **Brain, a real T1 cropped inside the brain**: ``anatomical.nii`` from nibabel's test data
  (installed with nibabel: 33 x 41 x 25 voxels of 2 mm, big-endian int16, LAS; its field of
  view, 66 x 82 x 50 mm, lies inside the brain).  No truth comes with it: the tissue maps of
  the tissue models (and the brain model's mask) are drawn, with the share of each class.
* **Brain, the real MNI152 T1 cropped the same way** (truth: the template's tissue labels,
  held-out slab): mean foreground Dice of each tissue model on central crops of 66 x 82 mm
  (the size of ``anatomical.nii``) and 100 x 120 mm, against the same model's prediction of
  the whole slice on the same region.

Writes ``report.json`` and ``real-images.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

WHEEL = "stardist-0.9.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "2316c0feb7bd5621e7a277cb3868df475c338943c591925c420ee3622c42f023"
NUCLEI_FILES = {"img2d.tif": "stardist/data/images/img2d.tif", "mask2d.tif": "stardist/data/images/mask2d.tif"}
NUCLEI_MODELS = ("fluorescence-nuclei-unet-2d", "fluorescence-nuclei-unet-2d-widefield",
                 "fluorescence-nuclei-stack-unet-2d", "fluorescence-nuclei-stack-unet-2d-widefield")
TISSUE_MODELS = ("neuro-mri-tissue-unet-2d", "neuro-mri-tissue-unet-2d-t1w")
BRAIN_MODEL = "neuro-mri-brain-unet-2d"
CROPS_MM = ((66, 82), (100, 120))
MIN_OBJECT = 30  # px: specks of noise, not nuclei (the true nuclei have a median of 440 px)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def nuclei_data(data: Path) -> dict[str, Path]:
    """The DSB2018 image and mask, extracted from the pinned stardist wheel (verified)."""
    out = {name: data / name for name in NUCLEI_FILES}
    if all(p.exists() for p in out.values()):
        return out
    data.mkdir(parents=True, exist_ok=True)
    wheel = data / WHEEL
    if not wheel.exists() or sha256(wheel) != WHEEL_SHA256:
        with tempfile.TemporaryDirectory(dir=data) as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "stardist==0.9.2", "--no-deps",
                   "--only-binary=:all:", "--platform", "manylinux_2_28_x86_64", "--python-version",
                   "3.11", "--implementation", "cp", "-d", tmp, "-q"]
            done = subprocess.run(cmd, capture_output=True, text=True)
            got = Path(tmp) / WHEEL
            if done.returncode or not got.exists():
                sys.exit(f"pip download stardist==0.9.2 failed (needs PyPI): {done.stderr.strip()[-300:]}")
            if sha256(got) != WHEEL_SHA256:
                sys.exit(f"{WHEEL}: sha256 {sha256(got)} is not the pinned {WHEEL_SHA256}; not used")
            got.replace(wheel)
    with zipfile.ZipFile(wheel) as z:
        for name, member in NUCLEI_FILES.items():
            tmp = out[name].with_suffix(".part")
            tmp.write_bytes(z.read(member))
            tmp.replace(out[name])
    return out


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * np.sum(a & b) / max(1, a.sum() + b.sum()))


def tissue_dice(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([dice(pred == c, truth == c) for c in (1, 2, 3)]))


def predict(model: str, image: Path, out: Path, *extra: str) -> str:
    """``synthzoo predict`` as a user runs it; returns what it printed."""
    cmd = [sys.executable, "-m", "synthzoo", "predict", model, str(image), str(out),
           "--no-progress", "--overwrite", "--offline", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return (done.stdout + done.stderr).strip()


def check_nuclei(files: dict[str, Path], work: Path) -> tuple[dict, dict]:
    import tifffile
    from scipy import ndimage
    from skimage.filters import threshold_otsu
    from skimage.morphology import remove_small_objects

    from synthzoo.metrics import object_f1

    image = tifffile.imread(files["img2d.tif"])
    truth_ids = tifffile.imread(files["mask2d.tif"])
    truth = truth_ids > 0
    rows, maps = {}, {"image": image, "truth": truth_ids}
    for model in NUCLEI_MODELS:
        path = work / f"{model}.tif"
        said = predict(model, files["img2d.tif"], path, "--instances")
        ids = tifffile.imread(path)
        rows[model] = {"dice": round(dice(ids > 0, truth), 4),
                       "object_f1": round(object_f1(ids > 0, truth, pred_instances=ids, truth_instances=truth_ids), 4),
                       "objects": int(len(np.unique(ids)) - 1),
                       "notice": next((ln for ln in said.splitlines() if "measured" in ln), "")}
        maps[model] = ids
    otsu = image > threshold_otsu(image)
    for key, mask in (("otsu", otsu), (f"otsu, objects under {MIN_OBJECT} px removed",
                                        remove_small_objects(otsu, max_size=MIN_OBJECT - 1))):
        ids, n = ndimage.label(mask)
        rows[key] = {"dice": round(dice(mask, truth), 4),
                     "object_f1": round(object_f1(mask, truth, pred_instances=ids, truth_instances=truth_ids), 4),
                     "objects": int(n)}
        maps[key] = ids
    return {"image": "DSB2018 (BBBC038) via stardist 0.9.2 img2d.tif", "shape": list(image.shape),
            "dtype": str(image.dtype), "truth_objects": int(len(np.unique(truth_ids)) - 1), "models": rows}, maps


def check_brain_crop(work: Path) -> tuple[dict, dict]:
    import nibabel as nib
    from nibabel.testing import data_path

    src = Path(data_path) / "anatomical.nii"
    img = nib.load(src)
    rows, maps = {}, {"image": np.asarray(img.dataobj, np.float32)}
    for model in (*TISSUE_MODELS, BRAIN_MODEL):
        path = work / f"anatomical-{model}.nii.gz"
        predict(model, src, path)
        lab = np.asarray(nib.load(path).dataobj)
        share = np.bincount(lab.ravel().astype(np.int64), minlength=2) / lab.size
        rows[model] = {"share_per_class": [round(float(s), 4) for s in share]}
        maps[model] = lab
    return {"image": "nibabel tests/data/anatomical.nii", "shape": list(img.shape),
            "zooms": [float(z) for z in img.header.get_zooms()], "models": rows}, maps


def check_mni_crops() -> dict:
    from synthzoo.generators.physics import anatomy
    from synthzoo.zoo.models import create_model, get_card
    from synthzoo.zoo.predict import predict_array

    t1 = anatomy.template_t1().astype(np.float32)[..., anatomy.heldout_z()]
    truth = anatomy.heldout_labels(1.0)
    x, y, _ = t1.shape
    out = {}
    for name in TISSUE_MODELS:
        card, model = get_card(name), create_model(name, pretrained=True, offline=True)

        def seg(a: np.ndarray) -> np.ndarray:
            return predict_array(model, card, a, spacing=(1.0, 1.0, 1.0), precision="float32").argmax(0)

        whole = seg(t1)
        rows = {}
        for w, h in CROPS_MM:  # central crops (1 mm voxels), moved 10 mm forward onto the brain
            sl = (slice(x // 2 - w // 2, x // 2 + w // 2), slice(y // 2 - h // 2 + 10, y // 2 + h // 2 + 10))
            rows[f"{w}x{h}mm"] = {"whole_slice": round(tissue_dice(whole[sl], truth[sl]), 4),
                                  "crop": round(tissue_dice(seg(t1[sl]), truth[sl]), 4)}
        out[name] = rows
    return out


def figure(nuclei: dict, brain: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage.color import label2rgb

    nuc = ["truth", *NUCLEI_MODELS, f"otsu, objects under {MIN_OBJECT} px removed"]
    fig, axes = plt.subplots(2, len(nuc) + 1, figsize=(2.4 * (len(nuc) + 1), 5.2))
    img = nuclei["image"].astype(np.float32)
    axes[0, 0].imshow(img, cmap="gray")
    axes[0, 0].set_title("DSB2018 nuclei", fontsize=8)
    for ax, key in zip(axes[0, 1:], nuc):
        ax.imshow(label2rgb(nuclei[key], image=img / max(1.0, float(img.max())), bg_label=0, alpha=0.45))
        ax.set_title(key.replace("fluorescence-nuclei-", "").replace(", objects", "\nobjects"), fontsize=8)
    z = brain["image"].shape[2] // 2
    panels = [("anatomical.nii T1 (2 mm crop)", brain["image"][..., z], "gray", None),
              *[(m, brain[m][..., z], "viridis", (0, 3)) for m in TISSUE_MODELS],
              (BRAIN_MODEL, brain[BRAIN_MODEL][..., z], "viridis", (0, 1))]
    for ax, (title, a, cmap, lim) in zip(axes[1], panels):
        ax.imshow(a.T, cmap=cmap, origin="lower", **({"vmin": lim[0], "vmax": lim[1]} if lim else {}))
        ax.set_title(title, fontsize=8)
    for ax in axes.ravel():
        ax.axis("off")
    fig.tight_layout()
    tmp = path.with_suffix(".part.png")
    fig.savefig(tmp, dpi=80)
    plt.close(fig)
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "real-images")
    ap.add_argument("--data", type=Path, default=None, help="where the fetched wheel and images go (default OUT/data)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "predictions"
    work.mkdir(exist_ok=True)
    nuclei, nuclei_maps = check_nuclei(nuclei_data(args.data or args.out / "data"), work)
    brain, brain_maps = check_brain_crop(work)
    report = {"nuclei": nuclei, "brain_crop": brain, "mni152_crops": check_mni_crops()}
    from synthzoo._io import write_text

    write_text(args.out / "report.json", json.dumps(report, indent=1))
    figure(nuclei_maps, brain_maps, args.out / "real-images.png")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
