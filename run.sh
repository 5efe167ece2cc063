#!/usr/bin/env bash
# The two commands: `./run.sh claims` and `./run.sh test` (and `./run.sh setup`: the set-up alone). Each sets up what it needs, idempotently
# (a .venv with the pinned torch and this project), then runs. Extra arguments go to pytest.
#   ./run.sh claims            pytest claims/ -n auto   (verdicts, reports/claims.json and claims.html)
#   ./run.sh test              pytest tests/ -n auto    (the unit, property, equivalence and browser tests)
# Data: LTH_DATA names the folder holding MNIST/raw/ and FashionMNIST/raw/; unset, ../shared/data is used
# when it exists, else torchvision downloads into ~/.cache/lth/data.
set -euo pipefail
cd "$(dirname "$0")"
what=${1:-}
case "$what" in claims|test|setup) shift ;; *) echo "usage: ./run.sh claims|test|setup [pytest options]" >&2; exit 2 ;; esac

VENV=${LTH_VENV:-.venv}
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "run.sh: Python 3.10 or newer is needed ($PY)" >&2; exit 2; }
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
stamp="$VENV/.lth-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  # torch and torchvision pinned (pip only: a CUDA build that also runs on the CPU)
  "$VENV/bin/pip" install -q torch==2.14.1 torchvision==0.29.1
  "$VENV/bin/pip" install -q -e ".[test]"
  touch "$stamp"
fi
case "$VENV" in /*) BIN="$VENV/bin" ;; *) BIN="$PWD/$VENV/bin" ;; esac
export PATH="$BIN:$PATH"  # the venv's `lth` command for what the tests start
if [ -z "${LTH_DATA:-}" ] && [ -d ../shared/data/MNIST/raw ]; then export LTH_DATA=../shared/data; fi
# an absolute path, so that tests running pytest from another folder find the same data
if [ -n "${LTH_DATA:-}" ] && [ -d "$LTH_DATA" ]; then LTH_DATA=$(cd "$LTH_DATA" && pwd); export LTH_DATA; fi

if [ "$what" = setup ]; then exit 0; fi
if [ "$what" = test ]; then
  # Debian's Chromium for the report's browser test (playwright drives /usr/bin/chromium); root only,
  # otherwise the browser test's skip reason says how to get it.
  if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || true
  fi
  exec "$VENV/bin/python" -m pytest tests/ -n auto "$@"
fi
exec "$VENV/bin/python" -m pytest claims/ -n auto "$@"
