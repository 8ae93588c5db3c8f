"""Cross-domain generalization benchmark runner: models x test sets x cases -> result records.

For each (model, test set, case) not yet done, the runner predicts a label map, compares it
with the case's labels chunk by chunk (:mod:`synthzoo.metrics`), and adds one record
per label to ``OUT/records.jsonl`` with a done marker (format, locking and integrity checks:
:mod:`synthzoo.benchmarks.records`).  A re-run skips runs whose rows match their marker and
recomputes the others, so no record is ever duplicated (DomainBed's pattern: append records,
mark runs done, build tables from records only).

Which models run where: zoo models only on test sets of their domain with the same label
names (``neuro-mri`` models on ``neuro-contrasts``); the classical baselines
(:mod:`synthzoo.benchmarks.baselines`) on every test set, calibrated on a separate build of
each test set with another seed under ``OUT/calibration``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from synthzoo.benchmarks import records as rec
from synthzoo.benchmarks.baselines import BASELINES, MAPPING_RULE
from synthzoo.metrics import label_metrics
from synthzoo.benchmarks.records import RECORDS, RecordError

BACKGROUND = "background"
#: labels whose connected components are instances (object F1 is computed for them)
OBJECT_LABELS = frozenset({"nucleus"})


def object_labels(card: Any) -> tuple[int, ...]:
    """Indices of the labels of test set ``card`` that are instances (:data:`OBJECT_LABELS`)."""
    return tuple(i for i, name in enumerate(card.label_names) if name in OBJECT_LABELS)


class BenchmarkError(ValueError):
    """Bad benchmark input (unknown model or test set); names what is valid."""


@dataclass(frozen=True)
class BenchModel:
    """A model as the benchmark sees it: a zoo model (weight card) or a baseline."""

    name: str
    kind: str  # "zoo", "narrow" (zoo card with baseline: true) or "classical"
    version: str  # weights sha256 or baseline version
    domain: str | None = None
    label_names: tuple[str, ...] | None = None
    trained_contrast: str | None = None  # narrow models: card training["contrast"]

    def applies_to(self, card: Any) -> bool:
        """Zoo models: same domain and label names as the test set; baselines: every set."""
        if self.kind == "classical":
            return True
        return self.domain == card.domain and tuple(self.label_names or ()) == tuple(card.label_names)


def zoo_names() -> list[str]:
    from synthzoo.zoo.models import bundled_cards

    return sorted(c.name for c in bundled_cards())


def all_model_names() -> list[str]:
    return zoo_names() + BASELINES.names()


def resolve_models(names: Iterable[str] | None = None) -> list[BenchModel]:
    """Bench models by name (default: every bundled zoo model and every baseline)."""
    from synthzoo.zoo.models import get_card

    names = list(names) if names is not None else all_model_names()
    zoo, out = set(zoo_names()), []
    for name in names:
        if name in zoo:
            c = get_card(name)
            trained = (c.training.get("contrast") or c.generator.get("contrast")) if c.baseline else None
            out.append(BenchModel(name, "narrow" if c.baseline else "zoo", c.sha256, c.domain,
                                  tuple(c.label_names), trained))
        elif name in BASELINES:
            out.append(BenchModel(name, "classical", str(BASELINES.get(name).version)))
        else:
            raise BenchmarkError(f"unknown model {name!r}; available: {', '.join(all_model_names())}")
    return out


def resolve_testsets(names: Iterable[str] | None = None) -> list[str]:
    from synthzoo.datasets import DATASETS

    valid = DATASETS.names()
    names = list(names) if names is not None else valid
    bad = [n for n in names if n not in valid]
    if bad:
        raise BenchmarkError(f"unknown test set(s) {', '.join(bad)}; available: {', '.join(valid)}")
    return names


@lru_cache(maxsize=1)
def provenance() -> dict[str, Any]:
    """Package version and git commit (``None`` outside a git checkout) of the running code."""
    import synthzoo

    here = Path(__file__).resolve().parent
    commit, dirty = None, None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return {"synthzoo_version": synthzoo.__version__, "git_commit": commit, "git_dirty": dirty}


def _open_or_build(name: str, root: Path, *, size: int, seed: int = 0):
    """Open test set ``name`` under ``root``; build it first (resumable) if it is not there."""
    import synthzoo.datasets as ds

    try:
        return ds.open(name, root)
    except ds.DatasetError:
        ds.build(name, root, size=size, seed=seed)
        return ds.open(name, root)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def run_key(model: BenchModel, card: Any, case: str) -> str:
    """Identity of one (model version, test set build, case) run; also its marker file name."""
    return "__".join(_safe(s) for s in (model.name, model.version[:12], card.name,
                                        f"size{card.size}-seed{card.seed}", case))


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Every record of a ``records.jsonl`` (:func:`synthzoo.benchmarks.records.read`)."""
    return rec.read(path)


