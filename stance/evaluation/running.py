"""The running-text yardstick: whole documents as analysts feed them, most of whose sentences take no side.

`data/realtext/running.jsonl` holds every sentence of 16 contiguous passages of development addresses
and every sentence of the bundled raw articles, labelled three-way. A model is judged on what an
analyst acts on: whether a sentence that takes no side is given one, and whether each document's
stance index (share hardline minus share conciliatory among the stance-bearing sentences) comes out
right. Sentences are scored as `stance-predict` would score the documents: a news line (dateline,
byline, credit) is removed when an article is read, so it takes no side; an inline credit is cut.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.data.labels import THREE_WAY, index_of
from stance.errors import StanceError
from stance.evaluation.metrics import ci_of, three_way_scores


@dataclass
class RunningText:
    """The yardstick's sentences in document order, with gold labels, documents, previous sentences and parts."""

    texts: list[str]
    gold: list[str]
    doc_ids: list[str]
    previous: list[str]
    origins: list[str]

    @classmethod
    def read(cls, path: str | Path) -> RunningText:
        """Every row, as written (no de-duplication: a document keeps all its sentences)."""
        path = Path(path)
        if not path.exists():
            raise StanceError("no such file", where=str(path), fix="point eval.running at data/realtext/running.jsonl, or set eval.running=null")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        bad = next((i for i, r in enumerate(rows, start=1) if r.get("label") not in THREE_WAY), None)
        if bad is not None:
            raise StanceError(f"row {bad} has label '{rows[bad - 1].get('label')}'", where=str(path), fix=f"label every row {', '.join(THREE_WAY)}")
        return cls(
            [r["text"] for r in rows],
            [r["label"] for r in rows],
            [r["doc_id"] for r in rows],
            [r.get("previous", "") for r in rows],
            [r.get("origin", "") for r in rows],
        )


def evaluate_running(
    classifier: Any, running: RunningText, out_dir: Path | None = None, seed: int = 0, resamples: int = 1000, level: float = 0.95
) -> dict[str, Any]:
    """Three-way macro-F1, the share of no-side sentences given a side, and the MAE of the per-document stance index.

    A document whose gold takes no side anywhere has no index to miss and is left out of the MAE; a
    predicted document with no stance-bearing sentence counts as index 0 (no lean either way).
    """
    from stance.data.cleaning import strip_news_furniture

    texts = [strip_news_furniture(t) or t for t in running.texts]
    predictions = classifier.predict_sentences(texts, running.previous)
    for pred, original in zip(predictions, running.texts):
        if original != pred.text:
            pred.text = original
    from stance.data.cleaning import is_news_line

    decided = ["neutral" if is_news_line(t) else p.label for t, p in zip(running.texts, predictions)]
    pred_ids = np.array([THREE_WAY.index(d) if d in THREE_WAY else 2 for d in decided])
    gold_ids = np.array([THREE_WAY.index(g) for g in running.gold])
    out = sentence_figures(gold_ids, pred_ids, seed, resamples, level)
    docs = document_figures(running.doc_ids, running.gold, decided, [p.confidence for p in predictions], running.origins)
    out.update(docs)
    out["parts"] = {}
    for part in sorted(set(running.origins)):
        mask = np.array([o == part for o in running.origins])
        sub = sentence_figures(gold_ids[mask], pred_ids[mask], seed, resamples, level)
        part_docs = {d: v for d, v in docs["per_document"].items() if v["origin"] == part}
        errors = [v["error"] for v in part_docs.values() if v["error"] is not None]
        sub["doc_index_mae"] = float(np.mean(errors)) if errors else None
        sub["documents"] = len(part_docs)
        out["parts"][part or "(none)"] = sub
    if out_dir is not None:
        _write(out_dir, running, decided, predictions, out)
    return out


def sentence_figures(gold: np.ndarray, pred: np.ndarray, seed: int, resamples: int, level: float) -> dict[str, Any]:
    """Three-way macro-F1 (with its interval), accuracy, the no-side shares and the confusion matrix of label ids (THREE_WAY order)."""
    neutral = gold == 2
    macro_f1, macro_f1_ci = three_way_scores(gold, pred, resamples, level, seed)
    return {
        "n": int(len(gold)),
        "macro_f1": macro_f1,
        "macro_f1_ci": macro_f1_ci,
        "ci_level": level,
        "accuracy": float(np.mean(gold == pred)),
        "no_side_sentences": int(neutral.sum()),
        "no_side_given_a_side": float(np.mean(pred[neutral] != 2)) if neutral.any() else None,
        "side_taken_as_no_side": float(np.mean(pred[~neutral] == 2)) if (~neutral).any() else None,
        "confusion_matrix": np.bincount(gold * 3 + pred, minlength=9).reshape(3, 3).tolist(),
    }


