#!/usr/bin/env bash
# The main job: install, then prepare -> train -> evaluate on the bundled corpus with the default model.
# Extra arguments are Hydra overrides passed to every stage, e.g. `bash scripts/main.sh experiment=binary`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" "base"
cd "$ROOT"
start=$(date +%s)
echo "== stance-prepare"
stance-prepare "$@"
echo "== stance-train (fine-tune, calibrate, evaluate: test split, real-text dev set, running text, the raw articles as documents)"
stance-train eval.raw_articles=data/raw_articles "$@"
echo "== done in $(( $(date +%s) - start )) s; model: outputs/latest/model, reports: outputs/latest/eval-test/report.md, outputs/latest/eval-realdev/report.md, outputs/latest/eval-running/report.md"
python - <<'PY'
from stance.runs.summary import headline_lines, load_summary

print("\n".join(headline_lines(load_summary("outputs/latest"))))
PY
