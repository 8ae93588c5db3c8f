#!/usr/bin/env bash
# Set-up plus the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh  # the venv, and the anatomy mirror where the workspace has one
python -m pytest -q "$@"
