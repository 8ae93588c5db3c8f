#!/usr/bin/env bash
# Set-up plus the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. .venv/bin/activate
python -m pytest -q "$@"
