#!/usr/bin/env bash
# Set-up plus the main job on embedded defaults (outputs in ./out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. .venv/bin/activate
synthzoo run-default --out out "$@"
