#!/usr/bin/env bash
# Regenerate the published board in leaderboard/: set-up, the default benchmark suite (`full`:
# every case, the networks mirror averaged) on the main job's test sets in out/testsets (built
# here when missing), records in out/published (resumable: a re-run skips finished runs), then
# the site with its records and README.  Its own folder, not the main job's out/benchmark: the
# main suite runs the networks once per image, a version of its own that the board does not mix in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh
synthzoo bench run full --root out/testsets --out out/published "$@"
synthzoo leaderboard publish out/published/records.jsonl --out leaderboard
