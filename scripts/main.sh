#!/usr/bin/env bash
# Set-up plus the main job on embedded defaults (outputs in ./out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh  # the venv, and the anatomy mirror where the workspace has one
synthzoo run-default --out out "$@"
