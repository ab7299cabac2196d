"""Inputs of a stance trend: raw articles with a manifest, a table with text, date and actor columns, or scored predictions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.data.readers import TABLE_SUFFIXES, discover, read_text_file
from stance.data.segmentation import article_sentences
from stance.errors import StanceError


@dataclass
class TrendColumns:
    """Column names of trend inputs (the `trend.columns` config group)."""

    text: str = "text"
    date: str = "date"
    actor: str = "speaker"
    counterpart: str = "counterpart"
    doc_id: str = "doc_id"


@dataclass
class TrendOptions:
    """What stance-trend reads and how it aggregates: the `trend` config group."""

    inputs: list[str] = field(default_factory=list)
    manifest: str | None = None
    columns: TrendColumns = field(default_factory=TrendColumns)
    period: str = "quarter"
    actors: list[str] = field(default_factory=list)
    bootstrap_resamples: int = 1000
    confidence_level: float = 0.95
    top_k: int = 3
    explain: bool = True
    output_dir: str | None = None


@dataclass
class TrendRow:
    doc_id: str
    text: str
    actor: str
    counterpart: str
    date: dt.date
    label: str | None = None  # already scored (a stance-predict output)
    confidence: float | None = None


def parse_date(value: Any, where: str, column: str) -> dt.date:
    """ISO dates ('2024-01-16', '2024-01-16T09:30:00', '2024-01'), one clear line otherwise."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
    for candidate in (text, text[:10], f"{text}-01" if len(text) == 7 else ""):
        try:
            return dt.date.fromisoformat(candidate)
        except ValueError:
            continue
    if hasattr(value, "date"):  # pandas / datetime timestamps
        return value.date()
    raise StanceError(
        f"date '{text}' in field '{column}' does not parse" if text else f"field '{column}' (the date) is empty",
        where=where,
        fix="write dates as YYYY-MM-DD (or YYYY-MM), or map the date column with trend.columns.date=<column>",
    )


def _manifest(path: Path, columns: TrendColumns) -> dict[str, dict[str, Any]]:
    import pandas as pd

    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    key = "file" if "file" in table.columns else columns.doc_id
    _require(path, list(table.columns), {"doc_id": key, "date": columns.date, "actor": columns.actor})
    return {Path(str(r[key])).stem: {**r, "_row": i} for i, r in enumerate(table.to_dict("records"), start=1)}


def _require(path: Path, present: Sequence[str], needed: dict[str, str]) -> None:
    """`needed` maps each kind (a `trend.columns` key) to the column name it is configured as."""
    for kind, column in needed.items():
        if column not in present:
            raise StanceError(
                f"no '{column}' column (columns present: {', '.join(map(str, present)) or 'none'})",
                where=str(path),
                fix=f"map your column with trend.columns.{kind}=<your column name>",
            )


def _articles(files: list[Path], manifest_path: Path | None, columns: TrendColumns, skipped: list[str]) -> list[TrendRow]:
    if manifest_path is None or not manifest_path.exists():
        raise StanceError(
            "raw articles need a manifest with each file's actor and date",
            where=str(files[0].parent),
            fix=f"add a CSV with columns file, {columns.actor}, {columns.counterpart}, {columns.date} and set trend.manifest=<path>",
        )
    manifest = _manifest(manifest_path, columns)
    rows = []
    for path in files:
        meta = manifest.get(path.stem)
        if meta is None:  # no date or actor: it cannot be placed on a trend
            skipped.append(path.name)
            continue
        where = f"{manifest_path} row {meta['_row']}"
        date = parse_date(meta.get(columns.date), where, columns.date)
        for sentence in article_sentences(read_text_file(path)):
            rows.append(TrendRow(path.stem, sentence, meta[columns.actor], meta.get(columns.counterpart, ""), date))
    return rows


def _table(path: Path, columns: TrendColumns, manifest_path: Path | None) -> list[TrendRow]:
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            table = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
        elif suffix == ".parquet":
            table = pd.read_parquet(path)
        else:
            table = pd.read_json(path, lines=True, dtype=False)
    except (ValueError, UnicodeDecodeError) as err:
        raise StanceError(f"cannot read the table ({str(err).splitlines()[0][:120]})", where=str(path), fix="check the file format") from None
    if "type" in table.columns:  # a stance-predict output: sentence records only
        table = table[table["type"] == "sentence"]
    scored = {"label", "confidence"} <= set(table.columns)
    manifest = _manifest(manifest_path, columns) if manifest_path else None
    needed = {"text": columns.text, **({"doc_id": columns.doc_id} if manifest else {"date": columns.date, "actor": columns.actor})}
    _require(path, list(table.columns), needed)
    rows = []
    for i, record in enumerate(table.to_dict("records"), start=1):
        where = f"{path} row {i}"
        text = str(record.get(columns.text) or "").strip()
        if not text:
            continue
        doc_id = str(record.get(columns.doc_id) or f"{path.name}#{i}")
        meta = record
        if manifest is not None:
            meta = manifest.get(Path(doc_id).stem)
            if meta is None:
                raise StanceError(f"document '{doc_id}' is not in the manifest", where=where, fix="add it to the manifest or drop the row")
            where = f"{manifest_path} row {meta['_row']}"
        actor = str(meta.get(columns.actor) or "").strip()
        if not actor:
            raise StanceError(f"field '{columns.actor}' (the actor) is empty", where=where, fix="fill it in or delete the row")
        rows.append(
            TrendRow(
                doc_id,
                text,
                actor,
                str(meta.get(columns.counterpart) or "").strip(),
                parse_date(meta.get(columns.date), where, columns.date),
                label=str(record["label"]) if scored else None,
                confidence=float(record["confidence"]) if scored else None,
            )
        )
    return rows


def read_trend_inputs(inputs: Sequence[str], columns: TrendColumns, manifest: str | None = None) -> tuple[list[TrendRow], list[str]]:
    """Every sentence of `inputs` with its document, actor, counterpart and date (and label, when already scored).

    Also returns the raw articles skipped because the manifest has no row for them.
    """
    rows: list[TrendRow] = []
    skipped: list[str] = []
    articles: list[Path] = []
    manifest_path = Path(manifest).expanduser() if manifest else None
    for path in discover(inputs, exclude=("*.md",)):
        if path.suffix.lower() == ".txt":
            articles.append(path)
        elif path.suffix.lower() in TABLE_SUFFIXES:
            if manifest_path is None and path.name == "labels.csv" and any(p.suffix == ".txt" for p in path.parent.iterdir()):
                continue  # the manifest beside raw articles, not a table of sentences
            rows.extend(_table(path, columns, manifest_path))
        else:
            fix = f"use .txt articles or one of {', '.join(TABLE_SUFFIXES)}"
            raise StanceError(f"unsupported file type '{path.suffix}'", where=str(path), fix=fix)
    if articles:
        default_manifest = articles[0].parent / "labels.csv"
        rows.extend(_articles(articles, manifest_path or default_manifest, columns, skipped))
    if not rows:
        raise StanceError("the inputs hold no sentences", where="trend.inputs", fix="give raw articles with a manifest or a table with a text column")
    return rows, skipped
