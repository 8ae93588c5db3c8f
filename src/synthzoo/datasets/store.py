"""Zarr (v3) storage of test sets: atomic, resumable building; lazy Dask reading; verification.

Layout under a root folder::

    ROOT/NAME.zarr/                 a Zarr group; attrs: card, build (size, cases, seed), complete
        CASE/                       one group per case; attrs: spacing, axes, domain, contrast,
            image labels [mask] [brain] [instances]   simulator, parameters, seed, anatomy_source, license, sha256
        manifest.json               sha256, shape, dtype of every array; sha256 of the canonical
                                    JSON of every card field, the build settings and every case
                                    attribute (``metadata``)
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from synthzoo._io import commit, write_text
from synthzoo.datasets.base import REQUIRED_ATTRS, Case, CaseSpec, DatasetError, TestSetBuilder, TestSetCard

FORMAT_VERSION = 1  # the store layout (part of the build settings)
MANIFEST_VERSION = 2  # 2: the manifest also covers the card, build settings and case attributes
#: most cases a store may hold per contrast (a plan is made in memory before building)
MAX_CASES_PER_CONTRAST = 1000
ARRAY_KEYS = ("image", "labels", "mask", "brain", "instances")
DTYPES = {"image": "float32", "labels": "uint8", "mask": "uint8", "brain": "uint8", "instances": "uint16"}
# field-of-view mask; brain mask (a second target); object instance ids (for object F1)
OPTIONAL_KEYS = ("mask", "brain", "instances")


def default_root() -> Path:
    """``$SYNTHZOO_DATA/datasets`` if set, else ``platformdirs.user_data_dir('synthzoo')/datasets``."""
    env = os.environ.get("SYNTHZOO_DATA")
    if env:
        return Path(env) / "datasets"
    import platformdirs

    return Path(platformdirs.user_data_dir("synthzoo")) / "datasets"


def size_root(root: str | Path | None = None, *, quick: bool = False) -> Path:
    """Where test sets of a size live: ``root`` (default :func:`default_root`) for default-size
    builds, ``ROOT/quick`` for quick ones (kept apart, so neither replaces the other)."""
    base = Path(root) if root is not None else default_root()
    return base / "quick" if quick else base


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


def iter_chunks(arr: Any, region: tuple[slice, ...] | None = None) -> Iterator[tuple[slice, ...]]:
    """Slices of every chunk of a Zarr array (with ``region``, of every chunk it overlaps),
    in chunk-grid C order."""
    bounds = [(0, n) for n in arr.shape] if region is None else [
        r.indices(n)[:2] for r, n in zip(region, arr.shape)]
    grid = [range(a // c * c, b, c) if a < b else range(0) for (a, b), c in zip(bounds, arr.chunks)]
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


def canonical_sha256(value: Any) -> str:
    """sha256 of ``value`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def metadata_digest(card: dict, build: Any, cases: dict[str, dict]) -> dict[str, Any]:
    """The manifest's ``metadata``: the sha256 of every card field, of the build settings
    and of every attribute of every case (so a change is reported field by field)."""
    return {"card": {k: canonical_sha256(v) for k, v in card.items()},
            "build": canonical_sha256(build),
            "cases": {c: {k: canonical_sha256(v) for k, v in a.items()} for c, a in cases.items()}}


def diff_fields(where: str, what: str, values: dict, digests: dict) -> list[str]:
    """One line per field of ``values`` that is changed, added or missing against ``digests``."""
    out = []
    for k in sorted(set(values) | set(digests)):
        if k not in digests:
            out.append(f"{where}: {what} {k!r} is not in the manifest (added: {_short(values[k])})")
        elif k not in values:
            out.append(f"{where}: {what} {k!r} is missing (the manifest lists it)")
        elif canonical_sha256(values[k]) != digests[k]:
            out.append(f"{where}: {what} {k!r} does not match the manifest (now {_short(values[k])})")
    return out


def _short(value: Any, n: int = 60) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= n else text[: n - 3] + "..."


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


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


def _is_store_of(path: Path, name: str, *, complete: bool = True) -> bool:
    """Whether ``path`` is a Zarr group holding test set ``name`` (its card or build settings;
    a partial build may not have them yet, but is then at most a bare group)."""
    try:
        d = json.loads((path / "zarr.json").read_text())
    except (OSError, ValueError):
        return not complete and path.is_dir() and not any(path.iterdir())
    if not isinstance(d, dict) or d.get("node_type") != "group":
        return False
    attrs = d.get("attributes", {})
    if not isinstance(attrs, dict):
        return False
    card = attrs.get("card")
    if isinstance(card, dict):
        return card.get("name") == name
    return not complete and (not attrs or "build" in attrs)


@dataclass(frozen=True)
class BuildPlan:
    """A build checked before any work (:func:`check_build`): settings and store paths."""

    name: str
    size: int
    settings: dict
    final: Path
    part: Path


def _stored_settings(path: Path) -> Any:
    """The build settings stored in a store (``version`` 1 when a store predates it)."""
    import zarr

    try:
        settings = dict(zarr.open_group(str(path), mode="r").attrs).get("build")
    except Exception:
        return None
    if isinstance(settings, dict):
        settings = {**settings, "version": settings.get("version", 1)}
    return settings


def stored_settings(testset: Any) -> dict[str, Any]:
    """The build settings (size, cases, seed, format, contrasts, builder ``version``) of an
    opened test set."""
    return dict(_stored_settings(testset.path) or {})


def check_build(builder: TestSetBuilder, root: str | Path | None = None, *, size: int | None = None,
                cases: int | None = None, seed: int = 0, contrasts: Sequence[str] | None = None) -> BuildPlan:
    """Check a build before any work: ``root`` is a folder (or can be made), ``size`` and
    ``cases`` are within the builder's range, memory and disk, the contrasts exist, and the
    store and partial-build paths are this test set's own or free.  Raises
    :class:`DatasetError` with one line."""
    from synthzoo._limits import check_disk
    from synthzoo._outputs import OutputError, check_output

    name = builder.name
    if root is not None and (Path(root).exists() or Path(root).is_symlink()) and not Path(root).is_dir():
        raise DatasetError(f"{root}: not a folder; --root must be a folder (created if missing)")
    size = builder.check_size(size if size is not None else builder.default_size)
    cases = builder.default_cases if cases is None else int(cases)
    if not 1 <= cases <= MAX_CASES_PER_CONTRAST:
        raise DatasetError(f"{name}: --cases {cases}: valid: 1 to {MAX_CASES_PER_CONTRAST} per contrast")
    if contrasts:
        bad = [c for c in contrasts if c not in builder.contrasts]
        if bad:
            raise DatasetError(f"{name}: unknown contrast(s) {', '.join(bad)}; valid: {', '.join(builder.contrasts)}")
        contrasts = [c for c in builder.contrasts if c in contrasts]
    settings = {"size": size, "cases": int(cases), "seed": int(seed), "format": FORMAT_VERSION,
                "contrasts": list(contrasts or builder.contrasts), "version": int(builder.version)}
    final, part = store_path(name, root), partial_path(name, root)
    try:  # never replace or write into a folder that is not this test set's store
        check_output(final, folder=True, parents=True, overwrite=True, what=f"{name} test-set store",
                     own=lambda p: _is_store_of(p, name))
        if part.exists() or part.is_symlink():
            check_output(part, folder=True, overwrite=True, what=f"partial {name} build",
                         own=lambda p: _is_store_of(p, name, complete=False))
    except OutputError as exc:
        raise DatasetError(str(exc)) from None
    if not (final.is_dir() and _stored_settings(final) == settings):  # else: nothing to build
        n_cases = cases * len(settings["contrasts"])
        check_disk(n_cases * builder.stored_bytes(size), final.parent,
                   f"{name}: {n_cases} case(s) of size {size}", hint="use a smaller --size or --cases",
                   error=DatasetError)
    return BuildPlan(name, size, settings, final, part)


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

    Everything is checked first (:func:`check_build`).  Cases are written into
    ``.NAME.zarr.partial`` one by one (a case is marked complete last, so an interrupted
    build resumes at the first incomplete case); when all are done the manifest is written
    and the folder renamed to ``NAME.zarr``.  An existing complete store built with the same
    size/cases/seed is returned as is; one built with the same settings by another version of
    the builder is rebuilt; one built with other settings raises unless ``force`` (only ever
    this test set's own store is replaced, once the new one is whole).  ``contrasts`` restricts the build.
    """
    import zarr

    plan = check_build(builder, root, size=size, cases=cases, seed=seed, contrasts=contrasts)
    name, size, settings, final, part = plan.name, plan.size, plan.settings, plan.final, plan.part
    cases = settings["cases"]
    root_dir = final.parent
    with _Lock(root_dir / f".{name}.lock"):
        if final.exists():
            old = _stored_settings(final)
            if old == settings and not force:
                return final
            # built with the same settings by an earlier version of the builder: obsolete
            stale = isinstance(old, dict) and {**old, "version": settings["version"]} == settings
            if not (force or stale):
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
                shutil.rmtree(part)  # checked above: a partial build of this test set
        grp = zarr.open_group(str(part), mode="a", zarr_format=3)
        grp.attrs.update({"card": card.to_json(), "build": settings, "complete": False})
        for i, spec in enumerate(specs):
            if progress:
                progress(spec.name, i, len(specs))
            _build_case(builder, grp, spec, size=size, workers=workers, progress=progress)
        manifest = {"name": name, "format": FORMAT_VERSION, "manifest": MANIFEST_VERSION, "cases": {}}
        case_attrs = {}
        for spec in specs:
            attrs = dict(grp[spec.name].attrs)
            case_attrs[spec.name] = attrs
            manifest["cases"][spec.name] = {
                k: {"sha256": attrs["sha256"][k], "shape": list(grp[spec.name][k].shape),
                    "dtype": str(grp[spec.name][k].dtype)} for k in ARRAY_KEYS if k in attrs["sha256"]}
        stored = dict(zarr.open_group(str(part), mode="r").attrs)  # as read back, like verify
        manifest["metadata"] = metadata_digest(stored["card"], stored["build"], case_attrs)
        write_text(part / "manifest.json", json.dumps(manifest, indent=1))
        grp.attrs["complete"] = True
        # force: the old store (checked above to be this test set's) is replaced only now
        # that the new one is whole
        commit(part, final)
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
def _blosc_framed(arr: Any) -> bool:
    """Each chunk file of ``arr`` is one Blosc frame (the codecs the store writes: bytes, then
    Blosc alone)."""
    comp = tuple(getattr(arr, "compressors", ()) or ())
    return len(comp) == 1 and type(comp[0]).__name__ == "BloscCodec" and not tuple(getattr(arr, "filters", ()) or ())


def _check_chunk_frame(f: Path, where: str, sl: tuple[slice, ...]) -> None:
    """Raise :class:`DatasetError` unless chunk file ``f`` is one whole Blosc frame: its size
    equals the compressed size in its header (bytes 12-16).  A truncated frame is not always
    refused by the decoder, which trusts the header and can read past the data it was given."""
    try:
        with open(f, "rb") as fh:
            head = fh.read(16)
        size = f.stat().st_size
    except FileNotFoundError:
        raise DatasetError(f"{where}: chunk {_fmt(sl)} is missing ({f})") from None
    except OSError as exc:
        raise DatasetError(f"{where}: chunk {_fmt(sl)} unreadable ({f}): {_one_line(exc)}") from exc
    cbytes = int.from_bytes(head[12:16], "little") if len(head) == 16 else -1
    if cbytes != size:
        raise DatasetError(f"{where}: chunk {_fmt(sl)} is damaged ({f}: {size} bytes, its Blosc header "
                           f"says {cbytes if cbytes >= 0 else 'nothing: shorter than a header'}); "
                           f"rebuild the store (synthzoo datasets build --force)")


class _CheckedArray:
    """Array-like over a Zarr array whose read errors name the test set, case and array; with
    ``folder`` (the array's folder, given when its chunk files are Blosc frames:
    :func:`_blosc_framed`), each chunk read is first checked to be one whole frame
    (:func:`_check_chunk_frame`), so a chunk truncated after the store was opened is refused
    too."""

    def __init__(self, arr: Any, where: str, folder: Path | None = None) -> None:
        self.arr, self.where, self.folder = arr, where, folder
        self.shape, self.dtype, self.ndim = tuple(arr.shape), np.dtype(str(arr.dtype)), arr.ndim

    def __getitem__(self, key: Any) -> np.ndarray:
        if self.folder is not None and isinstance(key, tuple) and all(isinstance(k, slice) for k in key):
            for chunk in iter_chunks(self.arr, key):
                _check_chunk_frame(_chunk_file(self.folder, self.arr, chunk), self.where, chunk)
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
    if not attrs.get("complete") or not isinstance(attrs.get("card"), dict):
        raise DatasetError(f"{path}: store is not marked complete or has no card; rebuild it")
    card = TestSetCard.from_json(attrs["card"], where=f"{path}")
    meta = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else None
    # Dask keys name the store too: a copy of a store (perhaps damaged) never shares keys, and
    # so never a result held by a scheduler, with the original
    where_token = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:8]

    def tampered(lines: list[str]) -> None:
        if lines:
            raise DatasetError(f"{lines[0]}; the store was changed after it was built: run `synthzoo "
                               f"datasets verify {name}` for every problem, or rebuild it (--force)")

    if meta is not None:
        tampered(diff_fields(f"{name}/card", "field", attrs["card"], meta.get("card", {})))
    cases: dict[str, Case] = {}
    for cname, arrays in manifest["cases"].items():
        where = f"{name}/{cname}"
        try:
            g = grp[cname]
            cattrs = dict(g.attrs)
        except KeyError:
            raise DatasetError(f"{where}: case group missing from {path}") from None
        except Exception as exc:
            raise DatasetError(f"{where}: case group unreadable: {_one_line(exc)}; rebuild the store (--force)") from exc
        missing = [k for k in REQUIRED_ATTRS if k not in cattrs]
        if missing:
            raise DatasetError(f"{where}: case attributes missing: {', '.join(missing)} "
                               f"(required: {', '.join(REQUIRED_ATTRS)})")
        if meta is not None:
            tampered(diff_fields(where, "attribute", cattrs, meta.get("cases", {}).get(cname, {})))
        lazy = {}
        for key in ARRAY_KEYS:
            if key not in arrays:
                if key not in OPTIONAL_KEYS:
                    raise DatasetError(f"{where}: manifest lists no {key!r} array")
                continue
            try:
                arr = g[key]
            except KeyError:
                raise DatasetError(f"{where}: array {key!r} missing") from None
            except Exception as exc:
                raise DatasetError(f"{where}/{key}: array metadata (zarr.json) unreadable: {_one_line(exc)}; "
                                   f"rebuild the store (--force)") from exc
            want = tuple(arrays[key]["shape"])
            if tuple(arr.shape) != want or str(arr.dtype) != arrays[key]["dtype"]:
                raise DatasetError(f"{where}/{key}: shape {tuple(arr.shape)} {arr.dtype}, but the manifest "
                                   f"says {want} {arrays[key]['dtype']}")
            if arr.ndim != card.dims:
                raise DatasetError(f"{where}/{key}: {arr.ndim}-D array in a {card.dims}-D test set")
            framed = check_chunks and _blosc_framed(arr)
            if check_chunks:
                for sl in iter_chunks(arr):
                    f = _chunk_file(path / cname / key, arr, sl)
                    if not f.is_file():
                        raise DatasetError(f"{where}/{key}: chunk {_fmt(sl)} is missing ({f})")
                    if framed:
                        _check_chunk_frame(f, f"{where}/{key}", sl)
            lazy[key] = da.from_array(_CheckedArray(arr, f"{where}/{key}", path / cname / key if framed else None), chunks=arr.chunks,
                                      lock=False, asarray=False, fancy=False,
                                      meta=np.empty((0,) * arr.ndim, dtype=str(arr.dtype)),
                                      name=f"{name}-{where_token}-{cname}-{key}-{arrays[key]['sha256'][:16]}")
        if lazy["image"].shape != lazy["labels"].shape:
            raise DatasetError(f"{where}: image {lazy['image'].shape} and labels {lazy['labels'].shape} differ in shape")
        for key in OPTIONAL_KEYS:
            if key in lazy and lazy[key].shape != lazy["image"].shape:
                raise DatasetError(f"{where}: {key} {lazy[key].shape} and image {lazy['image'].shape} differ in shape")
        cases[cname] = Case(cname, lazy["image"], lazy["labels"], lazy.get("mask"), cattrs, lazy.get("brain"),
                            lazy.get("instances"))
    return TestSet(path, card, manifest, cases)


