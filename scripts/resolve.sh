#!/usr/bin/env bash
# Checks the Python floor of the metadata: resolves synthzoo with every extra for the lowest
# supported Python (a dry run against the package index, binary wheels only; nothing is
# installed), and checks that the Python below it is refused.  Needs network access.
#   bash scripts/resolve.sh [FLOOR]      (default: the requires-python floor, 3.11)
set -euo pipefail
cd "$(dirname "$0")/.."
FLOOR=${1:-3.11}
BELOW=$(python3 -c "v='$FLOOR'.split('.'); print(f'{v[0]}.{int(v[1]) - 1}')")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 -m pip install --dry-run --quiet --ignore-installed --python-version "$FLOOR" --only-binary=:all: \
  --target "$TMP/t" --report "$TMP/report.json" ".[test,bench,train]" 2>&1 | grep -v "^WARNING: Location" || true
python3 -c "import json,sys; r=json.load(open('$TMP/report.json')); print(f'Python $FLOOR: {len(r[\"install\"])} packages resolve')"
if python3 -m pip install --dry-run --quiet --ignore-installed --python-version "$BELOW" --only-binary=:all: \
     --target "$TMP/b" . >/dev/null 2>&1; then
  echo "error: Python $BELOW resolves too; raise or lower requires-python to the true floor" >&2; exit 1
fi
echo "Python $BELOW: refused, as the metadata says"