def checksums(ts: Any) -> tuple[str, dict[str, str]]:
    """sha256 of a test set's manifest (the array checksums of every case) and of each case's."""
    def h(obj: Any) -> str:
        return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    cases = ts.manifest["cases"]
    return h(cases), {name: h(arrays) for name, arrays in cases.items()}


def _zoo_predict(model: Any, card: Any, case: Any, device: str) -> np.ndarray:
    from synthzoo.zoo.predict import predict_array

    axes = str(case.attrs.get("axes", "xyz"))
    zyx_2d = axes == "zyx" and card.dims == 2  # 2D models segment the yx planes, slice by slice
    if axes not in ("xyz", "yx") and not zyx_2d:
        raise BenchmarkError(f"{case.name}: zoo models expect 'xyz' (or 2D) axes, or 'zyx' for "
                             f"2D models; case has {axes!r}")
    img = np.asarray(case.image.compute(), np.float32)
    spacing = case.spacing
    if zyx_2d:  # predict_array slices a 3D image along its last axis: put z last
        img, spacing = np.moveaxis(img, 0, -1), (*spacing[1:], spacing[0])
    prob = predict_array(model, card, img, spacing=spacing, device=device)
    if zyx_2d:
        prob = np.moveaxis(prob, -1, 1)  # (K, y, x, z) -> (K, z, y, x)
    return prob.argmax(0).astype(np.uint8)


def predict_case(bm: BenchModel, case: Any, ctx: dict[str, Any], device: str) -> tuple[np.ndarray, str | None]:
    """Label map of ``case`` by ``bm`` (and the baseline's calibration note)."""
    if bm.kind != "classical":
        return _zoo_predict(ctx["model"], ctx["card"], case, device), None
    img = np.asarray(case.image.compute(), np.float32)
    mask = None if case.mask is None else np.asarray(case.mask.compute())
    return BASELINES.get(bm.name).predict(img, mask, ctx["mapping"]), ctx["calibration"]


def _calibration(bm: BenchModel, calib_set: Any, contrast: str, k: int) -> tuple[tuple[int, ...], str]:
    cases = [c for c in calib_set.cases.values() if c.contrast == contrast]
    if not cases:
        raise BenchmarkError(f"calibration build of {calib_set.card.name} has no case of contrast {contrast!r}")
    c = cases[0]
    mask = None if c.mask is None else np.asarray(c.mask.compute())
    mapping = BASELINES.get(bm.name).calibrate(np.asarray(c.image.compute(), np.float32),
                                               np.asarray(c.labels.compute()), mask, k)
    return mapping, f"{MAPPING_RULE}: {calib_set.card.name} seed {calib_set.card.seed} case {c.name}"


