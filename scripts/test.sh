#!/usr/bin/env bash
# The test suite: install stance with its test extras, then run everything (ruff + pytest).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" "test,onnx,sweep,tracking,base,ray"
cd "$ROOT"
ruff check stance tests scripts
ruff format --check stance tests scripts
python -m pytest "$@"
