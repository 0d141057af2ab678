#!/usr/bin/env bash
# Lint, then the whole test suite. Fails when a test fails, and when no test ran (pytest exit 5).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
"$BIN/ruff" check src tests benchmarks scripts || exit 1
"$BIN/python" -m pytest -n 2 "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "no tests were collected: failing" >&2
  exit 1
fi
exit "$rc"
