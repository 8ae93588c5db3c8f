import pytest

from synthzoo.benchmarks.runner import BenchmarkError
from synthzoo.benchmarks.tables import markdown, records_frame, summary, to_csv, write_tables


def _rec(model, kind, contrast, case, label, dice, testset="brains"):
    return {"model": model, "model_kind": kind, "testset": testset, "case": case, "contrast": contrast,
            "label": label, "foreground": label != "background", "dice": dice}


RECORDS = [
    # unet, t1: case a fg (0.8, 0.6) -> 0.7, case b fg (0.9, None) -> 0.9; mean 0.8 (bg ignored)
    _rec("unet", "zoo", "t1", "a", "background", 0.1), _rec("unet", "zoo", "t1", "a", "gm", 0.8),
    _rec("unet", "zoo", "t1", "a", "wm", 0.6), _rec("unet", "zoo", "t1", "b", "gm", 0.9),
    _rec("unet", "zoo", "t1", "b", "wm", None),
    _rec("unet", "zoo", "ct", "c", "gm", 0.5), _rec("unet", "zoo", "ct", "c", "wm", 0.3),
    _rec("otsu", "baseline", "t1", "a", "gm", 0.95), _rec("otsu", "baseline", "t1", "a", "wm", 0.85),
    _rec("otsu", "baseline", "t1", "b", "gm", 0.9), _rec("otsu", "baseline", "t1", "b", "wm", 0.8),
    _rec("otsu", "baseline", "pink", "p", "cell", 0.25, testset="cells"),
]

EXPECTED_MD = """\
### brains

| model | t1 | ct | mean |
| --- | ---: | ---: | ---: |
| unet | 0.800 | 0.400 | 0.600 |
| otsu * | 0.875 | - | 0.875 |

### cells

| model | pink | mean |
| --- | ---: | ---: |
| otsu * | 0.250 | 0.250 |

Baselines (`*`) map intensity clusters to labels with one labelled calibration case of the same contrast (another seed); the zoo models see no image of the test contrasts.
"""

EXPECTED_CSV = """\
testset,model,contrast,mean_foreground_dice
brains,unet,t1,0.8
brains,unet,ct,0.4
brains,unet,mean,0.6
brains,otsu,t1,0.875
brains,otsu,ct,
brains,otsu,mean,0.875
cells,otsu,pink,0.25
cells,otsu,mean,0.25
"""


def test_tables_from_hand_made_records_match_expected_text():
    tables = summary(records_frame(RECORDS))
    assert markdown(tables) == EXPECTED_MD
    assert to_csv(tables) == EXPECTED_CSV


def test_write_tables_files_and_errors(tmp_path):
    import json

    (tmp_path / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    paths = write_tables(tmp_path)
    assert (tmp_path / "benchmark.md").read_text() == EXPECTED_MD
    assert (tmp_path / "benchmark.csv").read_text() == EXPECTED_CSV
    assert (tmp_path / "benchmark.png").read_bytes()[:4] == b"\x89PNG" and set(paths) == {
        "benchmark.md", "benchmark.csv", "benchmark.png"}
    with pytest.raises(BenchmarkError, match="no benchmark records"):
        write_tables(tmp_path / "empty")
    with pytest.raises(BenchmarkError, match="records lack field.*dice"):
        records_frame([{k: v for k, v in RECORDS[0].items() if k != "dice"}])
