"""Inter-annotator agreement of the second, independent labelling pass (data/agreement/second_pass.jsonl).

    python scripts/agreement.py [--json agreement.json]

Reports Cohen's kappa overall and per label (one-vs-rest) between the first pass (the corpus
labels before adjudication) and the second pass, the confusion matrix, and how the
disagreements were adjudicated.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from sklearn.metrics import cohen_kappa_score, confusion_matrix

LABELS = ["conciliatory", "hardline", "neutral"]
DEFAULT = Path(__file__).resolve().parents[1] / "data" / "agreement" / "second_pass.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    first = [r["first_pass"] for r in rows]
    second = [r["second_pass"] for r in rows]
    report = {
        "sentences": len(rows),
        "raw_agreement": sum(a == b for a, b in zip(first, second)) / len(rows),
        "kappa": cohen_kappa_score(first, second),
        "kappa_per_label": {lab: cohen_kappa_score([a == lab for a in first], [b == lab for b in second]) for lab in LABELS},
        "confusion_first_rows_second_columns": confusion_matrix(first, second, labels=LABELS).tolist(),
        "disagreements": sum(a != b for a, b in zip(first, second)),
        "adjudicated_to_second_pass": sum(r["first_pass"] != r["second_pass"] and r["adjudicated"] == r["second_pass"] for r in rows),
        "adjudicated_to_first_pass": sum(r["first_pass"] != r["second_pass"] and r["adjudicated"] == r["first_pass"] for r in rows),
        "second_pass_labels": dict(Counter(second)),
    }
    print(f"{report['sentences']} sentences, raw agreement {report['raw_agreement']:.3f}, Cohen's kappa {report['kappa']:.3f}")
    for lab, k in report["kappa_per_label"].items():
        print(f"  kappa {lab}: {k:.3f}")
    print(f"{report['disagreements']} disagreements: {report['adjudicated_to_first_pass']} kept, {report['adjudicated_to_second_pass']} relabelled")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