def run(models: Iterable[str] | None = None, testsets: Iterable[str] | None = None,
        root: str | Path | None = None, out: str | Path = "out/benchmark", *, device: str = "cpu",
        quick: bool = False, seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Run every applicable (model, test set, case) not yet done; returns a summary dict.

    ``root``: where the test sets are (default :func:`synthzoo.datasets.default_root`; with
    ``quick``, its ``quick`` subfolder, as :func:`synthzoo.datasets.build_all` builds them);
    missing test sets are built there.  Records go to ``OUT/records.jsonl``; a second run on
    the same ``out`` at the same time is refused (:class:`~synthzoo.benchmarks.records.RecordError`)."""
    t_start = time.perf_counter()
    bms = resolve_models(models)
    names = resolve_testsets(testsets)
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise BenchmarkError("device cuda asked for but no CUDA device is available; use cpu")
    out = Path(out)
    with rec.RecordStore(out) as store:  # locks OUT; drops runs whose rows do not match their marker
        return _run(store, bms, names, root, out, device=device, quick=quick, seed=seed,
                    progress=progress, t_start=t_start)


def _run(store: rec.RecordStore, bms: list[BenchModel], names: list[str], root: str | Path | None,
         out: Path, *, device: str, quick: bool, seed: int, progress: bool, t_start: float) -> dict[str, Any]:
    import synthzoo.datasets as ds
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    recon = store.reconciled
    base = Path(root) if root is not None else ds.default_root()
    sub = base / "quick" if quick else base
    calib_root = out / "calibration" / ("quick" if quick else "default")
    prov = provenance()
    jobs, sums = [], {}
    for name in names:
        b = ds.get_builder(name)
        ts = _open_or_build(name, sub, size=b.quick_size if quick else b.default_size)
        sums[name] = checksums(ts)
        for bm in bms:
            if bm.applies_to(ts.card):
                jobs.extend((bm, ts, case) for case in ts.cases.values())
    new = skipped = 0
    cache: dict[Any, Any] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("benchmark", total=len(jobs))
        for bm, ts, case in jobs:
            key = run_key(bm, ts.card, case.name)
            if store.is_done(key):
                skipped += 1
                bar.advance(task)
                continue
            bar.update(task, description=f"{bm.name} on {ts.card.name}/{case.name}")
            t0 = time.perf_counter()
            ctx: dict[str, Any] = {}
            if bm.kind != "classical":
                if bm.name not in cache:
                    from synthzoo.zoo.models import create_model, get_card

                    cache[bm.name] = (create_model(bm.name, pretrained=True, offline=True), get_card(bm.name))
                ctx["model"], ctx["card"] = cache[bm.name]
                import torch

                torch.manual_seed(seed)
            else:
                ck = (bm.name, ts.card.name, case.contrast)
                if ck not in cache:
                    if ts.card.name not in cache:
                        cache[ts.card.name] = _open_or_build(ts.card.name, calib_root, size=ts.card.size,
                                                             seed=ts.card.seed + 1)
                    cache[ck] = _calibration(bm, cache[ts.card.name], case.contrast, len(ts.card.label_names))
                ctx["mapping"], ctx["calibration"] = cache[ck]
            pred, calibration = predict_case(bm, case, ctx, device)
            metrics = label_metrics(pred, case.labels, len(ts.card.label_names), case.mask,
                                    spacing=case.spacing, object_labels=object_labels(ts.card))
            seconds = round(time.perf_counter() - t0, 3)
            now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            ts_sha, case_sha = sums[ts.card.name]
            rows = []
            for i, (label, m) in enumerate(zip(ts.card.label_names, metrics)):
                rows.append({
                    "schema_version": rec.SCHEMA_VERSION, "run_key": key, "model": bm.name,
                    "model_kind": bm.kind, "model_version": bm.version, "trained_contrast": bm.trained_contrast,
                    "testset": ts.card.name, "testset_domain": ts.card.domain, "testset_size": ts.card.size,
                    "testset_seed": ts.card.seed, "case": case.name, "case_seed": case.attrs.get("seed"),
                    "contrast": case.contrast, "label": label, "label_index": i,
                    "foreground": label != BACKGROUND,
                    **{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in m.items()},
                    "calibration": calibration, **prov,
                    "weights_sha256": bm.version if bm.kind != "classical" else None,
                    "testset_sha256": ts_sha, "case_sha256": case_sha[case.name],
                    "device": device, "seed": seed, "time": now, "seconds": seconds})
            store.add_run(key, rows)
            new += 1
            bar.advance(task)
    return {"records": str(store.path), "runs": len(jobs), "new": new, "skipped": skipped,
            "dropped_unfinished_records": recon.dropped_rows, "recomputed_runs": len(recon.dropped_runs),
            "notes": recon.notes(store.path), "seconds": round(time.perf_counter() - t_start, 2)}
