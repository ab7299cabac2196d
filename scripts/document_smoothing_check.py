"""Would reading each sentence's probabilities together with its neighbours' bring documents nearer their gold?

In real prose and news, labels come in runs: in the training split's contiguous real and news
passages a neutral sentence follows a neutral one 71% of the time, against 49% of sentences being
neutral. A model without context scores each sentence alone. This script treats a document as a
hidden Markov chain over the three labels (the model's calibrated probabilities divided by its
training prior as scaled likelihoods, as in hybrid HMM decoding: Bourlard & Morgan 1994) and reads
each sentence's posterior by forward-backward over its document:

- transitions: counted on the training split's contiguous passages of the `--origins` (add-one);
- strength: transitions = (1 - s) * [the passages' label shares in every row] + s * counted, with s
  chosen on the validation split's rows of those origins by log-likelihood (s = 0 is the model as
  shipped);
- the no-side threshold is fitted again on the smoothed real validation rows, as training fits it.

Scored on the running-text yardstick (news lines taken out of the chain, as `stance-predict` reads
an article, and forced to no side) and on the test split's documents: three-way macro-F1, the share
of no-side sentences given a side, and the document stance-index MAE. Nothing is fitted on either.

    python scripts/document_smoothing_check.py --model outputs/runs/<run>/model --prepared data/processed/diplomatic
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stance.data.labels import THREE_WAY
from stance.modeling.calibration import decide_no_side, fit_no_side_threshold

STRENGTHS = np.round(np.arange(0.0, 1.001, 0.1), 2)


def passages(doc_ids: Sequence[str], texts: Sequence[str], previous: Sequence[str] | None, keep: Sequence[bool]) -> list[list[int]]:
    """Runs of kept rows that follow each other in one document (row i's previous sentence is row i-1's text)."""
    runs: list[list[int]] = []
    for i, kept in enumerate(keep):
        if not kept:
            continue
        last = runs[-1][-1] if runs else None
        follows = last is not None and doc_ids[i] == doc_ids[last] and (previous is None or previous[i] == texts[last])
        if follows:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def transitions(labels: Sequence[int], runs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalised label transition counts (add-one) and the label shares over the same rows."""
    counts = np.ones((3, 3))
    for run in runs:
        for a, b in zip(run, run[1:]):
            counts[labels[a], labels[b]] += 1
    shares = np.bincount([labels[i] for run in runs for i in run], minlength=3).astype(float)
    return counts / counts.sum(axis=1, keepdims=True), shares / shares.sum()


def smooth(proba: np.ndarray, runs: list[list[int]], matrix: np.ndarray, shares: np.ndarray, prior: np.ndarray, strength: float) -> np.ndarray:
    """Forward-backward posteriors of every row of every run (strength 0: the probabilities unchanged)."""
    out = proba.copy()
    if strength == 0:
        return out
    mixed = (1 - strength) * np.tile(shares, (3, 1)) + strength * matrix
    for run in runs:
        likelihood = proba[run] / prior
        n = len(run)
        forward, backward = np.zeros((n, 3)), np.ones((n, 3))
        forward[0] = shares * likelihood[0]
        forward[0] /= forward[0].sum()
        for i in range(1, n):
            forward[i] = (forward[i - 1] @ mixed) * likelihood[i]
            forward[i] /= forward[i].sum()
        for i in range(n - 2, -1, -1):
            backward[i] = mixed @ (likelihood[i + 1] * backward[i + 1])
            backward[i] /= backward[i].sum()
        posterior = forward * backward
        out[run] = posterior / posterior.sum(axis=1, keepdims=True)
    return out


def scores(gold: np.ndarray, predicted: np.ndarray, proba: np.ndarray, doc_ids: Sequence[str]) -> dict[str, float]:
    """Three-way macro-F1, no-side sentences given a side, sides taken as no side, and the document index MAE, as the yardstick scores them."""
    from stance.evaluation.running import document_figures, sentence_figures

    figures = sentence_figures(gold, predicted, seed=0, resamples=100, level=0.95)
    confidence = proba[np.arange(len(predicted)), predicted]
    documents = document_figures(doc_ids, [THREE_WAY[g] for g in gold], [THREE_WAY[p] for p in predicted], list(confidence))
    return {
        "three_way_macro_f1": round(float(figures["macro_f1"]), 4),
        "no_side_given_a_side": round(float(figures["no_side_given_a_side"]), 4),
        "side_taken_as_no_side": round(float(figures["side_taken_as_no_side"]), 4),
        "doc_index_mae": round(float(documents["doc_index_mae"]), 4),
        "documents": documents["documents"],
    }