def _verify_array(name: str, path: Path, g: Any, cname: str, key: str, info: dict,
                  unread: str = "case group missing") -> dict[str, Any]:
    """One row of :func:`verify` for one array; never raises.  ``unread``: why ``g`` is None."""
    where = f"{name}/{cname}/{key}"
    row: dict[str, Any] = {"case": cname, "array": key, "ok": False}
    try:
        if g is None:
            row["error"] = f"{where}: not checked: {unread}"
            return row
        try:
            arr = g[key]
        except KeyError:
            row["error"] = f"{where}: array missing"
            return row
        except Exception as exc:
            row["error"] = f"{where}: array metadata (zarr.json) unreadable: {_one_line(exc)}"
            return row
        want = (tuple(info.get("shape", ())), info.get("dtype"))
        if (tuple(arr.shape), str(arr.dtype)) != want:
            row["error"] = (f"{where}: shape {tuple(arr.shape)} {arr.dtype}, but the manifest says "
                            f"{want[0]} {want[1]}")
            return row
        missing = [sl for sl in iter_chunks(arr) if not _chunk_file(path / cname / key, arr, sl).is_file()]
        if missing:
            row["error"] = (f"{where}: {len(missing)} chunk file(s) missing, first at {_fmt(missing[0])}")
            return row
        got = array_sha256(arr, where=where)
        if got != info.get("sha256"):
            row["error"] = (f"{where}: checksum mismatch: sha256 {got[:16]}..., "
                            f"manifest {str(info.get('sha256'))[:16]}...")
            return row
        row["ok"] = True
    except DatasetError as exc:
        row["error"] = " ".join(str(exc).split())
    except Exception as exc:
        row["error"] = f"{where}: cannot be checked: {_one_line(exc)}"
    return row


