import json

import pytest

import synthzoo.benchmarks.records as rec_module
import synthzoo.benchmarks.runner as runner
from synthzoo.benchmarks.records import RecordError
from synthzoo.zoo.inference import resolve_precision
from synthzoo.benchmarks.runner import BenchmarkError, read_records, run
from synthzoo.zoo.predict import INFERENCE_VERSION

ZOO = "neuro-mri-tissue-unet-2d"
SETS = ["neuro-contrasts", "fluorescence-nuclei"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("testsets")  # the runner builds the quick sets here once


def _check_dice_independently(root, r, tta=True):
    """A zoo record's Dice against one computed here from the case and the model alone
    (``tta``: mirror averaged, as ``predict`` does by default)."""
    import numpy as np

    import synthzoo.datasets as ds
    from synthzoo.zoo.models import create_model, get_card
    from synthzoo.zoo.predict import predict_array

    case = ds.open(r["testset"], root / "quick")[r["case"]]
    assert case.attrs.get("axes", "xyz") == "xyz"
    card = get_card(r["model"])
    prob = predict_array(create_model(r["model"], pretrained=True, offline=True), card,
                         np.asarray(case.image, np.float32), spacing=case.spacing, tta=tta)
    pred, truth = prob.argmax(0), np.asarray(case.labels)
    keep = np.ones(truth.shape, bool) if case.mask is None else np.asarray(case.mask) != 0
    a, b = (pred == r["label_index"]) & keep, (truth == r["label_index"]) & keep
    assert a.sum() + b.sum() > 0
    assert r["dice"] == pytest.approx(2 * (a & b).sum() / (a.sum() + b.sum()), abs=1e-12)
    assert r["n_truth"] == b.sum() and r["n_pred"] == a.sum()


def _keys(records):
    return [(r["run_key"], r["label"]) for r in records]


def test_interrupted_run_resumes_without_duplicate_records(root, tmp_path, monkeypatch):
    out = tmp_path / "bench"
    monkeypatch.setattr(runner, "PIPELINE", 1)  # one run at a time: the 2nd call is the 2nd run
    real, calls = runner.predict_case, []

    def failing(bm, case, ctx, device):
        calls.append(case.name)
        if len(calls) == 2:
            raise RuntimeError("injected failure on the 2nd case")
        return real(bm, case, ctx, device)

    monkeypatch.setattr(runner, "predict_case", failing)
    with pytest.raises(RuntimeError, match="injected"):
        run([ZOO, "multi-otsu"], SETS, root, out, quick=True, progress=False)
    first = read_records(out / "records.jsonl")
    assert len(first) == 4 and len(list((out / "done").glob("*.done"))) == 1  # 1 case x 4 labels

    # a run cut off after appending its records but before marking them done
    real_mark, marks = rec_module.mark_done, []

    def failing_mark(done, key, lines):
        marks.append(key)
        if len(marks) == 2:
            raise KeyboardInterrupt
        real_mark(done, key, lines)

    monkeypatch.setattr(runner, "predict_case", real)
    monkeypatch.setattr(rec_module, "mark_done", failing_mark)
    with pytest.raises(KeyboardInterrupt):
        run([ZOO, "multi-otsu"], SETS, root, out, quick=True, progress=False)
    assert len(read_records(out / "records.jsonl")) == 4 + 2 * 4  # the unmarked run's rows are there
    monkeypatch.setattr(rec_module, "mark_done", real_mark)

    s = run([ZOO, "multi-otsu"], SETS, root, out, quick=True, progress=False)
    assert s["dropped_unfinished_records"] == 4 and s["skipped"] == 2 and s["recomputed_runs"] == 1
    assert s["notes"][0].endswith("no done marker (cut off before it finished); recomputing it")
    records = read_records(out / "records.jsonl")
    keys = _keys(records)
    assert len(keys) == len(set(keys))  # nothing twice
    # the quick suite takes the first case of each contrast: zoo model on 9 neuro cases only
    # (8 simulated contrasts + the MNI152 T1; 4 labels); baseline on 9 neuro + 3 fluorescence
    assert s["runs"] == 9 + 9 + 3 and len(list((out / "done").glob("*.done"))) == 21
    assert len(records) == 9 * 4 + 9 * 4 + 3 * 2
    assert {r["case"].rsplit("-", 1)[1] for r in records} == {"000"}
    assert {r["testset"] for r in records if r["model"] == ZOO} == {"neuro-contrasts"}
    r = next(r for r in records if r["model"] == ZOO and r["label"] == "white_matter")
    assert r["foreground"] and 0 <= r["dice"] <= 1 and len(r["weights_sha256"]) == 64
    assert r["synthzoo_version"] and r["device"] == "cpu" and r["seed"] == 0 and r["calibration"] is None
    assert r["schema_version"] == 2 and r["model_kind"] == "zoo"
    prec = resolve_precision("auto", "cpu")  # bfloat16 on a CPU that computes it natively
    assert s["precision"] == prec
    assert s["tta"] is False  # the quick suite, like the main job's, runs each network once
    assert r["model_version"] == f"{r['weights_sha256']}+inference{INFERENCE_VERSION}-nomirror" + (
        "" if prec == "float32" else f"-{prec}")
    assert len(r["testset_sha256"]) == 64 and len(r["case_sha256"]) == 64 and r["trained_contrast"] is None
    _check_dice_independently(root, r, tta=False)
    b = next(r for r in records if r["model"] == "multi-otsu")
    assert b["model_kind"] == "classical" and b["weights_sha256"] is None
    assert "calibration case of the same contrast" in b["calibration"] and "seed 1" in b["calibration"]
    again = run([ZOO, "multi-otsu"], SETS, root, out, quick=True, progress=False)
    assert again["new"] == 0 and len(read_records(out / "records.jsonl")) == len(records)


def test_a_suite_of_every_case_resumes_from_one_with_one_case_per_contrast(root, tmp_path, monkeypatch):
    """``main`` (one case per contrast) then ``full`` (every case) on the same output: the
    second adds only the other cases and keeps the first's records as they are."""
    from synthzoo.benchmarks.suites import SUITES, Suite

    monkeypatch.setitem(SUITES, "quick-all", Suite("quick-all", "every quick case", "quick"))
    out = tmp_path / "bench"
    one = run(["multi-otsu"], ["neuro-contrasts"], root, out, quick=True, progress=False)
    first = read_records(out / "records.jsonl")
    every = run(["multi-otsu"], ["neuro-contrasts"], root, out, suite="quick-all", progress=False)
    records = read_records(out / "records.jsonl")
    assert one["runs"] == one["new"] == 9 and every["runs"] == 17 and every["new"] == 8
    assert records[: len(first)] == first
    assert sorted({r["case"] for r in records[len(first):]}) == sorted(
        f"{c}-001" for c in {r["contrast"] for r in first} if c != "mni152-t1")
    with pytest.raises(ValueError, match="cases_per_contrast must be >= 1 or None, got 0"):
        Suite("x", "x", "quick", cases_per_contrast=0)


def test_a_suite_without_mirror_averaging_runs_each_network_once_as_a_version_of_its_own(root, tmp_path,
                                                                                        monkeypatch):
    """``main`` and ``quick`` run the zoo networks once per image: their zoo records are those of
    ``predict_array(tta=False)`` under a version of their own (``-nomirror``), so a mirrored
    suite on the same output runs the zoo model again and reuses only the baseline's runs."""
    from synthzoo.benchmarks.suites import SUITES, Suite
    from synthzoo.zoo.models import get_card
    from synthzoo.zoo.predict import tta_axes

    assert SUITES["main"].tta is False and SUITES["quick"].tta is False and SUITES["full"].tta
    monkeypatch.setitem(SUITES, "quick-mirrored", Suite("quick-mirrored", "x", "quick", cases_per_contrast=1))
    zoo = "ct-tissue-unet-2d"
    assert tta_axes(get_card(zoo))[0]  # a model trained flipped: mirror averaging changes its input
    out = tmp_path / "bench"
    once = run([zoo, "multi-otsu"], ["ct-head"], root, out, quick=True, progress=False)
    first = read_records(out / "records.jsonl")
    prec = resolve_precision("auto", "cpu")
    suffix = "" if prec == "float32" else f"-{prec}"
    zr = [r for r in first if r["model"] == zoo]
    labels = len(get_card(zoo).label_names)
    assert once["tta"] is False and once["runs"] == once["new"] == 8 and len(zr) == 4 * labels
    assert all(r["model_version"] == f"{r['weights_sha256']}+inference{INFERENCE_VERSION}-nomirror{suffix}"
               for r in zr)
    for r in zr[1::labels]:  # one foreground label per case: a prediction each
        _check_dice_independently(root, r, tta=False)
    mirrored = run([zoo, "multi-otsu"], ["ct-head"], root, out, suite="quick-mirrored", progress=False)
    records = read_records(out / "records.jsonl")
    assert mirrored["tta"] is True and mirrored["new"] == 4 and mirrored["skipped"] == 4
    assert records[: len(first)] == first
    again = records[len(first):]
    assert {r["model"] for r in again} == {zoo} and len(again) == 4 * labels
    assert all(r["model_version"] == f"{r['weights_sha256']}+inference{INFERENCE_VERSION}{suffix}"
               for r in again)
    for r in again[1::labels]:
        _check_dice_independently(root, r)


def test_a_suites_baselines_narrow_the_default_models(root, tmp_path, monkeypatch):
    """The main suite runs multi-otsu and not kmeans; given models are taken as they are."""
    from synthzoo.benchmarks.suites import SUITES, Suite

    assert SUITES["main"].baselines == ("multi-otsu",) and SUITES["full"].baselines is None
    monkeypatch.setitem(SUITES, "quick-otsu", Suite("quick-otsu", "x", "quick", cases_per_contrast=1,
                                                    baselines=("multi-otsu",)))
    monkeypatch.setattr(runner, "zoo_names", lambda: [])
    s = run(None, ["em-cells"], root, tmp_path / "a", suite="quick-otsu", progress=False)
    assert s["runs"] == 3 and {r["model"] for r in read_records(tmp_path / "a" / "records.jsonl")} == {"multi-otsu"}
    s = run(["kmeans"], ["em-cells"], root, tmp_path / "b", suite="quick-otsu", progress=False)
    assert {r["model"] for r in read_records(tmp_path / "b" / "records.jsonl")} == {"kmeans"}


def test_unknown_names_and_bad_records(root, tmp_path):
    with pytest.raises(BenchmarkError, match="unknown model 'nope'; available: .*multi-otsu"):
        run(["nope"], None, root, tmp_path, quick=True, progress=False)
    with pytest.raises(BenchmarkError, match="unknown test set.*available: .*neuro-contrasts"):
        run(None, ["nope"], root, tmp_path, quick=True, progress=False)
    bad = tmp_path / "records.jsonl"
    bad.write_text('{"a": 1}\nnot json\n{"b": 2}\n')
    with pytest.raises(RecordError, match="records.jsonl: 1 unreadable line.*line 2: not JSON"):
        read_records(bad)
    with pytest.raises(RecordError, match="records.jsonl: 1 unreadable line.*line 2: not JSON"):
        run(["multi-otsu"], ["fluorescence-nuclei"], root, tmp_path, quick=True, progress=False)
    assert bad.read_text() == '{"a": 1}\nnot json\n{"b": 2}\n'  # reported, never dropped
    bad.write_text('{"a": 1}\n')  # a row of no schema version: not a valid record
    with pytest.raises(RecordError, match="records.jsonl:1: schema_version None is not supported; valid: 2"):
        read_records(bad)


def test_2d_zoo_models_segment_zyx_cases_plane_by_plane(monkeypatch):
    """A 'zyx' case (fluorescence, micro-CT) goes to a 2D model with z last (yx planes, yx
    spacing first) and comes back in the case's own axis order."""
    from types import SimpleNamespace

    import dask.array as da
    import numpy as np

    import synthzoo.zoo.predict as predict

    img = np.random.default_rng(0).random((3, 5, 7)).astype(np.float32)  # z, y, x
    seen = {}

    def fake(model, card, image, *, spacing, device, precision, tta):
        seen["shape"], seen["spacing"], seen["precision"], seen["tta"] = image.shape, tuple(spacing), precision, tta
        fg = (image > 0.5).astype(np.float32)
        return np.stack([1 - fg, fg])

    monkeypatch.setattr(predict, "predict_array", fake)
    case = SimpleNamespace(name="c0", attrs={"axes": "zyx", "spacing": [0.75, 0.25, 0.25]},
                           image=da.from_array(img), spacing=(0.75, 0.25, 0.25))
    pred = runner._zoo_predict(None, SimpleNamespace(dims=2), case, "cpu")
    assert seen == {"shape": (5, 7, 3), "spacing": (0.25, 0.25, 0.75), "precision": "float32", "tta": True}
    runner.predict_case(runner.BenchModel("toy", "zoo", "a" * 64), case,
                        {"model": None, "card": SimpleNamespace(dims=2), "precision": "bfloat16"}, "cpu")
    assert seen["precision"] == "bfloat16"  # the run's precision reaches the network
    assert seen["tta"] is True  # the benchmark scores the inference procedure with mirror averaging
    assert pred.shape == img.shape and np.array_equal(pred, (img > 0.5).astype(np.uint8))
    with pytest.raises(BenchmarkError, match="'zyx' for 2D models; case has 'zyx'"):
        runner._zoo_predict(None, SimpleNamespace(dims=3), case, "cpu")


def test_a_model_of_an_extra_target_is_scored_on_that_array_and_tabled_apart(root, tmp_path, monkeypatch):
    """A brain-extraction model (labels background, brain) is scored on the cases' ``brain``
    mask of neuro-contrasts, not on its tissue labels; its records pass the submission check
    and the board gives it a table of its own."""
    import numpy as np

    import synthzoo.datasets as ds
    from synthzoo.leaderboard import submissions, tables

    toy = runner.BenchModel("toy-brain", "zoo", "a" * 64, "neuro-mri", ("background", "brain"))
    otsu = runner.resolve_models(["multi-otsu"])
    monkeypatch.setattr(runner, "resolve_models", lambda names=None: [toy, *otsu])
    # a fresh cache: the shared one is cleared when full, which would drop the toy model
    monkeypatch.setattr(runner, "_CACHE", {("zoo", toy.name, toy.version): (None, None)})
    real = runner.predict_case

    def predict(bm, case, ctx, device):
        if bm.name != toy.name:
            return real(bm, case, ctx, device)
        brain = np.asarray(case.brain).copy()
        brain[: brain.shape[0] // 2] = 0  # half the brain missed: Dice 2/3 of a symmetric head
        return brain, None

    monkeypatch.setattr(runner, "predict_case", predict)
    out = tmp_path / "bench"
    s = run(None, ["neuro-contrasts", "fluorescence-nuclei"], root, out, quick=True, progress=False)
    records = read_records(out / "records.jsonl")
    mine = [r for r in records if r["model"] == toy.name]
    assert {r["testset"] for r in mine} == {"neuro-contrasts"}  # no brain array elsewhere
    assert len(mine) == 9 * 2 and s["runs"] == 9 + 9 + 3
    assert [(r["label"], r["label_index"], r["foreground"]) for r in mine[:2]] == [
        ("background", 0, False), ("brain", 1, True)]
    ts = ds.open("neuro-contrasts", root / "quick")
    for r in mine[1::2]:
        truth = np.asarray(ts[r["case"]].brain) != 0
        half = truth.copy()
        half[: truth.shape[0] // 2] = False
        assert r["n_truth"] == truth.sum() and r["n_pred"] == half.sum()
        assert r["dice"] == pytest.approx(2 * half.sum() / (truth.sum() + half.sum()), abs=1e-9)
    tissue = [r for r in records if r["model"] == "multi-otsu" and r["testset"] == "neuro-contrasts"]
    assert {r["label"] for r in tissue} == {"background", "csf", "gray_matter", "white_matter"}
    path = out / "records.jsonl"
    _, problems = submissions.check([path])
    assert problems == []
    bad = dict(mine[1], label_index=2)
    path2 = tmp_path / "bad.jsonl"
    path2.write_text(json.dumps(bad) + "\n")
    assert any("label_index 2 of label 'brain'; neuro-contrasts has it at 1" in p
               for p in submissions.check([path2])[1])
    boards = tables.board(tables.load(records))
    titles = [t.title for t in boards]
    assert titles.index("neuro-mri") < titles.index("neuro-mri: brain")
    brain_t = boards[titles.index("neuro-mri: brain")]
    assert [m for m, _ in brain_t.rows] == [toy.name] and brain_t.target == "brain"
    assert toy.name not in [m for m, _ in boards[titles.index("neuro-mri")].rows]
    md = tables.markdown(boards)
    assert "### neuro-mri: brain" in md and "neuro-mri: brain (test set neuro-contrasts)" in md


def test_a_boundary_model_is_scored_on_nuclei_with_its_instances(root, tmp_path, monkeypatch):
    """A nuclei model with a boundary class (background, nucleus, boundary) is scored on the
    test set's labels with the boundary folded into the nucleus, and its object F1 on its own
    instances against the stored true instances (touching nuclei count apart)."""
    from types import SimpleNamespace

    import numpy as np

    import synthzoo.datasets as ds
    import synthzoo.zoo.predict as predict

    names = ("background", "nucleus", "boundary")
    toy = runner.BenchModel("toy-nuclei", "zoo", "b" * 64, "fluorescence", names)
    assert toy.target(ds.get_builder("fluorescence-nuclei")) == "labels"
    assert np.array_equal(runner.fold_boundary(np.array([0, 1, 2, 2]), names), [0, 1, 1, 1])
    otsu = runner.resolve_models(["multi-otsu"])
    monkeypatch.setattr(runner, "resolve_models", lambda names=None: [toy, *otsu])
    # a fresh cache: the shared one is cleared when full, which would drop the toy model
    monkeypatch.setattr(runner, "_CACHE", {("zoo", toy.name, toy.version):
                                           (None, SimpleNamespace(dims=2, label_names=names))})
    runner._open_or_build("fluorescence-nuclei", root / "quick",
                          size=ds.get_builder("fluorescence-nuclei").quick_size)
    ts = ds.open("fluorescence-nuclei", root / "quick")
    truths = {}
    for case in ts:
        ids = np.asarray(case.instances)
        assert np.array_equal(np.asarray(case.labels) != 0, ids != 0)
        # the 2D model sees (y, x, z) planes: found by the image it is given
        truths[np.moveaxis(np.asarray(case.image, np.float32), 0, -1).tobytes()] = np.moveaxis(ids, 0, -1)

    def fake(model, card, image, *, spacing, device, precision, tta):  # the truth with a 1-pixel rim per plane
        ids = truths[np.ascontiguousarray(image).tobytes()]
        pad = np.pad(ids, ((1, 1), (1, 1), (0, 0)), mode="edge")
        nb = [pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]]
        rim = (ids > 0) & np.any([n != ids for n in nb], axis=0)
        cls = np.where(rim, 2, np.where(ids > 0, 1, 0))
        return np.stack([(cls == k).astype(np.float32) for k in range(3)])

    monkeypatch.setattr(predict, "predict_array", fake)
    out = tmp_path / "bench"
    run(None, ["fluorescence-nuclei"], root, out, quick=True, progress=False)
    records = read_records(out / "records.jsonl")
    mine = [r for r in records if r["model"] == toy.name and r["label"] == "nucleus"]
    assert len(mine) == len(ts) and all(r["dice"] == 1.0 for r in mine)
    # instances are 3D (interiors seed across planes): near perfect, and better than the
    # connected components of the same perfect mask, which merge touching nuclei
    from synthzoo.metrics import object_f1

    for r in mine:
        ids = np.asarray(ts[r["case"]].instances)
        components = object_f1(ids != 0, ids != 0, truth_instances=ids)
        assert r["object_f1"] >= 0.95 and r["object_f1"] > components
    assert {r["label"] for r in records if r["model"] == toy.name} == {"background", "nucleus"}


def test_a_changed_case_is_a_new_run_and_a_stale_store_is_rebuilt(root, monkeypatch, capsys):
    """The run key holds the case's content hash (a builder that changed its cases never finds
    its runs done), and the runner rebuilds a store written by another builder version."""
    import synthzoo.datasets as ds
    from synthzoo.datasets.store import stored_settings

    bm = runner.resolve_models(["multi-otsu"])[0]
    card = ds.get_builder("em-cells").card(size=48, cases=1, seed=0, case_names=("tem-000",))
    a, b = runner.run_key(bm, card, "tem-000", "a" * 64), runner.run_key(bm, card, "tem-000", "b" * 64)
    assert a != b and a.endswith("__tem-000__" + "a" * 12)
    b_ = ds.get_builder("em-cells")
    ts = runner._open_or_build("em-cells", root / "stale", size=b_.quick_size)
    assert stored_settings(ts)["version"] == b_.version
    built = (ts.path / "manifest.json").stat().st_mtime_ns
    assert runner._open_or_build("em-cells", root / "stale", size=b_.quick_size).path == ts.path
    assert (ts.path / "manifest.json").stat().st_mtime_ns == built  # current: opened as is
    v = b_.version
    monkeypatch.setattr(type(b_), "version", v + 1)
    again = runner._open_or_build("em-cells", root / "stale", size=b_.quick_size)
    assert stored_settings(again)["version"] == v + 1
    assert (again.path / "manifest.json").stat().st_mtime_ns != built
    assert "built by version 1 of the em-cells builder, now 2: rebuilding it" in capsys.readouterr().out


def test_a_failure_in_flight_keeps_the_runs_before_it_and_none_after(root, tmp_path, monkeypatch):
    """Two runs in flight (threads): when one fails, every run before it in the specs' order is
    written and marked done, none after it, and a re-run does only what is missing."""
    import synthzoo.datasets as ds

    assert runner.PIPELINE == 2
    b = ds.get_builder("neuro-contrasts")
    runner._open_or_build("neuro-contrasts", root / "quick", size=b.quick_size)
    names = [c.name for c in runner._first_cases(ds.open("neuro-contrasts", root / "quick"), 1)]
    bad = names[2]  # the third run in order fails
    real = runner.predict_case

    def failing(bm, case, ctx, device):
        if case.name == bad:
            raise RuntimeError(f"injected failure on {bad}")
        return real(bm, case, ctx, device)

    monkeypatch.setattr(runner, "predict_case", failing)
    out = tmp_path / "bench"
    with pytest.raises(RuntimeError, match="injected"):
        run(["multi-otsu"], ["neuro-contrasts"], root, out, quick=True, progress=False)
    first = read_records(out / "records.jsonl")
    assert [r["case"] for r in first[::4]] == names[:2] and len(list((out / "done").glob("*.done"))) == 2
    monkeypatch.setattr(runner, "predict_case", real)
    s = run(["multi-otsu"], ["neuro-contrasts"], root, out, quick=True, progress=False)
    assert s["skipped"] == 2 and s["new"] == len(names) - 2
    again = read_records(out / "records.jsonl")
    assert [r["case"] for r in again[::4]] == names and len(again) == 4 * len(names)