def main() -> None:
    import datasets

    from stance import StanceClassifier
    from stance.data.cleaning import is_news_line, strip_news_furniture
    from stance.evaluation.running import RunningText

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help="a three-way model folder written by stance-train")
    parser.add_argument("--prepared", required=True, type=Path, help="its prepared dataset (train, validation and test splits)")
    parser.add_argument("--running", default=Path("data/realtext/running.jsonl"), type=Path, help="the running-text yardstick")
    parser.add_argument("--origins", nargs="+", default=["real", "written_news"], help="origins whose passages give the transitions and the strength")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    clf = StanceClassifier.from_pretrained(args.model)
    if tuple(clf.labels) != THREE_WAY:
        raise SystemExit(f"{args.model}: a three-way model is needed (its labels are {clf.labels})")
    data = datasets.load_from_disk(str(args.prepared))
    train = data["train"]
    keep = [o in args.origins for o in train["origin"]]
    matrix, shares = transitions(train["label"], passages(train["doc_id"], train["text"], train["previous"], keep))
    prior = np.bincount(train["label"], minlength=3) / len(train)  # the label shares the model was trained on
    print("transitions (rows: from; conciliatory, hardline, neutral):\n", matrix.round(3), "\nlabel shares", shares.round(3))

    validation = data["validation"]
    v_proba = clf.predict_proba(validation["text"], validation["previous"])
    v_gold = np.asarray(validation["label"])
    v_origin = np.asarray(validation["origin"])
    v_runs = passages(validation["doc_id"], validation["text"], validation["previous"], [True] * len(v_gold))
    fitted, real = np.isin(v_origin, args.origins), v_origin == "real"
    fits = {}
    for strength in STRENGTHS:
        smoothed = smooth(v_proba, v_runs, matrix, shares, prior, float(strength))
        nll = float(-np.mean(np.log(smoothed[fitted, v_gold[fitted]])))
        threshold = fit_no_side_threshold(smoothed[real], v_gold[real], THREE_WAY)["no_side_threshold"]
        fits[float(strength)] = {"validation_nll": round(nll, 4), "no_side_threshold": threshold}
        print(f"strength {strength:.1f}: validation NLL ({', '.join(args.origins)} rows) {nll:.4f}, refitted no-side threshold {threshold}")
    best = min(fits, key=lambda s: fits[s]["validation_nll"])
    print(f"chosen on validation: strength {best}")

    running = RunningText.read(args.running)
    texts = [strip_news_furniture(t) or t for t in running.texts]
    content = [not is_news_line(t) for t in running.texts]
    r_proba = clf.predict_proba(texts, running.previous)
    r_gold = np.asarray([THREE_WAY.index(g) for g in running.gold])
    r_runs = passages(running.doc_ids, texts, None, content)
    test = data["test"]
    t_proba = clf.predict_proba(test["text"], test["previous"])
    t_gold = np.asarray(test["label"])
    t_runs = passages(test["doc_id"], test["text"], test["previous"], [True] * len(t_gold))
    t_origin = np.asarray(test["origin"])

    out: dict = {"model": str(args.model), "transitions": matrix.round(4).tolist(), "label_shares": shares.round(4).tolist()}
    out.update({"fits": fits, "chosen": best, "results": {}})
    settings = {
        "as shipped": (0.0, clf.no_side_threshold),
        f"strength {best} (chosen)": (best, fits[best]["no_side_threshold"]),
        "strength 1.0": (1.0, fits[1.0]["no_side_threshold"]),
    }
    for name, (strength, threshold) in settings.items():
        result = {"strength": strength, "no_side_threshold": threshold}
        smoothed = smooth(r_proba, r_runs, matrix, shares, prior, strength)
        predicted = decide_no_side(smoothed, THREE_WAY, threshold)
        predicted[~np.asarray(content)] = THREE_WAY.index("neutral")
        result["running text"] = scores(r_gold, predicted, smoothed, running.doc_ids)
        for part in sorted(set(running.origins)):
            mask = np.asarray([o == part for o in running.origins])
            result[f"running text: {part}"] = scores(r_gold[mask], predicted[mask], smoothed[mask], [d for d, m in zip(running.doc_ids, mask) if m])
        smoothed = smooth(t_proba, t_runs, matrix, shares, prior, strength)
        predicted = decide_no_side(smoothed, THREE_WAY, threshold)
        test_parts = {"test split": np.ones(len(t_gold), bool), "test split: real and news": np.isin(t_origin, args.origins)}
        test_parts["test split: bundled"] = t_origin == "bundled"
        for part, mask in test_parts.items():
            result[part] = scores(t_gold[mask], predicted[mask], smoothed[mask], list(np.asarray(test["doc_id"])[mask]))
        out["results"][name] = result
        for part, s in result.items():
            if isinstance(s, dict):
                print(
                    f"{name}, {part}: three-way F1 {s['three_way_macro_f1']:.3f}, "
                    f"no side given a side {s['no_side_given_a_side']:.1%}, sides taken as no side {s['side_taken_as_no_side']:.1%}, "
                    f"document index MAE {s['doc_index_mae']:.3f} ({s['documents']} documents)"
                )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
