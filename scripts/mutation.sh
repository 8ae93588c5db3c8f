#!/usr/bin/env bash
# Mutation testing of the core modules with mutmut 2.5 (pip install -e '.[mutation]').
# Not run in CI; run it before landing changes to these modules.
#
#   bash scripts/mutation.sh                           # every module in MAP, 2 workers
#   bash scripts/mutation.sh -j 1 _fetch.py zoo/weights.py   # some modules (paths under src/synthzoo/)
#   bash scripts/mutation.sh --fresh metrics.py        # forget earlier results of that module
#   bash scripts/mutation.sh --tests "tests/test_metrics.py" metrics.py   # another test selection
#
# Each worker mutates its own copy of src/ and tests/ (out/mutation/tree-N; the work tree is
# never touched) and takes modules from a shared queue.  Every mutant runs only the tests
# mapped to its module (MAP below), through a fork server that imports the third-party
# packages once (scripts/mutation_runner.py), so a mutant costs its tests, not the imports.
# mutmut keeps a mutant killed once killed and retests the others when the tests change:
# out/mutation/<module>.cache keeps those results between runs (--fresh starts over).
#
# Results: out/mutation/<module>.txt (mutmut's results and the diff of every survivor), a
# score line per module in out/mutation/scores.txt and out/mutation/<module>.runs.tsv (every
# run of the module: pytest's status and first failing test per mutant, see
# mutation_runner.py).  Record them in docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=2 fresh=0 only_tests=""
while [ $# -gt 0 ]; do
  case "$1" in
    -j) jobs="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --tests) only_tests="$2"; shift 2 ;;
    *) break ;;
  esac
done
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
PYTEST_ARGS="-x -q -p no:cacheprovider -p no:randomly"

# module (under src/synthzoo/) -> the unit tests run against each of its mutants.  Never the
# bundled-model accuracy thresholds (tests/zoo/test_zoo_accuracy.py) nor slow end-to-end runs.
declare -A MAP=(
  [anatomy/base.py]="tests/anatomy/test_anatomy_contract.py"
  [_fetch.py]="tests/test_fetch_mutants.py"
  [zoo/weights.py]="tests/zoo/test_zoo_weights.py tests/zoo/test_weights_mutants.py"
  [metrics.py]="tests/test_metrics.py tests/test_metrics_mutants.py"
  [benchmarks/records.py]="tests/benchmarks/test_bench_records.py -k 'not sigkill' tests/benchmarks/test_records_mutants.py"
  [datasets/store.py]="tests/datasets/test_store_mutants.py"
  [zoo/predict.py]="tests/zoo/test_predict_mutants.py"
  [zoo/imageio.py]="tests/zoo/test_imageio_mutants.py"
)
# largest first, so that the workers finish together
ORDER=(datasets/store.py benchmarks/records.py zoo/predict.py zoo/imageio.py metrics.py _fetch.py
       anatomy/base.py zoo/weights.py)
mods=("$@")
[ ${#mods[@]} -gt 0 ] || mods=("${ORDER[@]}")
for mod in "${mods[@]}"; do
  [ -n "${MAP[$mod]:-}" ] || { echo "no tests mapped for $mod; add it to MAP in $0" >&2; exit 2; }
done

root="$PWD" out="$PWD/out/mutation"
mkdir -p "$out"
printf '%s\n' "${mods[@]}" > "$out/queue"
pids=()

worker() {  # worker N: its own tree and fork server; modules from the queue until it is empty
  local tree="$out/tree-$1" mod tests name start
  rm -rf "$tree" && mkdir -p "$tree" && cp -a "$root/src" "$root/tests" "$root/pyproject.toml" "$tree"/
  cd "$tree"
  export PYTHONPATH="$tree/src"
  local sock="$tree/runner.sock"
  python "$root/scripts/mutation_runner.py" serve "$sock" "$tree/last-run.log" &
  local server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 600); do [ -S "$sock" ] && break; sleep 0.1; done
  [ -S "$sock" ] || { echo "worker $1: the mutation runner did not start" >&2; return 1; }
  while true; do
    mod=$(flock "$out/queue.lock" sh -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$out/queue")
    [ -n "$mod" ] || break
    tests="${only_tests:-${MAP[$mod]}}" name="${mod//\//_}"
    echo "== worker $1: $mod: $tests"
    rm -f .mutmut-cache
    [ "$fresh" = 1 ] || [ ! -f "$out/$name.cache" ] || cp "$out/$name.cache" .mutmut-cache
    if [ -f .mutmut-cache ] && [ "$(cat "$out/$name.tests" 2>/dev/null)" != "$tests" ]; then
      # mutmut retests survivors only when the test files change, not the selection: do it here
      python -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(
        "update Mutant set status = '"'untested'"' where status not like '"'ok_%'"'"); c.commit()' .mutmut-cache
    fi
    : > "$tree/runs.tsv"
    start=$(date +%s)
    mutmut run --paths-to-mutate "src/synthzoo/$mod" --tests-dir tests --no-progress --simple-output \
      --runner "python $root/scripts/mutation_runner.py run $sock $PYTEST_ARGS $tests" \
      > "$out/$name.log" 2>&1 || true   # mutmut exits non-zero when mutants survive
    cp .mutmut-cache "$out/$name.cache"
    echo "$tests" > "$out/$name.tests"
    { echo "# $(date -u +%FT%TZ) $tests"; cat "$tree/runs.tsv"; } >> "$out/$name.runs.tsv"
    { mutmut results || true
      for id in $(mutmut result-ids survived 2>/dev/null); do echo "--- mutant $id"; mutmut show "$id"; done
    } > "$out/$name.txt"
    python - "$mod" "$(( $(date +%s) - start ))" "${tests%% *}" "$tree/runs.tsv" >> "$out/scores.txt" <<'PY'
import sqlite3, sys
mod, seconds, first_file, runs = sys.argv[1:]
con = sqlite3.connect(".mutmut-cache")
rows = dict(con.execute("select status, count(*) from Mutant group by status").fetchall())
killed, total = rows.get("ok_killed", 0) + rows.get("ok_suspicious", 0), sum(rows.values())
# runs.tsv: the baseline run, then one line per mutant tested now (a timed-out one leaves none)
tested = [line.rstrip("\n").split("\t") for line in open(runs)][1:]
by_first = sum(1 for code, node in tested if code not in ("0", "5") and node.split("::")[0] == first_file)
print(f"{mod}: {killed}/{total} killed ({100 * killed / max(total, 1):.0f}%) "
      f"{ {k: v for k, v in rows.items() if not k.startswith('ok_')} } in {seconds} s; "
      f"of the {len(tested)} mutants tested in this run, {by_first} failed first in {first_file}")
PY
    tail -n 1 "$out/scores.txt"
  done
}

for ((i = 0; i < jobs; i++)); do worker "$i" & pids+=($!); done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