def document_figures(
    doc_ids: Sequence[str], gold: Sequence[str], decided: Sequence[str], confidence: Sequence[float], origins: Sequence[str] | None = None
) -> dict[str, Any]:
    """Each document's gold and predicted stance index, and their mean absolute error (see `evaluate_running`)."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(doc_ids):
        members[doc].append(i)
    per_document = {}
    for doc, index in members.items():
        target = index_of([gold[i] for i in index])
        predicted = index_of([decided[i] for i in index], [confidence[i] for i in index])
        per_document[doc] = {
            "origin": origins[index[0]] if origins is not None else "",
            "sentences": len(index),
            "gold_index": target,
            "predicted_index": predicted,
            "error": None if target is None else abs(target - (predicted or 0.0)),
        }
    errors = [v["error"] for v in per_document.values() if v["error"] is not None]
    return {"doc_index_mae": float(np.mean(errors)) if errors else None, "documents": len(errors), "per_document": per_document}


def _write(out_dir: Path, running: RunningText, decided: list[str], predictions: list[Any], metrics: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    labels = list(predictions[0].probabilities) if predictions else []
    writer.writerow(["doc_id", "text", "gold", "prediction", "confidence", *[f"p_{n}" for n in labels]])
    for doc, text, gold, label, p in zip(running.doc_ids, running.texts, running.gold, decided, predictions):
        writer.writerow([doc, text, gold, label, f"{p.confidence:.6f}", *[f"{p.probabilities[n]:.6f}" for n in labels]])
    (out_dir / "predictions.csv").write_text(buffer.getvalue(), encoding="utf-8")
    (out_dir / "report.md").write_text(render(metrics), encoding="utf-8")


def summary_line(m: dict[str, Any]) -> str:
    """The line stance-train and the main job print for running text."""
    # a custom yardstick may hold no no-side sentence, or no document that takes a side: those figures are n/a
    side = "n/a" if m["no_side_given_a_side"] is None else f"{m['no_side_given_a_side']:.1%}"
    mae = "n/a" if m["doc_index_mae"] is None else f"{m['doc_index_mae']:.3f}"
    return (
        f"running text: three-way macro-F1 {_macro_f1(m)}; "
        f"no-side sentences given a side {side} of {m['no_side_sentences']}; "
        f"document stance-index MAE {mae} over {m['documents']} documents ({m['n']} sentences, never trained on)"
    )


def _macro_f1(m: dict[str, Any]) -> str:
    """'0.752 (95% CI 0.731-0.774)', or n/a where no gold sentence takes no side."""
    return "n/a (no sentence takes no side)" if m["macro_f1"] is None else f"{m['macro_f1']:.3f} ({ci_of(m)})"


def render(m: dict[str, Any]) -> str:
    lines = [
        "# Running text (never trained on)",
        "",
        summary_line(m),
        "",
        "| part | sentences | three-way macro-F1 | no-side given a side | sides taken as no side | document index MAE |",
        "|---|---|---|---|---|---|",
    ]
    for name, p in m["parts"].items():
        mae = "" if p["doc_index_mae"] is None else f"{p['doc_index_mae']:.3f} ({p['documents']} docs)"
        lines.append(f"| {name} | {p['n']} | {_macro_f1(p)} | {_pct(p['no_side_given_a_side'])} | {_pct(p['side_taken_as_no_side'])} | {mae} |")
    lines += ["", "Confusion (rows gold, columns predicted: conciliatory, hardline, neutral):", ""]
    lines += [f"    {THREE_WAY[i]:>12}: {row}" for i, row in enumerate(m["confusion_matrix"])]
    lines += ["", "| document | sentences | gold index | predicted index | error |", "|---|---|---|---|---|"]
    for doc, d in sorted(m["per_document"].items(), key=lambda kv: -(kv[1]["error"] or 0)):
        g = "" if d["gold_index"] is None else f"{d['gold_index']:+.2f}"
        pr = "" if d["predicted_index"] is None else f"{d['predicted_index']:+.2f}"
        e = "" if d["error"] is None else f"{d['error']:.2f}"
        lines.append(f"| {doc} | {d['sentences']} | {g} | {pr} | {e} |")
    return "\n".join(lines) + "\n"


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.1%}"