def verify(name: str, root: str | Path | None = None) -> dict[str, Any]:
    """Check a built test set against its manifest and report every problem found.

    Every array's shape, dtype, chunk files and sha256, and (manifest version 2) every card
    field, the build settings and every case attribute by the sha256 of its canonical JSON.
    Returns ``{"name", "path", "ok", "arrays": [{"case", "array", "ok", "error"?}],
    "problems": [one line per problem that is not an array's]}``.  Only a store that is not
    there raises (:class:`DatasetError`); damage of any kind is reported, never raised.
    """
    import zarr

    path = _locate(name, root)
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        manifest = _read_manifest(path, name)
    except DatasetError as exc:
        problems.append(" ".join(str(exc).split()))
        manifest = None
    try:
        grp = zarr.open_group(str(path), mode="r")
        attrs = dict(grp.attrs)
    except Exception as exc:
        problems.append(f"{path}: not a readable Zarr group: {_one_line(exc)}")
        grp, attrs = None, {}
    card = attrs.get("card") if isinstance(attrs.get("card"), dict) else {}
    if grp is not None:
        if not attrs.get("complete"):
            problems.append(f"{name}: store is not marked complete")
        try:
            TestSetCard.from_json(card, where=f"{name}/card")
        except Exception as exc:
            problems.append(" ".join(str(exc).split()) if isinstance(exc, DatasetError)
                            else f"{name}/card: unreadable: {_one_line(exc)}")
    if manifest is None:
        return {"name": name, "path": str(path), "ok": False, "arrays": rows, "problems": problems}
    meta = manifest.get("metadata")
    if not isinstance(meta, dict):
        problems.append(f"{name}: the manifest has no metadata checksums (built by an older synthzoo), so "
                        f"the card and case attributes cannot be verified; rebuild with --force")
        meta = None
    elif grp is not None:
        problems += diff_fields(f"{name}/card", "field", card, meta.get("card", {}))
        if canonical_sha256(attrs.get("build")) != meta.get("build"):
            problems.append(f"{name}: build settings do not match the manifest (now {_short(attrs.get('build'))})")
    listed = manifest["cases"]
    for cname, arrays in listed.items():
        g, unread = None, "the store's root group is unreadable"
        if grp is not None:
            try:
                g = grp[cname]
                cattrs = dict(g.attrs)
            except KeyError:
                problems.append(f"{name}/{cname}: case group missing from {path}")
                unread = "case group missing"
            except Exception as exc:
                problems.append(f"{name}/{cname}: case group unreadable: {_one_line(exc)}")
                g, unread = None, "case group unreadable"
            else:
                missing = [k for k in REQUIRED_ATTRS if k not in cattrs]
                if missing:
                    problems.append(f"{name}/{cname}: case attributes missing: {', '.join(missing)}")
                if meta is not None:
                    digests = meta.get("cases", {}).get(cname)
                    if digests is None:
                        problems.append(f"{name}/{cname}: the manifest has no metadata checksums for this case")
                    else:
                        problems += [p for p in diff_fields(f"{name}/{cname}", "attribute", cattrs, digests)
                                     if not any(f"attribute {k!r} is missing" in p for k in missing)]
        if not isinstance(arrays, dict) or not {"image", "labels"} <= set(arrays):
            problems.append(f"{name}/{cname}: the manifest lists no image and labels arrays")
            continue
        for key, info in arrays.items():
            rows.append(_verify_array(name, path, g, cname, key, info if isinstance(info, dict) else {}, unread))
    if grp is not None:
        try:
            extra = sorted(d.name for d in path.iterdir()
                           if d.is_dir() and (d / "zarr.json").is_file() and d.name not in listed)
        except Exception as exc:
            extra = []
            problems.append(f"{path}: cannot list the case groups: {_one_line(exc)}")
        problems += [f"{name}/{c}: case group not in the manifest" for c in extra]
    ok = not problems and all(r["ok"] for r in rows)
    return {"name": name, "path": str(path), "ok": ok, "arrays": rows, "problems": problems}
