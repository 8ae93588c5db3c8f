import json

import pytest

NEURO, FLUO = "neuro-contrasts", "fluorescence-nuclei"
T1, CT = "t1w-gre-1.5t", "ct"
NEURO_LABELS = ("background", "csf", "gray_matter", "white_matter")


def record(model, kind, testset, contrast, case, label, dice, *, trained=None, version=None, **kw):
    neuro = testset == NEURO
    labels = NEURO_LABELS if neuro else ("background", "nucleus")
    version = version or ("1" if kind == "classical" else "c" * 64)
    r = {"schema_version": 2, "run_key": f"{model}__{testset}__{case}", "model": model, "model_kind": kind,
         "model_version": version, "trained_contrast": trained, "testset": testset,
         "testset_domain": "neuro-mri" if neuro else "fluorescence", "testset_size": 48, "testset_seed": 0,
         "case": case, "case_seed": 7, "contrast": contrast, "label": label, "label_index": labels.index(label),
         "foreground": label != "background", "dice": dice, "volume_similarity": None if dice is None else 0.9,
         "hd95": None if dice is None else 4.0 - 3 * dice, "assd": None if dice is None else 2.0 - 2 * dice,
         "object_f1": None,
         "n_truth": 100, "n_pred": 90, "calibration": "rule" if kind == "classical" else None,
         "synthzoo_version": "0.1.0", "git_commit": "0123456789abcdef0123456789abcdef01234567", "git_dirty": False,
         "weights_sha256": None if kind == "classical" else version, "testset_sha256": "a" * 64,
         "case_sha256": "b" * 64, "device": "cpu", "seed": 0, "time": "2026-01-01T00:00:00+00:00", "seconds": 0.5}
    r.update(kw)
    return r


def case_rows(model, kind, testset, contrast, case, fg, **kw):
    """Rows of one case: background 0.99 plus the foreground Dice values ``fg`` in label order."""
    labels = NEURO_LABELS[1:] if testset == NEURO else ("nucleus",)
    return [record(model, kind, testset, contrast, case, "background", 0.99, **kw)] + [
        record(model, kind, testset, contrast, case, lab, d, **kw) for lab, d in zip(labels, fg)]


def board_rows():
    """unet (randomized) and narrow-t1 (narrow, trained on T1) on two neuro contrasts, two cases
    each; multi-otsu (classical) on neuro and on fluorescence (no narrow baseline there)."""
    rows = []
    # unet: T1 cases 0.6 and 0.8 -> 0.7 ± 0.1; CT cases 0.5, 0.3 -> 0.4 ± 0.1
    rows += case_rows("unet", "zoo", NEURO, T1, "t1-000", (0.5, 0.6, 0.7))
    rows += case_rows("unet", "zoo", NEURO, T1, "t1-001", (0.7, 0.8, 0.9))
    rows += case_rows("unet", "zoo", NEURO, CT, "ct-000", (0.4, 0.5, 0.6))
    rows += case_rows("unet", "zoo", NEURO, CT, "ct-001", (0.3, 0.3, None))
    # narrow-t1: T1 0.9 and 0.9 -> 0.9 ± 0; CT 0.1 and 0.2 (gm/wm only; csf absent) -> 0.15 ± 0.05
    kw = {"trained": T1, "version": "d" * 64}
    rows += case_rows("narrow-t1", "narrow", NEURO, T1, "t1-000", (0.9, 0.9, 0.9), **kw)
    rows += case_rows("narrow-t1", "narrow", NEURO, T1, "t1-001", (0.8, 1.0, 0.9), **kw)
    rows += case_rows("narrow-t1", "narrow", NEURO, CT, "ct-000", (None, 0.1, 0.1), **kw)
    rows += case_rows("narrow-t1", "narrow", NEURO, CT, "ct-001", (None, 0.2, 0.2), **kw)
    # multi-otsu: T1 one case 0.75; CT one case 0.45
    rows += case_rows("multi-otsu", "classical", NEURO, T1, "t1-000", (0.75, 0.75, 0.75))
    rows += case_rows("multi-otsu", "classical", NEURO, CT, "ct-000", (0.45, 0.45, 0.45))
    for contrast, d in (("widefield", 0.6), ("confocal", 0.8)):
        rows += case_rows("multi-otsu", "classical", FLUO, contrast, f"{contrast}-000", (d,))
    return rows


@pytest.fixture
def rows():
    return board_rows()


@pytest.fixture
def records_file(tmp_path):
    def write(rows, name="records.jsonl"):
        path = tmp_path / name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path

    return write
