"""Score what a user hands to stance-predict: sentences, tables and raw articles in, records with labels out.

Inputs are read by the one reader of the package (`stance.data.readers.read_sentences`): a table's
other columns (id, date, actor, ...) pass through to the output, and a raw article is cleaned and
segmented exactly as `stance-prepare` does, then summarised as a document.
"""

from __future__ import annotations

import csv
import glob
import io
import itertools
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.data.readers import RAW_SUFFIXES, TABLE_SUFFIXES, Columns, discover, read_sentences, read_text_file
from stance.errors import StanceError, check_setting
from stance.inference.classifier import check_min_confidence

# fields stance-predict writes; an input column of the same name is kept as `input_<name>`
OUTPUT_FIELDS = ("type", "doc_id", "id", "text", "label", "confidence")


ENGINES = ("local", "ray")
ON_ERROR = ("stop", "skip")  # what an archive run does with an input it cannot read
# files of an input folder that are not inputs: article manifests, notes, run records (_run.json)
SCORING_EXCLUDE = ("labels.csv", "*.md", "_*")


@dataclass
class RayOptions:
    """Where and how wide an archive is scored on Ray (predict.engine=ray): the `predict.ray` config group."""

    address: str | None = None
    actors: int = 2
    cpus_per_actor: float = 1.0
    articles_per_part: int = 256

    def __post_init__(self) -> None:
        for key, value, least in (("actors", self.actors, 1), ("articles_per_part", self.articles_per_part, 1)):
            if value < least:
                raise StanceError(f"predict.ray.{key}={value} is below {least}", where=f"predict.ray.{key}", fix=f"set predict.ray.{key}>={least}")
        if self.cpus_per_actor <= 0:
            raise StanceError(
                f"predict.ray.cpus_per_actor={self.cpus_per_actor} gives an actor no CPU",
                where="predict.ray.cpus_per_actor",
                fix="use a number above 0, e.g. 1",
            )


@dataclass
class PredictOptions:
    """How stance-predict reads, scores and writes: the `predict` config group."""

    input: str | None = None
    output: str | None = None
    format: str = "jsonl"
    text_column: str = "text"
    lines: bool | None = None
    min_confidence: float | None = None
    backend: str = "torch"
    onnx_rescore: bool = True
    batch_size: int = 64
    explain: bool = False
    engine: str = "local"
    on_error: str = "stop"
    ray: RayOptions = field(default_factory=RayOptions)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise StanceError(f"unknown engine '{self.engine}'", where="predict.engine", fix=f"use {' or '.join(ENGINES)}")
        if self.on_error not in ON_ERROR:
            raise StanceError(f"unknown value '{self.on_error}'", where="predict.on_error", fix=f"use {' or '.join(ON_ERROR)}")
        check_setting(self.batch_size >= 1, "predict.batch_size", self.batch_size, "a whole number from 1, e.g. 64")
        check_min_confidence(self.min_confidence, "predict.min_confidence")


@dataclass
class Inputs:
    """Sentences to score one by one (with their input columns) and raw articles to summarise as documents."""

    sentences: list[dict[str, Any]]
    articles: list[tuple[str, str]]
    renamed: list[str]  # input columns renamed to input_<name> because stance-predict writes a field of that name


def input_files(inputs: Sequence[str]) -> list[Path]:
    """The files `predict.input` names (files, folders searched recursively, globs), without manifests, notes or run records."""
    return [p for p in discover(list(inputs), exclude=SCORING_EXCLUDE, setting="predict.input") if p.is_file()]


def _read_files(found: list[Path], root: Path, text_column: str) -> Inputs:
    """Articles and tables found under `root`: an article's id is its path from `root`, so two x.txt in different subfolders stay apart."""
    articles = [p for p in found if p.suffix.lower() in RAW_SUFFIXES]
    tables = [p for p in found if p.suffix.lower() in TABLE_SUFFIXES]
    out = Inputs([], [(p.relative_to(root).with_suffix("").as_posix(), read_text_file(p)) for p in articles], [])
    for table in tables:
        part = _table_records(table, text_column)
        out.sentences += part.sentences
        out.renamed = sorted(set(out.renamed) | set(part.renamed))
    return out


def read_inputs(source: str, text_column: str = "text", lines: bool | None = None) -> Inputs:
    """What `predict.input` names: `-` (stdin), a `.txt` file, a folder of `.txt` articles, a table, or a glob of them.

    A `.txt` file is one article (cleaned and segmented) unless `lines` is true (one sentence a
    line); standard input is one sentence a line unless `lines` is false.
    """
    if source == "-":
        text = sys.stdin.read()
        if lines is False:
            return Inputs([], [("stdin", text)], [])
        return Inputs(_line_records(text), [], [])
    if glob.has_magic(source):
        # a glob pattern: its files as a folder's are read, ids relative to the folders before its first wildcard
        found = input_files([source])
        parts = Path(os.path.expanduser(source)).parts
        return _read_files(found, Path(*itertools.takewhile(lambda part: not glob.has_magic(part), parts)), text_column)
    path = Path(source).expanduser()
    if not path.exists():
        raise StanceError("no such file or folder", where=str(path), fix="set predict.input= to a file, a folder of articles, a glob or -")
    if path.is_dir():
        # the files stance-prepare would read there (hidden folders, manifests and run records left out)
        try:
            found = input_files([str(path)])
        except StanceError:
            found = []
        if not found:
            raise StanceError(
                "folder holds no .txt articles or tables", where=str(path), fix=f"put articles (.txt) or tables ({', '.join(TABLE_SUFFIXES)}) in it"
            )
        return _read_files(found, path, text_column)
    suffix = path.suffix.lower()
    if suffix in RAW_SUFFIXES:
        text = read_text_file(path)
        if lines or not text.strip():
            return Inputs(_line_records(text), [], [])
        return Inputs([], [(path.stem, text)], [])
    if suffix in TABLE_SUFFIXES:
        return _table_records(path, text_column)
    raise StanceError(
        f"unsupported file type '{suffix}'",
        where=str(path),
        fix=f"use .txt (an article, or one sentence a line with predict.lines=true), {', '.join(TABLE_SUFFIXES)}, a folder or -",
    )


