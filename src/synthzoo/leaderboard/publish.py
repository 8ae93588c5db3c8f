"""The published board: ``leaderboard/`` at the repository root.

It is a leaderboard site (:mod:`synthzoo.leaderboard.site`) built from the records of the
default benchmark suite, so the records it shows are in it (``data/records.jsonl``, once), and
a ``README.md`` that says what it holds and the one command that regenerates it
(``bash scripts/publish_leaderboard.sh``: the default suite, resumable, then
``synthzoo leaderboard publish``).  Figures are the only binary files; the folder stays a few
hundred kB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

#: the published board's folder, relative to the repository root
FOLDER = "leaderboard"
#: the one command that regenerates it (from the repository root)
COMMAND = "bash scripts/publish_leaderboard.sh"


def readme(df, sources: list[dict]) -> str:
    """The board's README: what it is, what it holds, how it was made."""
    commits = sorted({str(c)[:12] for c in df["git_commit"].dropna()}) or ["(not in a git checkout)"]
    dirty = bool(df["git_dirty"].fillna(False).astype(bool).any())
    lines = [
        "# The published synthzoo leaderboard",
        "",
        "Open [index.html](index.html) in a browser (no server needed). The records behind every "
        "number are [data/records.jsonl](data/records.jsonl) (record schema: "
        "[data/records.schema.json](data/records.schema.json)); the table as CSV: "
        "[data/leaderboard.csv](data/leaderboard.csv). See `docs/leaderboard.md`.",
        "",
        f"- records: {len(df)} ({df['run_key'].nunique()} runs) of the default benchmark suite "
        f"(`synthzoo bench run full`)",
        f"- models: {', '.join(sorted(df['model'].unique()))}",
        f"- test sets: {', '.join(sorted(df['testset'].unique()))}",
        f"- code: synthzoo {', '.join(sorted(df['synthzoo_version'].unique()))}, commit "
        f"{', '.join(commits)}{' (with uncommitted changes)' if dirty else ''}; device "
        f"{', '.join(sorted(df['device'].unique()))}",
        f"- input: {', '.join(s['path'] + ' (sha256 ' + s['sha256'][:12] + ')' for s in sources)}",
        "",
        f"Regenerate (from the repository root; resumable, records in `out/published`, on the "
        f"main job's test sets): `{COMMAND}`.",
    ]
    return "\n".join(lines) + "\n"


def publish(results: Iterable[str | Path], out: str | Path = FOLDER) -> Path:
    """Build the site of ``results`` into ``out`` (replacing a previous board; a folder that
    is not a leaderboard site is refused) and write its ``README.md``; returns ``out``."""
    from synthzoo._io import write_text
    from synthzoo.benchmarks.records import frame
    from synthzoo.leaderboard.site import build, sources

    results = [Path(p) for p in results]
    site = build(results, out)
    write_text(site / "README.md", readme(frame(site / "data" / "records.jsonl"), sources(results)))
    return site
