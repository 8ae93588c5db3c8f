#!/usr/bin/env bash
# Idempotent set-up: a virtual environment in .venv with the CPU build of torch first
# (users with a GPU can install their own CUDA torch before this), then synthzoo and its
# test, benchmark and training extras.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -c "import torch" 2>/dev/null || python -m pip install -q torch==2.13.0
python -m pip install -q -e ".[test,bench,train]"