def _line_records(text: str) -> list[dict[str, Any]]:
    return [{"id": i, "text": t.strip()} for i, t in enumerate(text.splitlines(), start=1) if t.strip()]


def pass_through(record: dict[str, Any], text_column: str, written: Sequence[str] = ()) -> tuple[dict[str, Any], set[str]]:
    """An input row's own columns for the output (the text column left out), and the names that clash.

    A column named like a field stance-predict writes (`OUTPUT_FIELDS`, `p_<label>`, or `written`)
    is kept as `input_<name>`.
    """
    passed, clashes = {}, set()
    for name, value in record.items():
        if name == text_column:
            continue
        if name in OUTPUT_FIELDS or name.startswith("p_") or name in written:
            clashes.add(name)
            name = f"input_{name}"
        passed[name] = value
    return passed, clashes


def _table_records(path: Path, text_column: str) -> Inputs:
    columns = Columns(text=text_column, label="")
    records, renamed = [], set()
    keys = {"text": "predict.text_column"}
    for row in read_sentences([str(path)], columns, column_keys=keys):
        if not isinstance(row.text, str) or not row.text.strip():
            raise StanceError(f"field '{text_column}' is empty", where=f"{path} row {row.row}", fix="fill it in or delete the row")
        passed, clashes = pass_through(row.record, text_column)
        renamed |= clashes
        records.append({**passed, "type": "sentence", "id": row.row, "doc_id": row.doc_id, "text": row.text.strip(), "previous": row.previous})
    return Inputs(records, [], sorted(renamed))


def score(clf: Any, inputs: Inputs, explain: bool = False, top_k: int = 3) -> list[dict[str, Any]]:
    """One `sentence` record per sentence (input columns first, then label, confidence and p_<label>), one `document` record per article."""
    from tqdm.auto import tqdm

    records: list[dict[str, Any]] = []
    before: list[str] = []  # the previous sentence of each sentence record, for explanations
    if inputs.sentences:
        previous = [r.get("previous", "") for r in inputs.sentences]
        predictions = clf.predict_sentences([r["text"] for r in inputs.sentences], previous=previous)
        for rec, pred in zip(inputs.sentences, predictions):
            base = {k: v for k, v in rec.items() if k != "previous"}
            records.append({**base, "type": "sentence", **_prediction_fields(pred)})
        before += previous
    for doc_id, text in tqdm(inputs.articles, desc="articles", unit="article", disable=None if len(inputs.articles) > 3 else True):
        summary = clf.predict_document(text, top_k=top_k)
        for i, pred in enumerate(summary.sentences, start=1):
            records.append({"type": "sentence", "doc_id": doc_id, "id": i, "text": pred.text, **_prediction_fields(pred)})
        before += [""] + [p.text for p in summary.sentences[:-1]]
        records.append(
            {
                "type": "document",
                "doc_id": doc_id,
                "label": summary.stance,
                "sentences": len(summary.sentences),
                "stance_bearing": summary.stance_bearing,
                "stance_index": None if summary.index is None else round(summary.index, 6),
                **{f"share_{k}": round(v, 6) for k, v in summary.shares.items()},
                "strongest": {k: [s.text for s in v] for k, v in summary.strongest.items()},
                "removed": summary.removed,
            }
        )
    if explain:
        scored = [r for r in records if r["type"] == "sentence"]
        for record, explanation in zip(scored, clf.explain([r["text"] for r in scored], before)):
            record["top_words"] = explanation.top_words(3)
    return records


def _prediction_fields(pred: Any) -> dict[str, Any]:
    return {
        "text": pred.text,
        "label": pred.label,
        "confidence": round(pred.confidence, 6),
        **{f"p_{k}": round(v, 6) for k, v in pred.probabilities.items()},
    }


def render(records: Sequence[dict[str, Any]], fmt: str, labels: Sequence[str]) -> str:
    """JSON Lines (every record) or CSV (sentence rows, then one row per document with its figures in `document_<field>` columns)."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
    if fmt != "csv":
        raise StanceError(
            f"unknown output format '{fmt}'", where="predict.output", fix="write to a .jsonl or .csv file (or set predict.format=jsonl|csv)"
        )
    fields = list(OUTPUT_FIELDS) + [f"p_{n}" for n in labels]
    extra = _ordered_union(k for r in records if r["type"] == "sentence" for k in r if k not in fields and k != "top_words")
    if any("top_words" in r for r in records):
        extra.append("top_words")
    # a document's own figures (index, shares, counts, what cleaning removed) in columns named document_<field>,
    # empty on sentence rows; its strongest sentences are in the JSON Lines output only
    documents = [r for r in records if r["type"] == "document"]
    document_columns = _ordered_union(k for d in documents for k in d if k not in ("type", "doc_id", "label", "strongest"))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields + extra + [f"document_{k}" for k in document_columns], extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**r, "top_words": "; ".join(r.get("top_words", []))} for r in records if r["type"] == "sentence")
    # documents go last, one row each, so the file stays a single rectangular table
    writer.writerows(
        {"type": "document", "doc_id": d["doc_id"], "label": d["label"], **{f"document_{k}": _cell(d[k]) for k in document_columns if k in d}}
        for d in documents
    )
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell: a mapping (what cleaning removed, by kind) as JSON, anything else as it is."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value


def _ordered_union(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))
