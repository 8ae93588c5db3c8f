"""Every test file (and test function) the docs cite exists under that name (issue 14)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_cite_existing_test_files_and_functions():
    docs = [*ROOT.glob("docs/*.md"), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    cited = 0
    for doc in docs:
        text = doc.read_text()
        for path in re.findall(r"(?<![\w/.-])(?:[\w.-]+/)*tests/[\w/]+\.py", text):  # from the checkout's root
            assert (ROOT / path).is_file(), f"{doc.name} cites {path}, which does not exist"
            cited += 1
        all_tests = "".join(p.read_text() for p in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("examples/*/tests/*.py")])
        for name in re.findall(r"`(test_\w+)`", text):
            assert f"def {name}(" in all_tests, f"{doc.name} cites {name}, which no test file defines"
    assert cited
