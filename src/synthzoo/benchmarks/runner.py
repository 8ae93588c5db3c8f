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
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from synthzoo.benchmarks import records as rec
from synthzoo.benchmarks.baselines import BASELINES, MAPPING_RULE
from synthzoo.benchmarks.records import RECORDS, RecordError
from synthzoo.metrics import label_metrics
from synthzoo.zoo.instances import BOUNDARY

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
    version: str  # zoo: weights sha256 "+inference" N (:func:`zoo_version`); baselines: their version
    domain: str | None = None
    label_names: tuple[str, ...] | None = None
    trained_contrast: str | None = None  # narrow models: card training["contrast"]

    @property
    def weights_sha256(self) -> str | None:
        """The weights' sha256 (the version before its ``+inference`` suffix); ``None`` for
        classical baselines."""
        return None if self.kind == "classical" else self.version.partition("+")[0]

    def applies_to(self, card: Any) -> bool:
        """Zoo models: same domain as the test set and the label names of one of its targets
        (:func:`target_of`); baselines: every set."""
        if self.kind == "classical":
            return True
        return self.domain == card.domain and self.target(card) is not None

    def target(self, card: Any) -> str | None:
        """The case array this model is scored on in test set ``card``: ``labels`` for
        classical baselines and zoo models with the test set's label names, else the extra
        target (e.g. ``brain``) with the model's label names; ``None`` when there is none."""
        if self.kind == "classical":
            return "labels"
        return target_of(card, self.label_names or ())


def target_of(card: Any, label_names: Iterable[str]) -> str | None:
    """The target of test set ``card`` whose label names are ``label_names`` (``None``: none)."""
    from synthzoo.datasets.registry import targets

    names = tuple(n for n in label_names if n != BOUNDARY)  # a boundary class folds into its object
    return next((t for t, ls in targets(card).items() if ls == names), None)


def zoo_names() -> list[str]:
    from synthzoo.zoo.models import pretrained

    return sorted(pretrained())


def all_model_names() -> list[str]:
    return zoo_names() + BASELINES.names()


def zoo_version(weights_sha256: str, precision: str = "float32", tta: bool = True) -> str:
    """A zoo model's version in the records: its weights, the inference procedure
    (:data:`synthzoo.zoo.predict.INFERENCE_VERSION`; ``-nomirror`` when its mirror averaging
    is off, as in suite ``main``) and, when not float32, the precision the network ran in
    (``-bfloat16``), so that a change of any of them is a new run."""
    from synthzoo.zoo.predict import INFERENCE_VERSION

    return (f"{weights_sha256}+inference{INFERENCE_VERSION}" + ("" if tta else f"-{rec.NOMIRROR}")
            + ("" if precision == "float32" else f"-{precision}"))


def with_inference(bms: Iterable[BenchModel], precision: str, tta: bool = True) -> list[BenchModel]:
    """``bms`` with the zoo models' versions (:func:`zoo_version`, float32, mirrored) made those
    of a run in ``precision`` (a resolved one) with mirror averaging ``tta``; other versions are
    kept as they are."""
    return [replace(bm, version=zoo_version(bm.weights_sha256, precision, tta))
            if bm.kind != "classical" and bm.weights_sha256 and bm.version == zoo_version(bm.weights_sha256)
            else bm for bm in bms]


def _short_version(version: str) -> str:
    """``version`` for a run key: a sha256 cut to 12 characters, with its ``+`` suffix kept."""
    head, plus, tail = version.partition("+")
    return head[:12] + (f"+{tail}" if plus else "")


