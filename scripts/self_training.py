"""Self-training, measured once (issue 20, item 4): the teacher's confident pseudo-labels on unlabelled training-address sentences.

    python scripts/self_training.py --teacher <run>/model --prepared <prepared dir> --out <new prepared dir>

Reads the sentences of `data/realtext/unlabelled.jsonl` (the candidate sentences of the *training*
addresses that no pass labelled), scores them with the teacher, and keeps those whose decided label
(the no-side rule included) has a calibrated probability of at least `--min-confidence`. They are
added to the training split of a copy of an already prepared dataset; validation and test are
untouched, so a model trained on the copy is scored on exactly the same rows as one trained on the
original. A pseudo-labelled sentence is left out, and counted, when its document sits in validation
or test, when its text is already in the dataset, or when it matches a dev or running-text sentence
or document (the data rules: those are never trained on).

Train on the copy with `stance-train data.output_dir=<new prepared dir>` (the copy keeps the
original's input signature, so it is used as it is). What was kept is written to
`<out>/self_training.json`.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REALTEXT = REPO / "data" / "realtext"


def _skip_reason(row: dict, key: str, pred, held_out_docs: set[str], known: set[str], min_confidence: float) -> str | None:
    """Why a pseudo-labelled sentence (`key`: its de-duplication key) stays out of training, or None to keep it."""
    if row["doc_id"] in held_out_docs:
        return "document in validation or test"
    if key in known:
        return "already in the dataset"
    if not pred.content:
        return "not a content line"
    if pred.confidence < min_confidence:
        return f"confidence below {min_confidence}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", required=True, help="a trained model folder (<run>/model)")
    parser.add_argument("--prepared", required=True, help="the prepared dataset folder the teacher was trained on")
    parser.add_argument("--out", required=True, help="new prepared dataset folder (must not exist)")
    parser.add_argument("--unlabelled", default=str(REALTEXT / "unlabelled.jsonl"), help="unlabelled training-address sentences")
    parser.add_argument("--min-confidence", type=float, default=0.9, help="keep a pseudo-label at or above this calibrated probability")
    args = parser.parse_args()

    import datasets

    from stance.data.cleaning import dedup_key
    from stance.data.readers import json_records
    from stance.inference.classifier import StanceClassifier

    out = Path(args.out)
    if out.exists():
        raise SystemExit(f"{out}: exists; choose a new --out folder")
    prepared = datasets.load_from_disk(args.prepared)
    held_out_docs = {d for split in ("validation", "test") for d in prepared[split]["doc_id"]}
    # texts compared by the key stance-prepare de-duplicates with and the held-out guards match on
    known = {dedup_key(t) for split in prepared for t in prepared[split]["text"]}
    never = [r for name in ("dev.jsonl", "running.jsonl") for _, r in json_records(REALTEXT / name)]
    never_texts, never_docs = {dedup_key(r["text"]) for r in never}, {r["doc_id"] for r in never}

    numbered = json_records(Path(args.unlabelled))
    keys = [dedup_key(r["text"]) for _, r in numbered]
    for (i, row), key in zip(numbered, keys):  # refused before the teacher spends a pass on the file
        if row["doc_id"] in never_docs or key in never_texts:
            raise SystemExit(f"{args.unlabelled} row {i}: a dev or running-text sentence or document; remove it from the unlabelled file")
    rows = [r for _, r in numbered]
    teacher = StanceClassifier.from_pretrained(args.teacher)
    predictions = teacher.predict_sentences([r["text"] for r in rows], [r.get("previous", "") for r in rows])

    kept, skipped = [], collections.Counter()
    for (i, row), key, pred in zip(numbered, keys, predictions):
        reason = _skip_reason(row, key, pred, held_out_docs, known, args.min_confidence)
        if reason:
            skipped[reason] += 1
            continue
        known.add(key)
        kept.append((i, row, pred))

    train = prepared["train"]
    names = train.features["label"].names
    new = {column: [] for column in train.column_names}
    for i, row, pred in kept:
        source = "pseudo/unlabelled.jsonl"
        values = {"text": row["text"], "label": names.index(pred.label), "doc_id": row["doc_id"], "source": source, "row": i, "tags": []}
        for column in train.column_names:
            new[column].append(values.get(column, row.get(column) or ""))
    extra = datasets.Dataset.from_dict(new, features=train.features)
    prepared["train"] = datasets.concatenate_datasets([train, extra])
    prepared.save_to_disk(str(out))
    for name in ("stats.json", "splits.jsonl", "conflicts.csv"):  # the original's signature and split record, so stance-train uses the copy as it is
        if (Path(args.prepared) / name).exists():
            shutil.copy(Path(args.prepared) / name, out / name)
    report = {
        "teacher": str(args.teacher),
        "prepared": str(args.prepared),
        "min_confidence": args.min_confidence,
        "unlabelled": len(rows),
        "kept": len(kept),
        "kept_by_label": dict(collections.Counter(pred.label for _, _, pred in kept)),
        "skipped": dict(skipped),
        "train_rows": len(prepared["train"]),
    }
    (out / "self_training.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
