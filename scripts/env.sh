# Sourced by the scripts: the project's virtual environment, its sources, and the offline
# mirror of the anatomy label maps when this checkout sits in a workspace that has one
# (a user's machine without it downloads and verifies the files instead).
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
if [ -z "${SYNTHZOO_MIRROR:-}" ]; then
  for d in "$PWD/../shared/data/synthseg-label-maps" /work/shared/data/synthseg-label-maps; do
    if [ -d "$d" ]; then export SYNTHZOO_MIRROR="$(cd "$d" && pwd)"; break; fi
  done
fi
