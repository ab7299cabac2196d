"""`stance-trend`: stance over time per actor and counterpart, with bootstrap intervals, charts and the evidence."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from stance.cli import announce_model, run_hydra_app
from stance.config import options
from stance.errors import StanceError


def trend(cfg: DictConfig) -> dict[str, Any]:
    """Score (unless already scored), aggregate and write trend.csv, one PNG per actor and trend.html; return rows and paths."""
    from stance.analysis.stance_index import ScoredSentence, evidence, stance_trend
    from stance.analysis.trend_inputs import DateReader, normalise_names, read_trend_inputs
    from stance.analysis.trend_report import picture_name, plot_actor, write_html
    from stance.data.cleaning import BoilerplateFilter, removed_note
    from stance.runs.atomic import atomic_directory
    from stance.runs.folders import timestamped

    t = options(cfg, "trend")
    if not t.inputs:
        raise StanceError("no inputs given", where="trend.inputs", fix="set trend.inputs=[articles_folder] or [sentences.csv]")
    cleaning = BoilerplateFilter()
    rows, skipped = read_trend_inputs(list(t.inputs), t.columns, t.manifest, DateReader(t.date_format, t.dayfirst), cleaning)
    if note := removed_note(cleaning.removed):
        print(note, file=sys.stderr)
    merged = normalise_names(rows)
    if merged:
        pairs = ", ".join(f"'{a}' -> '{b}'" for a, b in sorted(merged.items()))
        print(f"stance: note: actor and counterpart names that differ only in case or spacing were merged: {pairs}", file=sys.stderr)
    if skipped:
        names = ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        print(f"stance: note: {len(skipped)} article(s) without a manifest row (no date or actor) were left out: {names}", file=sys.stderr)
    if t.actors:
        present = sorted({r.actor for r in rows})
        missing = [a for a in t.actors if a not in present]
        if missing:
            raise StanceError(
                f"actor '{missing[0]}' has no sentences in the inputs "
                f"(actors present: {', '.join(present[:12])}{', ...' if len(present) > 12 else ''})",
                where="trend.actors",
                fix="spell the actor as in the actor column, or leave trend.actors empty",
            )
        rows = [r for r in rows if r.actor in set(t.actors)]
    clf = None
    if any(r.label is None for r in rows):
        from stance.inference.classifier import StanceClassifier

        clf = StanceClassifier.from_pretrained(cfg.model_dir, batch_size=cfg.predict.batch_size)
        clf.progress = True
        todo = [r for r in rows if r.label is None]
        for r, pred in zip(todo, clf.predict_sentences([r.text for r in todo], [r.previous for r in todo])):
            r.label, r.confidence = pred.label, pred.confidence
    sentences = [ScoredSentence(r.doc_id, r.actor, r.counterpart, r.date, r.text, r.label, float(r.confidence)) for r in rows]
    table = stance_trend(sentences, t.period, t.bootstrap_resamples, t.confidence_level, cfg.seed, t.min_documents)
    proof = evidence(sentences, t.period, t.top_k)
    highlights = _highlights(clf, cfg, proof) if t.explain else {}
    out_dir = Path(t.output_dir) if t.output_dir else timestamped(Path(cfg.output_root) / "trend")
    with atomic_directory(out_dir) as tmp:
        (tmp / "trend.csv").write_text(_csv(table), encoding="utf-8")
        pictures = {}
        for actor in sorted({r["actor"] for r in table}):
            rows_of_actor = [r for r in table if r["actor"] == actor]
            pictures[actor] = plot_actor(actor, rows_of_actor, tmp / picture_name(actor), t.period, level=t.confidence_level)
        write_html(tmp / "trend.html", table, pictures, proof, t.period, highlights, level=t.confidence_level)
    print(f"{len(sentences)} sentences in {len({s.doc_id for s in sentences})} documents, {len(table)} actor-counterpart-{t.period} cells")
    for r in table:
        cell = f"{r['actor']} -> {r['counterpart'] or '(any)'} {r['period']}"
        if r["stance_index"] != r["stance_index"]:
            print(f"  {cell}: no sentence takes a side, {_sizes(r)}")
            continue
        ci = (
            f"too few documents ({r['voting_documents']})"
            if r["too_few"]
            else f"{t.confidence_level:.0%} CI {r['ci_low']:+.2f} to {r['ci_high']:+.2f}"
        )
        print(f"  {cell}: index {r['stance_index']:+.2f} ({ci}), {_sizes(r)}")
    print(f"trend: {out_dir / 'trend.csv'}\nchart: {out_dir / 'trend.html'}")
    if clf is not None:
        announce_model(cfg.model_dir)
    return {"rows": table, "output_dir": str(out_dir), "csv": str(out_dir / "trend.csv"), "html": str(out_dir / "trend.html")}


def _highlights(clf: Any, cfg: DictConfig, proof: dict) -> dict[str, list[str]]:
    """Top words of every evidence sentence (scoring with the model even when the inputs came scored)."""
    texts = sorted({s.text for sides in proof.values() for side in sides.values() for s in side})
    if not texts:
        return {}
    if clf is None:
        from stance.inference.classifier import StanceClassifier

        if not Path(cfg.model_dir).expanduser().is_dir():
            note = f"stance: note: no model at {cfg.model_dir}, so the evidence is not highlighted (set model_dir= or trend.explain=false)"
            print(note, file=sys.stderr)
            return {}
        clf = StanceClassifier.from_pretrained(cfg.model_dir, batch_size=cfg.predict.batch_size)
    return {e.text: e.top_words(3) for e in clf.explain(texts)}


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["actor"], lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) and v == v else ("" if isinstance(v, float) else v)) for k, v in r.items()})
    return buffer.getvalue()


def _sizes(row: dict) -> str:
    """'1 document, 3 sentences': a cell's size as its printed line says it."""
    documents, sentences = row["documents"], row["sentences"]
    return f"{documents} document{'' if documents == 1 else 's'}, {sentences} sentence{'' if sentences == 1 else 's'}"


main = run_hydra_app(trend)

if __name__ == "__main__":
    main()
