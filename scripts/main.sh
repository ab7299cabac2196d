#!/usr/bin/env bash
# The main job: install, then prepare -> train -> evaluate on the bundled corpus with the default model.
# Extra arguments are Hydra overrides passed to every stage, e.g. `bash scripts/main.sh experiment=three_way`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" "base"
cd "$ROOT"
start=$(date +%s)
echo "== stance-prepare"
stance-prepare "$@"
echo "== stance-train (fine-tune, calibrate, evaluate on the test split)"
stance-train "$@"
echo "== stance-evaluate (document level, bundled raw articles)"
# the test report is already in the run folder: this step adds document-level accuracy, so it skips baselines, plots and explanations
stance-evaluate eval.raw_articles=data/raw_articles eval.output_dir=outputs/latest/eval-documents eval.baselines=false eval.plots=false eval.explain_errors=0 "$@"
echo "== done in $(( $(date +%s) - start )) s; model: outputs/latest/model, reports: outputs/latest/eval-test/report.md, outputs/latest/eval-realdev/report.md"
python - <<'PY'
from stance.runs.summary import SET_TITLES, load_summary

summary = load_summary("outputs/latest")
for key, figures in summary["evaluations"].items():
    name = f"{key} split" if key == summary["primary"] else f"{SET_TITLES.get(key, key)} (never trained on)"
    ci = figures["macro_f1_ci"]
    print(f"{name}: macro-F1 {figures['macro_f1']:.3f} (95% CI {ci[0]:.3f}-{ci[1]:.3f}), {figures['n']} sentences")
PY
