"""Corpus check: counts, vocabulary, near-duplicates, label-associated n-grams and baseline scores.

    python scripts/check_corpus.py [--json corpus_check.json] [--threshold 0.9]

Prepares the bundled corpus with the shipped configs (binary and three-way) into a temporary
folder, so the figures are those of exactly what `stance-train` trains on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402
from hydra import compose, initialize_config_dir
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import f1_score

from stance.config import CONFIG_DIR, PRIMARY_CONFIG, options
from stance.data.dataset import load_prepared, prepare_dataset
from stance.evaluation.baselines import fit_baselines

SPLITS = ("train", "validation", "test")


def prepared(experiment: str | None, folder: Path):
    overrides = [f"data.output_dir={folder}"] + ([f"experiment={experiment}"] if experiment else [])
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=PRIMARY_CONFIG, overrides=overrides)
    result = prepare_dataset(options(cfg, "data"))
    return load_prepared(folder), result.stats


def rows(ds):
    out = []
    for split in SPLITS:
        names = ds[split].features["label"].names
        for r in ds[split]:
            out.append({**r, "split": split, "label_name": names[r["label"]]})
    return out


def near_duplicates(texts: list[str], splits: list[str], threshold: float) -> dict:
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    sims = (matrix @ matrix.T).tocoo()
    pairs = [(i, j, v) for i, j, v in zip(sims.row, sims.col, sims.data) if i < j and v >= threshold]
    cross = [(i, j, v) for i, j, v in pairs if splits[i] != splits[j]]
    involved = {i for i, j, _ in pairs} | {j for i, j, _ in pairs}
    return {
        "threshold": threshold,
        "pairs": len(pairs),
        "pairs_across_splits": len(cross),
        "sentences_involved": len(involved),
        "share_of_sentences": len(involved) / len(texts),
        "examples": [
            {"a": texts[i], "b": texts[j], "cosine": round(float(v), 3), "splits": [splits[i], splits[j]]}
            for i, j, v in sorted(pairs, key=lambda p: -p[2])[:10]
        ],
    }


def label_ngrams(texts: list[str], labels: list[str], top: int = 15) -> dict[str, list[dict]]:
    """N-grams (1-2) with the highest smoothed log-odds of each label vs the rest (min count 5)."""
    vec = CountVectorizer(ngram_range=(1, 2), min_df=5, lowercase=True)
    counts = vec.fit_transform(texts)
    vocab = np.array(vec.get_feature_names_out())
    labels_arr = np.array(labels)
    out = {}
    for label in sorted(set(labels)):
        a = np.asarray(counts[labels_arr == label].sum(axis=0)).ravel() + 0.5
        b = np.asarray(counts[labels_arr != label].sum(axis=0)).ravel() + 0.5
        log_odds = np.log(a / a.sum()) - np.log(b / b.sum())
        idx = np.argsort(-log_odds)[:top]
        out[label] = [
            {"ngram": vocab[i], "log_odds": round(float(log_odds[i]), 2), "in_label": int(a[i] - 0.5), "elsewhere": int(b[i] - 0.5)} for i in idx
        ]
    return out


def baselines(ds) -> dict[str, float]:
    labels = tuple(ds["train"].features["label"].names)
    models = fit_baselines(labels, ds["train"]["text"], np.array(ds["train"]["label"]))
    gold = np.array(ds["test"]["label"])
    out = {}
    for name in ("lexicon", "tfidf_lr"):
        pred = models[name].predict_proba(ds["test"]["text"]).argmax(axis=1)
        out[name] = round(float(f1_score(gold, pred, average="macro")), 4)
        tags = ds["test"]["tags"]
        hard = np.array([bool(t) for t in tags])
        out[f"{name}_hard_cases"] = round(float(f1_score(gold[hard], pred[hard], average="macro")), 4)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    parser.add_argument("--threshold", type=float, default=0.9, help="TF-IDF cosine at or above which two sentences are near-duplicates")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        three, stats3 = prepared("three_way", Path(tmp) / "three")
        binary, stats2 = prepared(None, Path(tmp) / "binary")
        all_rows = rows(three)

    texts = [r["text"] for r in all_rows]
    docs = {r["doc_id"]: r for r in all_rows}
    tags = Counter(t for r in all_rows for t in r["tags"])
    words = [len(t.split()) for t in texts]
    report = {
        "sentences": len(all_rows),
        "documents": len(docs),
        "labels": dict(Counter(r["label_name"] for r in all_rows)),
        "label_shares": {k: round(v / len(all_rows), 3) for k, v in Counter(r["label_name"] for r in all_rows).items()},
        "kinds_documents": dict(Counter(d["kind"] for d in docs.values())),
        "regions_documents": dict(Counter(d["region"] for d in docs.values())),
        "topics": len({d["topic"] for d in docs.values()}),
        "speakers": len({d["speaker"] for d in docs.values()}),
        "tags": dict(tags.most_common()),
        "tagged_share": round(sum(1 for r in all_rows if r["tags"]) / len(all_rows), 3),
        "words_per_sentence": {
            "min": int(min(words)),
            "median": float(np.median(words)),
            "p90": float(np.percentile(words, 90)),
            "max": int(max(words)),
        },
        "sentences_of_1_to_4_words": sum(1 for w in words if w <= 4),
        "vocabulary_size": len(CountVectorizer(lowercase=True).fit(texts).vocabulary_),
        "splits_three_way": {s: v["labels"] for s, v in stats3["splits"].items()},
        "splits_binary": {s: v["labels"] for s, v in stats2["splits"].items()},
        "dropped_three_way": stats3["dropped"],
        "near_duplicates": near_duplicates(texts, [r["split"] for r in all_rows], args.threshold),
        "label_ngrams": label_ngrams(texts, [r["label_name"] for r in all_rows]),
        "baselines_macro_f1_test_binary": baselines(binary),
        "baselines_macro_f1_test_three_way": baselines(three),
    }
    nd = report["near_duplicates"]
    print(f"{report['sentences']} sentences in {report['documents']} documents; labels {report['labels']}")
    print(f"{report['speakers']} speakers, {report['topics']} topics; kinds {report['kinds_documents']}")
    print(f"tagged (hard cases): {report['tagged_share']:.1%}; tags {report['tags']}")
    print(
        f"words per sentence {report['words_per_sentence']}; 1-4 word sentences: {report['sentences_of_1_to_4_words']}; "
        f"vocabulary {report['vocabulary_size']}"
    )
    print(
        f"near-duplicates (cosine >= {nd['threshold']}): {nd['pairs']} pairs, {nd['share_of_sentences']:.2%} of sentences, "
        f"{nd['pairs_across_splits']} across splits"
    )
    for label, grams in report["label_ngrams"].items():
        print(f"most {label}: " + ", ".join(g["ngram"] for g in grams[:10]))
    print(f"baselines, binary test macro-F1: {report['baselines_macro_f1_test_binary']}")
    print(f"baselines, three-way test macro-F1: {report['baselines_macro_f1_test_three_way']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