def resolve_models(names: Iterable[str] | None = None) -> list[BenchModel]:
    """Bench models by name (default: every bundled zoo model and every baseline)."""
    from synthzoo.zoo.models import get_card

    names = list(names) if names is not None else all_model_names()
    zoo, out = set(zoo_names()), []
    for name in names:
        if name in zoo:
            c = get_card(name)
            trained = (c.training.get("contrast") or c.generator.get("contrast")) if c.baseline else None
            out.append(BenchModel(name, "narrow" if c.baseline else "zoo", zoo_version(c.sha256), c.domain,
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


def _open_or_build(name: str, root: Path, *, size: int, seed: int = 0, cases: int | None = None):
    """Open test set ``name`` under ``root``; build it first (resumable) if it is not there
    (``cases`` per contrast; ``None``: the builder's default).  A store written by another
    version of the builder (:attr:`~synthzoo.datasets.base.TestSetBuilder.version`) is rebuilt
    with its own size, cases, seed and contrasts, and replaced once whole."""
    import synthzoo.datasets as ds
    from synthzoo.datasets.store import stored_settings

    try:
        ts = ds.open(name, root)
    except ds.DatasetError:
        ds.build(name, root, size=size, seed=seed, cases=cases)
        return ds.open(name, root)
    old, version = stored_settings(ts), ds.get_builder(name).version
    if old.get("version") != version:
        print(f"{ts.path}: built by version {old.get('version')} of the {name} builder, now "
              f"{version}: rebuilding it", flush=True)
        ds.build(name, root, size=old.get("size", size), seed=old.get("seed", seed),
                 cases=old.get("cases", cases), contrasts=old.get("contrasts"))
        ts = ds.open(name, root)
    return ts


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def run_key(model: BenchModel, card: Any, case: str, case_sha256: str) -> str:
    """Identity of one (model version, test set build, case) run; also its marker file name.
    The case's content hash is part of it: a case that a later builder writes differently is
    a new run, never one already done."""
    return "__".join(_safe(s) for s in (model.name, _short_version(model.version), card.name,
                                        f"size{card.size}-seed{card.seed}", case, case_sha256[:12]))


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Every record of a ``records.jsonl`` (:func:`synthzoo.benchmarks.records.read`)."""
    return rec.read(path)


def checksums(ts: Any) -> tuple[str, dict[str, str]]:
    """sha256 of a test set's manifest (the array checksums of every case) and of each case's."""
    def h(obj: Any) -> str:
        return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    cases = ts.manifest["cases"]
    return h(cases), {name: h(arrays) for name, arrays in cases.items()}


def _zoo_probabilities(model: Any, card: Any, case: Any, device: str, precision: str = "float32",
                       tta: bool = True) -> np.ndarray:
    """Class probabilities ``(K, *case layout)`` of a zoo model on ``case`` (the network run
    in ``precision``; ``tta``: mirror averaging, part of the inference procedure the records'
    model versions name (:func:`zoo_version`))."""
    from synthzoo.zoo.predict import pages_last, predict_array

    axes = str(case.attrs.get("axes", "xyz"))
    zyx_2d = axes == "zyx" and card.dims == 2  # 2D models segment the yx planes, slice by slice
    if axes not in ("xyz", "yx") and not zyx_2d:
        raise BenchmarkError(f"{case.name}: zoo models expect 'xyz' (or 2D) axes, or 'zyx' for "
                             f"2D models; case has {axes!r}")
    img = np.asarray(case.image.compute(), np.float32)
    if not zyx_2d:
        return predict_array(model, card, img, spacing=case.spacing, device=device, precision=precision,
                             tta=tta)
    img, spacing, back = pages_last(img, case.spacing)
    return back(predict_array(model, card, img, spacing=spacing, device=device,
                              precision=precision, tta=tta))  # (K, z, y, x)


def fold_boundary(labels: np.ndarray, label_names: Iterable[str]) -> np.ndarray:
    """A label map of a model with a ``boundary`` class in the labels without it: boundary
    pixels belong to the object (:func:`synthzoo.zoo.instances.object_classes`)."""
    from synthzoo.zoo.instances import object_classes

    names = list(label_names)
    if BOUNDARY not in names:
        return labels
    obj, bnd = object_classes(names)
    keep = [n for n in names if n != BOUNDARY]
    lut = np.array([keep.index(names[obj] if i == bnd else n) for i, n in enumerate(names)], np.uint8)
    return lut[labels]


def _zoo_predict(model: Any, card: Any, case: Any, device: str, ctx: dict[str, Any] | None = None,
                precision: str = "float32", tta: bool = True) -> np.ndarray:
    """Label map of a zoo model on ``case`` in the test set's label order (a ``boundary``
    class folded into its object); with ``ctx``, a boundary model's instance ids go to
    ``ctx["pred_instances"]``."""
    prob = _zoo_probabilities(model, card, case, device, precision, tta)
    names = tuple(getattr(card, "label_names", ()))
    if ctx is not None and BOUNDARY in names:
        from synthzoo.zoo.instances import instances_from_probabilities

        ctx["pred_instances"] = instances_from_probabilities(prob, names)
    return fold_boundary(prob.argmax(0).astype(np.uint8), names)


def predict_case(bm: BenchModel, case: Any, ctx: dict[str, Any], device: str) -> tuple[np.ndarray, str | None]:
    """Label map of ``case`` by ``bm`` (and the baseline's calibration note); a zoo model's
    network runs in ``ctx["precision"]`` (default float32), mirror averaged unless
    ``ctx["tta"]`` is false."""
    if bm.kind != "classical":
        return _zoo_predict(ctx["model"], ctx["card"], case, device, ctx, ctx.get("precision", "float32"),
                            ctx.get("tta", True)), None
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


@dataclass(frozen=True)
class RunSpec:
    """One (model, test set, case) run as sent to a worker: plain, picklable values only.

    ``root`` and ``calib_root`` are absolute folders of the test set and of its calibration
    build; ``provenance``, ``testset_sha256`` and ``case_sha256`` are computed once by the
    coordinating process so that every worker writes the same values; ``threads`` (``None``:
    leave as is) is the torch thread count of the worker process; ``precision`` (resolved:
    not ``auto``) is what a zoo model's network runs in and ``tta`` whether its prediction is
    mirror averaged; both are part of its ``model.version``."""

    key: str
    model: BenchModel
    testset: str
    root: str
    case: str
    calib_root: str
    device: str
    seed: int
    testset_sha256: str
    case_sha256: str
    provenance: tuple[tuple[str, Any], ...]
    threads: int | None = None
    precision: str = "float32"
    tta: bool = True


#: how long to try to reach a ``--scheduler`` before giving up
CONNECT_TIMEOUT = "20s"
#: per-process cache of opened test sets, zoo models and calibrations (workers reuse it)
_CACHE: dict[Any, Any] = {}


def _cached(key: Any, make: Any) -> Any:
    if key not in _CACHE:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = make()
    return _CACHE[key]


def compute_run(spec: RunSpec) -> list[dict[str, Any]]:
    """The record rows of one run (one per label): predict the case, compare it with its labels
    (:func:`synthzoo.metrics.label_metrics`).  Pure apart from the per-process cache; runs in
    the coordinating process (serial) or in a Dask worker; never writes anything."""
    import synthzoo.datasets as ds

    t0 = time.perf_counter()
    if spec.threads is not None:
        import torch

        torch.set_num_threads(spec.threads)
    bm = spec.model
    ts = _cached(("testset", spec.testset, spec.root, spec.testset_sha256), lambda: ds.open(spec.testset, spec.root))
    case = ts.cases[spec.case]
    from synthzoo.datasets.registry import targets

    target = bm.target(ts.card)
    label_names = targets(ts.card).get(target or "")
    truth = getattr(case, target, None) if target else None  # Case.labels, Case.brain, ...
    if label_names is None or truth is None:
        raise BenchmarkError(f"{spec.testset}/{spec.case}: no {target or 'target'!r} array to score "
                             f"{bm.name} (labels {', '.join(bm.label_names or ())}) on")
    k = len(label_names)
    ctx: dict[str, Any] = {}
    if bm.kind != "classical":
        def load() -> tuple[Any, Any]:
            from synthzoo.zoo.models import create_model, get_card

            return create_model(bm.name, pretrained=True, offline=True), get_card(bm.name)

        ctx["model"], ctx["card"] = _cached(("zoo", bm.name, bm.version), load)
        import torch

        torch.manual_seed(spec.seed)
    else:
        calib = _cached(("calibration-set", spec.testset, spec.calib_root),
                        lambda: ds.open(spec.testset, spec.calib_root))
        ctx["mapping"], ctx["calibration"] = _cached(
            ("calibration", bm.name, bm.version, spec.testset, spec.calib_root, case.contrast),
            lambda: _calibration(bm, calib, case.contrast, k))
    ctx["precision"], ctx["tta"] = spec.precision, spec.tta
    pred, calibration = predict_case(bm, case, ctx, spec.device)
    objects = object_labels(ts.card) if target == "labels" else ()
    truth_ids = case.instances if objects else None
    metrics = label_metrics(pred, truth, k, case.mask, spacing=case.spacing, object_labels=objects,
                            pred_instances=ctx.get("pred_instances") if objects else None,
                            truth_instances=None if truth_ids is None else np.asarray(truth_ids))
    seconds = round(time.perf_counter() - t0, 3)
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    rows = []
    for i, (label, m) in enumerate(zip(label_names, metrics)):
        rows.append({
            "schema_version": rec.SCHEMA_VERSION, "run_key": spec.key, "model": bm.name,
            "model_kind": bm.kind, "model_version": bm.version, "trained_contrast": bm.trained_contrast,
            "testset": ts.card.name, "testset_domain": ts.card.domain, "testset_size": ts.card.size,
            "testset_seed": ts.card.seed, "case": case.name, "case_seed": case.attrs.get("seed"),
            "contrast": case.contrast, "label": label, "label_index": i,
            "foreground": label != BACKGROUND,
            **{k_: (None if isinstance(v, float) and not np.isfinite(v) else v) for k_, v in m.items()},
            "calibration": calibration, **dict(spec.provenance),
            "weights_sha256": bm.weights_sha256,
            "testset_sha256": spec.testset_sha256, "case_sha256": spec.case_sha256,
            "device": spec.device, "seed": spec.seed, "time": now, "seconds": seconds})
    return rows


def run(models: Iterable[str] | None = None, testsets: Iterable[str] | None = None,
        root: str | Path | None = None, out: str | Path = "out/benchmark", *, suite: str | None = None,
        device: str = "cpu", quick: bool = False, seed: int = 0, progress: bool = True,
        workers: int | None = None, scheduler: str | None = None, precision: str = "auto") -> dict[str, Any]:
    """Run every applicable (model, test set, case) of ``suite`` not yet done; returns a summary.

    ``suite``: a name of :data:`synthzoo.benchmarks.suites.SUITES` (default ``full``;
    ``quick=True`` means ``quick``); ``models`` / ``testsets`` narrow it.  ``root``: where the
    test sets are (default :func:`synthzoo.datasets.default_root`; quick sizes in its ``quick``
    subfolder, as :func:`synthzoo.datasets.build_all` builds them); missing test sets are built
    there.  ``workers``: run the cases in that many local processes (a
    ``dask.distributed.LocalCluster``); ``scheduler``: the address of a ``dask.distributed``
    scheduler whose workers run them (they must see ``root`` and ``out`` at the same paths).
    Either way only this process writes ``OUT/records.jsonl``, in the order of a serial run, so
    the records equal a serial run's except for ``time`` and ``seconds``.  A second run on the
    same ``out`` at the same time is refused (:class:`~synthzoo.benchmarks.records.RecordError`).
    ``precision``: what zoo networks run in (:func:`synthzoo.zoo.inference.resolve_precision`;
    ``auto``: bfloat16 where ``device`` computes it natively); a precision other than float32
    is part of the model's version, so runs of different precisions are never mixed, and so is
    the suite's mirror averaging (:attr:`~synthzoo.benchmarks.suites.Suite.tta`)."""
    from synthzoo.benchmarks.suites import DEFAULT_SUITE, get_suite
    from synthzoo.zoo.inference import resolve_precision

    t_start = time.perf_counter()
    if quick and suite not in (None, "quick"):
        raise BenchmarkError(f"quick=True contradicts suite {suite!r}; use suite='quick'")
    try:
        su = get_suite("quick" if quick else suite or DEFAULT_SUITE)
    except ValueError as exc:
        raise BenchmarkError(str(exc)) from None
    if workers is not None and workers < 1:
        raise BenchmarkError(f"workers must be >= 1, got {workers}")
    if workers is not None and scheduler:
        raise BenchmarkError("give either workers (local processes) or scheduler (a cluster), not both")
    if models is None and su.models is None and su.baselines is not None:
        models = zoo_names() + list(su.baselines)
    bms = resolve_models(models if models is not None else su.models)
    names = resolve_testsets(testsets if testsets is not None else su.testsets)
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise BenchmarkError("device cuda asked for but no CUDA device is available; use cpu")
    try:
        precision = resolve_precision(precision, device)
    except ValueError as exc:
        raise BenchmarkError(str(exc)) from None
    bms = with_inference(bms, precision, su.tta)
    out = Path(out)
    with rec.RecordStore(out) as store:  # locks OUT; drops runs whose rows do not match their marker
        return _run(store, bms, names, root, out, suite=su, device=device, seed=seed, progress=progress,
                    workers=workers, scheduler=scheduler, t_start=t_start, precision=precision)


def _first_cases(ts: Any, per_contrast: int | None) -> list[Any]:
    """The cases of test set ``ts`` in order, at most ``per_contrast`` of each contrast."""
    seen: dict[str, int] = {}
    out = []
    for case in ts.cases.values():
        seen[case.contrast] = seen.get(case.contrast, 0) + 1
        if per_contrast is None or seen[case.contrast] <= per_contrast:
            out.append(case)
    return out


def _specs(store: rec.RecordStore, bms: list[BenchModel], names: list[str], root: str | Path | None,
           out: Path, *, quick: bool, device: str, seed: int, threads: int | None,
           on_testset: Any = None, cases_per_contrast: int | None = None, precision: str = "float32",
           tta: bool = True) -> tuple[list[tuple[BenchModel, str, str, str]], list[RunSpec]]:
    """Build missing test sets (and calibration builds), then list every run as
    ``(model, test set, case, key)`` and the specs of those not done, in a fixed order
    (the first ``cases_per_contrast`` cases of each contrast; ``None``: all)."""
    import synthzoo.datasets as ds

    sub = ds.size_root(root, quick=quick).resolve()
    calib_root = (out / "calibration" / ("quick" if quick else "default")).resolve()
    prov = tuple(provenance().items())
    runs, specs = [], []
    for name in names:
        if on_testset is not None:
            on_testset(name)
        b = ds.get_builder(name)
        ts = _open_or_build(name, sub, size=b.quick_size if quick else b.default_size)
        ts_sha, case_sha = checksums(ts)
        calibrated = False
        for bm in bms:
            if not bm.applies_to(ts.card):
                continue
            for case in _first_cases(ts, cases_per_contrast):
                key = run_key(bm, ts.card, case.name, case_sha[case.name])
                runs.append((bm, ts.card.name, case.name, key))
                if store.is_done(key) or store.has_case({
                        "model": bm.name, "model_version": bm.version, "testset": ts.card.name,
                        "testset_size": ts.card.size, "testset_seed": ts.card.seed, "case": case.name,
                        "case_sha256": case_sha[case.name]}):
                    continue
                if bm.kind == "classical" and not calibrated:  # workers only open it
                    # only case 000 of each contrast calibrates (it does not depend on the count)
                    _open_or_build(name, calib_root, size=ts.card.size, seed=ts.card.seed + 1, cases=1)
                    calibrated = True
                specs.append(RunSpec(key, bm, name, str(sub), case.name, str(calib_root), device, seed,
                                     ts_sha, case_sha[case.name], prov, threads, precision, tta))
    return runs, specs


class _Executor:
    """Runs specs serially, in local worker processes or on a Dask cluster; yields
    ``(spec, rows)`` in the order of the specs."""

    def __init__(self, workers: int | None, scheduler: str | None) -> None:
        self.workers, self.scheduler = workers, scheduler
        self.client = self.cluster = None
        self.n_workers = 1

    def __enter__(self) -> "_Executor":
        if self.workers is None and not self.scheduler:
            return self
        try:
            import logging

            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - distributed is a core dependency
            raise BenchmarkError("--workers/--scheduler need dask.distributed; pip install distributed") from None
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                raise BenchmarkError(f"cannot connect to the Dask scheduler at {self.scheduler} ({exc}); "
                                     f"give the address `dask scheduler` printed, e.g. tcp://HOST:8786") from None
            self.n_workers = len(self.client.scheduler_info()["workers"])
        else:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            self.n_workers = self.workers
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map(self, specs: list[RunSpec]) -> Iterable[tuple[RunSpec, list[dict[str, Any]]]]:
        if self.client is None:
            yield from self._pipelined(specs)
            return
        futures = [self.client.submit(compute_run, spec, key=f"synthzoo-bench-{spec.key}", pure=False)
                   for spec in specs]
        try:
            for spec, fut in zip(specs, futures):
                yield spec, fut.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    @staticmethod
    def _pipelined(specs: list[RunSpec]) -> Iterable[tuple[RunSpec, list[dict[str, Any]]]]:
        """In this process, :data:`PIPELINE` runs at a time in threads (one run's metrics, in
        NumPy/SciPy, overlap the next one's inference in torch), yielded in the specs' order;
        at most :data:`PIPELINE` runs are in flight, and on an error or interrupt the queued
        ones are cancelled."""
        from concurrent.futures import ThreadPoolExecutor

        if PIPELINE <= 1:
            for spec in specs:
                yield spec, compute_run(spec)
            return
        pool = ThreadPoolExecutor(PIPELINE, thread_name_prefix="synthzoo-bench")
        pending: list[tuple[RunSpec, Any]] = []
        try:
            for spec in specs:
                pending.append((spec, pool.submit(compute_run, spec)))
                if len(pending) >= PIPELINE:
                    done, fut = pending.pop(0)
                    yield done, fut.result()
            while pending:
                done, fut = pending.pop(0)
                yield done, fut.result()
        finally:
            for _, fut in pending:
                fut.cancel()
            pool.shutdown(wait=True, cancel_futures=True)


#: runs in flight at once in the serial (in-process) executor
PIPELINE = 2


def _threads(workers: int | None) -> int | None:
    """torch threads per local worker process: the CPU cores shared out (at least 1)."""
    import os

    return None if workers is None else max(1, (os.cpu_count() or 1) // workers)


def _run(store: rec.RecordStore, bms: list[BenchModel], names: list[str], root: str | Path | None,
         out: Path, *, suite: Any, device: str, seed: int, progress: bool, workers: int | None,
         scheduler: str | None, t_start: float, precision: str = "float32") -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    recon = store.reconciled
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress, transient=True) as bar:  # opening or building test sets
        task = bar.add_task("test sets", total=len(names))
        runs, specs = _specs(store, bms, names, root, out, quick=suite.quick, device=device, seed=seed,
                             threads=_threads(workers), cases_per_contrast=suite.cases_per_contrast,
                             precision=precision, tta=suite.tta,
                             on_testset=lambda n: bar.update(task, completed=names.index(n),
                                                             description=f"test set {n} (opening or building)"))
    todo = {s.key for s in specs}
    ran: dict[tuple[str, str], dict[str, Any]] = {}
    for bm, ts_name, _, key in runs:
        r = ran.setdefault((bm.name, ts_name), {"model": bm.name, "testset": ts_name, "new": 0, "skipped": 0})
        r["new" if key in todo else "skipped"] += 1
    with _Executor(workers, scheduler) as ex, Progress(*columns, disable=not progress) as bar:
        task = bar.add_task(f"bench {suite.name}", total=len(runs), completed=len(runs) - len(specs))
        for spec, rows in ex.map(specs):
            store.add_run(spec.key, rows)
            bar.update(task, advance=1, description=f"{spec.model.name} on {spec.testset}/{spec.case}")
        bar.update(task, description=f"bench {suite.name}")
    return {"suite": suite.name, "records": str(store.path), "runs": len(runs), "new": len(specs),
            "skipped": len(runs) - len(specs), "ran": list(ran.values()),
            "workers": ex.n_workers, "scheduler": scheduler, "precision": precision, "tta": suite.tta,
            "dropped_unfinished_records": recon.dropped_rows, "recomputed_runs": len(recon.dropped_runs),
            "notes": recon.notes(store.path), "seconds": round(time.perf_counter() - t_start, 2)}
