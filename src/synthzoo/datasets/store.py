"""Zarr (v3) storage of test sets: atomic, resumable building; lazy Dask reading; verification.

Layout under a root folder::

    ROOT/NAME.zarr/                 a Zarr group; attrs: card, build (size, cases, seed), complete
        CASE/                       one group per case; attrs: spacing, axes, domain, contrast,
            image  labels  [mask] [brain]   simulator, parameters, seed, anatomy_source, license, sha256
        manifest.json               sha256, shape, dtype of every array
    ROOT/.NAME.zarr.partial/        the same while building (renamed when every case is done)
    ROOT/.NAME.lock                 held while building (pid inside)

Arrays are chunked 64^3 (3D) or 256^2 (2D) and compressed (Blosc zstd, bit shuffle); every
chunk is written, even empty ones, so a missing chunk file is always an error.  A checksum is
the sha256 of the decoded chunks in chunk-grid C order (one chunk in memory at a time).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from synthzoo._io import write_text
from synthzoo.datasets.base import REQUIRED_ATTRS, Case, CaseSpec, DatasetError, TestSetBuilder, TestSetCard

FORMAT_VERSION = 1
ARRAY_KEYS = ("image", "labels", "mask", "brain")
DTYPES = {"image": "float32", "labels": "uint8", "mask": "uint8", "brain": "uint8"}
OPTIONAL_KEYS = ("mask", "brain")  # field-of-view mask; brain mask (a second target)


def default_root() -> Path:
    """``$SYNTHZOO_DATA/datasets`` if set, else ``platformdirs.user_data_dir('synthzoo')/datasets``."""
    env = os.environ.get("SYNTHZOO_DATA")
    if env:
        return Path(env) / "datasets"
    import platformdirs

    return Path(platformdirs.user_data_dir("synthzoo")) / "datasets"


def store_path(name: str, root: str | Path | None = None) -> Path:
    return Path(root if root is not None else default_root()) / f"{name}.zarr"


def partial_path(name: str, root: str | Path | None = None) -> Path:
    return Path(root if root is not None else default_root()) / f".{name}.zarr.partial"


def chunk_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    edge = 64 if len(shape) == 3 else 256
    return tuple(min(edge, int(n)) for n in shape)


# -- writing ---------------------------------------------------------------------------------
class GroupWriter:
    """Writes the arrays of one case group (the :class:`~synthzoo.datasets.base.CaseWriter`)."""

    def __init__(self, group: Any, case: str, progress: Callable[[str, int, int], None] | None = None) -> None:
        self.group = group
        self.case = case
        self._progress = progress

    def advance(self, done: int, total: int) -> None:
        """Report progress inside a long case (e.g. slabs written)."""
        if self._progress:
            self._progress(self.case, done, total)

    def create(self, key: str, shape: tuple[int, ...], dtype: str | None = None) -> Any:
        import zarr
        from zarr.codecs import BloscCodec

        if key not in ARRAY_KEYS:
            raise DatasetError(f"case {self.case!r}: unknown array {key!r}; valid: {', '.join(ARRAY_KEYS)}")
        dtype = dtype or DTYPES[key]
        if str(np.dtype(dtype)) != DTYPES[key]:
            raise DatasetError(f"case {self.case!r}: {key} must be {DTYPES[key]}, not {dtype}")
        return zarr.create_array(
            self.group.store, name=f"{self.group.path}/{key}", shape=tuple(int(s) for s in shape),
            dtype=dtype, chunks=chunk_shape(tuple(shape)), fill_value=0, overwrite=True,
            compressors=BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle"),
            config={"write_empty_chunks": True})

    def put(self, key: str, data: np.ndarray) -> None:
        arr = self.create(key, data.shape, DTYPES.get(key))
        arr[...] = np.asarray(data).astype(DTYPES[key], copy=False)


def iter_chunks(arr: Any) -> Iterator[tuple[slice, ...]]:
    """Slices of every chunk of a Zarr array, in chunk-grid C order."""
    grid = [range(0, n, c) for n, c in zip(arr.shape, arr.chunks)]
    for start in itertools.product(*grid):
        yield tuple(slice(s, min(s + c, n)) for s, c, n in zip(start, arr.chunks, arr.shape))


def array_sha256(arr: Any, *, where: str = "") -> str:
    """sha256 of the decoded chunks of a Zarr array in chunk-grid C order."""
    h = hashlib.sha256()
    for sl in iter_chunks(arr):
        try:
            block = np.ascontiguousarray(arr[sl])
        except Exception as exc:
            raise DatasetError(f"{where}: chunk at {_fmt(sl)} cannot be read: {type(exc).__name__}: {exc}") from exc
        h.update(block.tobytes())
    return h.hexdigest()


def _fmt(sl: tuple[slice, ...]) -> str:
    return "[" + ", ".join(f"{s.start}:{s.stop}" for s in sl) + "]"


class _Lock:
    """An exclusive lock file holding the builder's pid; a stale lock (dead pid) is taken over."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> "_Lock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and _alive(pid):
                    raise DatasetError(f"{self.path}: being built by process {pid}; wait for it, or "
                                       f"remove the lock file if that process is gone") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            return self
        raise DatasetError(f"{self.path}: cannot take the build lock")

    def __exit__(self, *exc: Any) -> None:
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def build(
    builder: TestSetBuilder,
    root: str | Path | None = None,
    *,
    size: int | None = None,
    cases: int | None = None,
    seed: int = 0,
    force: bool = False,
    workers: int = 1,
    contrasts: Sequence[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Build ``builder``'s test set under ``root``; returns the store path.

    Cases are written into ``.NAME.zarr.partial`` one by one (a case is marked complete last,
    so an interrupted build resumes at the first incomplete case); when all are done the
    manifest is written and the folder renamed to ``NAME.zarr``.  An existing complete store
    built with the same size/cases/seed is returned as is; one built with other settings
    raises unless ``force``.  ``contrasts`` restricts the build to some contrasts.
    """
    import zarr

    name = builder.name
    size = builder.check_size(size if size is not None else builder.default_size)
    cases = builder.default_cases if cases is None else cases
    if cases < 1:
        raise DatasetError(f"{name}: cases must be at least 1, got {cases}")
    if contrasts:
        bad = [c for c in contrasts if c not in builder.contrasts]
        if bad:
            raise DatasetError(f"{name}: unknown contrast(s) {', '.join(bad)}; valid: {', '.join(builder.contrasts)}")
        contrasts = [c for c in builder.contrasts if c in contrasts]
    settings = {"size": size, "cases": int(cases), "seed": int(seed), "format": FORMAT_VERSION,
                "contrasts": list(contrasts or builder.contrasts)}
    final, part = store_path(name, root), partial_path(name, root)
    root_dir = final.parent
    with _Lock(root_dir / f".{name}.lock"):
        if final.exists():
            try:
                old = dict(zarr.open_group(str(final), mode="r").attrs).get("build")
            except Exception:
                old = None
            if old == settings and not force:
                return final
            if not force:
                raise DatasetError(f"{final} exists, built with {old}; requested {settings}: pass "
                                   f"force=True (--force) to rebuild, or use another root")
        specs = [s for s in builder.plan(size=size, cases=cases, seed=seed) if s.contrast in settings["contrasts"]]
        names = tuple(s.name for s in specs)
        if len(set(names)) != len(names):
            raise DatasetError(f"{name}: duplicate case names in plan: {names}")
        card = builder.card(size=size, cases=cases, seed=seed, case_names=names)
        if part.exists():
            try:
                same = dict(zarr.open_group(str(part), mode="r").attrs).get("build") == settings
            except Exception:
                same = False
            if not same:
                shutil.rmtree(part)
        grp = zarr.open_group(str(part), mode="a", zarr_format=3)
        grp.attrs.update({"card": card.to_json(), "build": settings, "complete": False})
        for i, spec in enumerate(specs):
            if progress:
                progress(spec.name, i, len(specs))
            _build_case(builder, grp, spec, size=size, workers=workers, progress=progress)
        manifest = {"name": name, "format": FORMAT_VERSION, "cases": {}}
        for spec in specs:
            attrs = dict(grp[spec.name].attrs)
            manifest["cases"][spec.name] = {
                k: {"sha256": attrs["sha256"][k], "shape": list(grp[spec.name][k].shape),
                    "dtype": str(grp[spec.name][k].dtype)} for k in ARRAY_KEYS if k in attrs["sha256"]}
        write_text(part / "manifest.json", json.dumps(manifest, indent=1))
        grp.attrs["complete"] = True
        if final.exists():  # force: move the old store aside only now that the new one is whole
            old_dir = root_dir / f".{name}.zarr.old"
            shutil.rmtree(old_dir, ignore_errors=True)
            os.replace(final, old_dir)
            shutil.rmtree(old_dir)
        os.replace(part, final)
        if progress:
            progress("done", len(specs), len(specs))
    return final


def _build_case(builder: TestSetBuilder, grp: Any, spec: CaseSpec, *, size: int, workers: int,
                progress: Callable[[str, int, int], None] | None = None) -> None:
    if spec.name in grp:
        if dict(grp[spec.name].attrs).get("complete"):
            return
        del grp[spec.name]
    g = grp.create_group(spec.name)
    t = time.perf_counter()
    attrs = builder.write_case(spec, GroupWriter(g, spec.name, progress), size=size, workers=workers)
    attrs = {"domain": builder.domain, "contrast": spec.contrast, "seed": int(spec.seed),
             "license": builder.license, "anatomy_source": builder.anatomy_source,
             "parameters": dict(spec.params), **attrs}
    missing = [k for k in REQUIRED_ATTRS if k not in attrs]
    if missing:
        raise DatasetError(f"{builder.name}/{spec.name}: builder did not set {', '.join(missing)}")
    for k in ("image", "labels"):
        if k not in g:
            raise DatasetError(f"{builder.name}/{spec.name}: builder did not write {k!r}")
    shapes = {k: g[k].shape for k in ARRAY_KEYS if k in g}
    if len(set(shapes.values())) != 1:
        raise DatasetError(f"{builder.name}/{spec.name}: arrays differ in shape: {shapes}")
    attrs["sha256"] = {k: array_sha256(g[k], where=f"{builder.name}/{spec.name}/{k}") for k in shapes}
    attrs["build_seconds"] = round(time.perf_counter() - t, 3)
    g.attrs.update(attrs)
    g.attrs["complete"] = True  # last: the case counts only once everything is on disk


# -- reading ---------------------------------------------------------------------------------
class _CheckedArray:
    """Array-like over a Zarr array whose read errors name the test set, case and array."""

    def __init__(self, arr: Any, where: str) -> None:
        self.arr, self.where = arr, where
        self.shape, self.dtype, self.ndim = tuple(arr.shape), np.dtype(str(arr.dtype)), arr.ndim

    def __getitem__(self, key: Any) -> np.ndarray:
        try:
            return self.arr[key]
        except Exception as exc:
            raise DatasetError(f"{self.where}: cannot read chunk(s) {key}: {type(exc).__name__}: {exc}; "
                               f"the store is corrupt, rebuild it (synthzoo datasets build --force)") from exc


class TestSet:
    """An opened test set: its card, manifest, path and cases (lazy Dask arrays)."""

    __test__ = False

    def __init__(self, path: Path, card: TestSetCard, manifest: dict, cases: dict[str, Case]) -> None:
        self.path, self.card, self.manifest, self.cases = path, card, manifest, cases

    @property
    def name(self) -> str:
        return self.card.name

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases.values())

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, case: str) -> Case:
        if case not in self.cases:
            raise DatasetError(f"{self.name}: no case {case!r}; cases: {', '.join(self.cases)}")
        return self.cases[case]


def _read_manifest(path: Path, name: str) -> dict:
    mpath = path / "manifest.json"
    if not mpath.exists():
        raise DatasetError(f"{path}: no manifest.json; the store is incomplete, rebuild it")
    try:
        manifest = json.loads(mpath.read_text())
        assert isinstance(manifest.get("cases"), dict)
    except Exception as exc:
        raise DatasetError(f"{mpath}: unreadable manifest ({exc}); rebuild the store") from exc
    return manifest


def _locate(name: str, root: str | Path | None) -> Path:
    path = store_path(name, root)
    if not path.exists():
        if partial_path(name, root).exists():
            raise DatasetError(f"test set {name!r} under {path.parent} is only partly built; "
                               f"resume with `synthzoo datasets build {name}`")
        raise DatasetError(f"test set {name!r} is not built under {path.parent}; "
                           f"run `synthzoo datasets build {name}` (or pass root=/--root)")
    return path


def _chunk_file(path: Path, arr: Any, sl: tuple[slice, ...]) -> Path:
    idx = [str(s.start // c) for s, c in zip(sl, arr.chunks)]
    return path.joinpath("c", *idx)


def open_testset(name: str, root: str | Path | None = None, *, check_chunks: bool = True) -> TestSet:
    """Open a built test set; every case is checked for attributes, shapes and chunk files."""
    import dask.array as da
    import zarr

    path = _locate(name, root)
    manifest = _read_manifest(path, name)
    try:
        grp = zarr.open_group(str(path), mode="r")
        attrs = dict(grp.attrs)
    except Exception as exc:
        raise DatasetError(f"{path}: not a readable Zarr group: {exc}") from exc
    if not attrs.get("complete") or "card" not in attrs:
        raise DatasetError(f"{path}: store is not marked complete or has no card; rebuild it")
    card = TestSetCard.from_json(attrs["card"], where=f"{path}")
    cases: dict[str, Case] = {}
    for cname, arrays in manifest["cases"].items():
        where = f"{name}/{cname}"
        if cname not in grp:
            raise DatasetError(f"{where}: case group missing from {path}")
        g = grp[cname]
        cattrs = dict(g.attrs)
        missing = [k for k in REQUIRED_ATTRS if k not in cattrs]
        if missing:
            raise DatasetError(f"{where}: case attributes missing: {', '.join(missing)} "
                               f"(required: {', '.join(REQUIRED_ATTRS)})")
        lazy = {}
        for key in ARRAY_KEYS:
            if key not in arrays:
                if key not in OPTIONAL_KEYS:
                    raise DatasetError(f"{where}: manifest lists no {key!r} array")
                continue
            if key not in g:
                raise DatasetError(f"{where}: array {key!r} missing")
            arr = g[key]
            want = tuple(arrays[key]["shape"])
            if tuple(arr.shape) != want or str(arr.dtype) != arrays[key]["dtype"]:
                raise DatasetError(f"{where}/{key}: shape {tuple(arr.shape)} {arr.dtype}, but the manifest "
                                   f"says {want} {arrays[key]['dtype']}")
            if arr.ndim != card.dims:
                raise DatasetError(f"{where}/{key}: {arr.ndim}-D array in a {card.dims}-D test set")
            if check_chunks:
                for sl in iter_chunks(arr):
                    f = _chunk_file(path / cname / key, arr, sl)
                    if not f.is_file():
                        raise DatasetError(f"{where}/{key}: chunk {_fmt(sl)} is missing ({f})")
            lazy[key] = da.from_array(_CheckedArray(arr, f"{where}/{key}"), chunks=arr.chunks,
                                      lock=False, asarray=False, fancy=False,
                                      meta=np.empty((0,) * arr.ndim, dtype=str(arr.dtype)),
                                      name=f"{name}-{cname}-{key}-{arrays[key]['sha256'][:16]}")
        if lazy["image"].shape != lazy["labels"].shape:
            raise DatasetError(f"{where}: image {lazy['image'].shape} and labels {lazy['labels'].shape} differ in shape")
        for key in OPTIONAL_KEYS:
            if key in lazy and lazy[key].shape != lazy["image"].shape:
                raise DatasetError(f"{where}: {key} {lazy[key].shape} and image {lazy['image'].shape} differ in shape")
        cases[cname] = Case(cname, lazy["image"], lazy["labels"], lazy.get("mask"), cattrs, lazy.get("brain"))
    return TestSet(path, card, manifest, cases)


def verify(name: str, root: str | Path | None = None) -> dict[str, Any]:
    """Recompute every array's sha256 and compare with the manifest.

    Returns ``{"name", "path", "ok", "arrays": [{"case", "array", "ok", "error"?}]}``; opening
    errors (missing chunks, attributes, shapes) raise :class:`DatasetError`.
    """
    ts = open_testset(name, root)
    import zarr

    grp = zarr.open_group(str(ts.path), mode="r")
    rows = []
    for cname, arrays in ts.manifest["cases"].items():
        for key, info in arrays.items():
            row: dict[str, Any] = {"case": cname, "array": key}
            try:
                got = array_sha256(grp[cname][key], where=f"{name}/{cname}/{key}")
                row["ok"] = got == info["sha256"]
                if not row["ok"]:
                    row["error"] = (f"{name}/{cname}/{key}: checksum mismatch: sha256 {got[:16]}..., "
                                    f"manifest {info['sha256'][:16]}...")
            except DatasetError as exc:
                row["ok"], row["error"] = False, str(exc)
            rows.append(row)
    return {"name": name, "path": str(ts.path), "ok": all(r["ok"] for r in rows), "arrays": rows}
