#!/usr/bin/env bash
# Mutation testing of the core modules with mutmut 2.5 (pip install -e '.[mutation]').
# Not run in CI.  Each module is mutated in place (mutmut restores the file after every
# mutant) and every mutant runs only the tests that exercise that module (MAP below), so a
# module takes minutes, not the whole suite's time.
#
#   bash scripts/mutation.sh                       # every module in MAP (about 30 min on 2 cores)
#   bash scripts/mutation.sh anatomy/base.py _fetch.py   # some modules (paths under src/synthzoo/)
#
# Results: out/mutation/<module>.txt (mutmut's list of surviving mutants and their diffs) and
# a score line per module in out/mutation/scores.txt.  Record scores and survivors in
# docs/testing.md.  Run it on a clean work tree: an interrupted run can leave a mutant in
# place (git checkout src/ restores it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
PYTEST="python -m pytest -x -q -p no:cacheprovider -p no:randomly"

declare -A MAP=(
  [anatomy/base.py]="tests/anatomy/test_anatomy_contract.py"
  [_fetch.py]="tests/anatomy/test_anatomy.py tests/zoo/test_zoo_weights.py -k 'fetch or tampered or download or offline or mirror or cache'"
  [zoo/weights.py]="tests/zoo/test_zoo_weights.py"
  [datasets/store.py]="tests/datasets/test_datasets_chunks.py tests/datasets/test_datasets_corruption.py tests/datasets/test_datasets_integrity.py tests/datasets/test_datasets_store.py"
  [zoo/predict.py]="tests/zoo/test_zoo_regressions.py tests/zoo/test_zoo_predict.py"
  [zoo/imageio.py]="tests/test_io.py tests/zoo/test_zoo_regressions.py tests/zoo/test_zoo_predict.py tests/zoo/test_zoo_outputs.py"
  [benchmarks/records.py]="tests/benchmarks/test_bench_records.py"
  [benchmarks/metrics.py]="tests/benchmarks/test_bench_metrics.py"
)
ORDER=(anatomy/base.py _fetch.py zoo/weights.py benchmarks/metrics.py benchmarks/records.py
       datasets/store.py zoo/predict.py zoo/imageio.py)
mods=("$@")
[ ${#mods[@]} -gt 0 ] || mods=("${ORDER[@]}")

out=out/mutation
mkdir -p "$out"
for mod in "${mods[@]}"; do
  tests="${MAP[$mod]:?no tests mapped for $mod; add it to MAP in $0}"
  runner="$PYTEST $tests"
  echo "== $mod: $runner"
  rm -f .mutmut-cache
  start=$(date +%s)
  mutmut run --paths-to-mutate "src/synthzoo/$mod" --runner "$runner" --tests-dir tests --no-progress \
    --simple-output || true   # mutmut exits non-zero when mutants survive
  git diff --quiet -- "src/synthzoo/$mod" || { echo "mutant left in src/synthzoo/$mod" >&2; exit 1; }
  mutmut results > "$out/${mod//\//_}.txt" || true
  for id in $(mutmut result-ids survived 2>/dev/null); do
    { echo "--- mutant $id"; mutmut show "$id"; } >> "$out/${mod//\//_}.txt"
  done
  python - "$mod" "$(( $(date +%s) - start ))" >> "$out/scores.txt" <<'PY'
import sqlite3, sys
con = sqlite3.connect(".mutmut-cache")
rows = dict(con.execute("select status, count(*) from Mutant group by status").fetchall())
killed, total = rows.get("ok_killed", 0), sum(rows.values())
print(f"{sys.argv[1]}: {killed}/{total} killed ({100 * killed / max(total, 1):.0f}%) "
      f"{ {k: v for k, v in rows.items() if k != 'ok_killed'} } in {sys.argv[2]} s")
PY
  tail -1 "$out/scores.txt"
done
