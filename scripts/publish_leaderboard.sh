#!/usr/bin/env bash
# Regenerate the published board in leaderboard/: set-up, the default benchmark suite on the
# main job's test sets (resumable: runs already in out/benchmark, e.g. from
# `bash scripts/main.sh`, are skipped), then the site with its records and README.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh
synthzoo bench run full --root out/testsets --out out/benchmark "$@"
synthzoo leaderboard publish out/benchmark/records.jsonl --out leaderboard
