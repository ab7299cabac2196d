"""Inputs of a stance trend: raw articles with a manifest, a table with text, date and actor columns, or scored predictions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.analysis.stance_index import PERIODS
from stance.data.readers import TABLE_SUFFIXES, csv_dict_reader, discover, read_text_file
from stance.errors import StanceError, check_setting


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
    date_format: str | None = None
    dayfirst: bool = False
    period: str = "quarter"
    actors: list[str] = field(default_factory=list)
    bootstrap_resamples: int = 1000
    confidence_level: float = 0.95
    min_documents: int = 2
    top_k: int = 3
    explain: bool = True
    output_dir: str | None = None

    def __post_init__(self) -> None:
        """Reject an impossible value when the options are built, before any input is read."""
        if self.period not in PERIODS:
            raise StanceError(f"unknown period '{self.period}'", where="trend.period", fix=f"use one of {', '.join(PERIODS)}")
        if self.min_documents < 1:
            raise StanceError(
                f"trend.min_documents={self.min_documents} asks for an interval from no document",
                where="trend.min_documents",
                fix="use 1 or more (2 is the default)",
            )
        check_setting(self.bootstrap_resamples >= 1, "trend.bootstrap_resamples", self.bootstrap_resamples, "1 or more, e.g. 1000")
        check_setting(0 < self.confidence_level < 1, "trend.confidence_level", self.confidence_level, "a level between 0 and 1, e.g. 0.95")
        check_setting(self.top_k >= 0, "trend.top_k", self.top_k, "0 (no evidence) or more sentences")


@dataclass
class TrendRow:
    doc_id: str
    text: str
    actor: str
    counterpart: str
    date: dt.date
    label: str | None = None  # already scored (a stance-predict output)
    confidence: float | None = None
    previous: str = ""  # the sentence before it in its document, read by a context model


@dataclass
class DateReader:
    """Dates as the user's sources write them: ISO by default, or `date_format` (strptime), or day-first parsing."""

    date_format: str | None = None
    dayfirst: bool = False

    def __call__(self, value: Any) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if hasattr(value, "date") and callable(value.date):  # pandas timestamps
            return value.date()
        text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
        if not text:
            return None
        if self.date_format:
            try:
                return dt.datetime.strptime(text, self.date_format).date()
            except ValueError:
                return None
        for candidate in (text, text[:10], f"{text}-01" if len(text) == 7 else ""):
            try:
                return dt.date.fromisoformat(candidate)
            except ValueError:
                continue
        if self.dayfirst:
            import pandas as pd

            try:
                return pd.to_datetime(text, dayfirst=True).date()
            except (ValueError, OverflowError):
                return None
        return None


def read_trend_inputs(
    inputs: Sequence[str], columns: TrendColumns, manifest: str | None = None, dates: DateReader | None = None, boilerplate: Any = None
) -> tuple[list[TrendRow], list[str]]:
    """Every sentence of `inputs` with its document, actor, counterpart and date (and label, when already scored).

    Raw articles take their actor and date from the manifest; tables (and stance-predict outputs,
    partitioned Parquet folders included) from their own columns or, with a manifest, by document.
    Every date that does not parse is reported at once. Also returns the raw articles skipped
    because the manifest has no row for them. Raw articles are cleaned by `boilerplate` (a
    `BoilerplateFilter`, which counts what it removes; a fresh one when None).
    """
    from stance.data.readers import Columns, read_sentences

    dates = dates or DateReader()
    manifest_path = Path(manifest).expanduser() if manifest else None
    if manifest_path is not None and not manifest_path.is_file():
        raise StanceError(
            "no such manifest", where=str(manifest_path), fix="check the path in trend.manifest, or leave it null for tables with their own columns"
        )
    files = []
    for path in discover(inputs, exclude=("*.md", "_*.json")):  # _run.json: the record of a Ray-scored folder
        suffix = path.suffix.lower()
        if (
            suffix in TABLE_SUFFIXES
            and manifest_path is None
            and path.name == "labels.csv"
            and any(p.suffix == ".txt" for p in path.parent.iterdir())
        ):
            continue  # the manifest beside raw articles, not a table of sentences
        if suffix != ".txt" and suffix not in TABLE_SUFFIXES:
            raise StanceError(
                f"unsupported file type '{path.suffix}'", where=str(path), fix=f"use .txt articles or one of {', '.join(TABLE_SUFFIXES)}"
            )
        files.append(path)
    if any(f.suffix.lower() == ".txt" for f in files) and manifest_path is None:
        manifest_path = next(f for f in files if f.suffix.lower() == ".txt").parent / "labels.csv"
    manifest_rows = _manifest(manifest_path, columns) if manifest_path is not None and manifest_path.exists() else None
    rows: list[TrendRow] = []
    skipped: list[str] = []
    bad_dates: list[tuple[str, str]] = []
    reader_columns = Columns(text=columns.text, label="", doc_id=columns.doc_id, previous="")
    for path in files:
        article = path.suffix.lower() == ".txt"
        if article and manifest_rows is None:
            raise StanceError(
                "raw articles need a manifest with each file's actor and date",
                where=str(path.parent),
                fix=f"add a CSV with columns file, {columns.actor}, {columns.counterpart}, {columns.date} and set trend.manifest=<path>",
            )
        if not article:
            _check_table_columns(path, columns, manifest_rows is not None)
        for raw in read_sentences([str(path)], reader_columns, boilerplate=boilerplate, column_keys={"text": "trend.columns.text"}):
            record = raw.record
            if record.get("type") not in (None, "sentence"):
                continue  # a stance-predict output: its document records are not sentences
            text = str(raw.text or "").strip()
            if not text:
                continue
            where = f"{path} row {raw.row}"
            meta = record
            if article or manifest_rows is not None:
                meta = manifest_rows.get(Path(raw.doc_id).stem) if manifest_rows is not None else None
                if meta is None:
                    if article:  # no date or actor: it cannot be placed on a trend
                        if path.name not in skipped:
                            skipped.append(path.name)
                        continue
                    raise StanceError(f"document '{raw.doc_id}' is not in the manifest", where=where, fix="add it to the manifest or drop the row")
                where = f"{manifest_path} row {meta['_row']}"
            actor = str(meta.get(columns.actor) or "").strip()
            if not actor:
                raise StanceError(f"field '{columns.actor}' (the actor) is empty", where=where, fix="fill it in or delete the row")
            date = dates(meta.get(columns.date))
            if date is None:
                bad_dates.append((where, str(meta.get(columns.date) or "")))
                continue
            scored = "label" in record and "confidence" in record and not article
            rows.append(
                TrendRow(
                    raw.doc_id,
                    text,
                    actor,
                    str(meta.get(columns.counterpart) or "").strip(),
                    date,
                    label=str(record["label"]) if scored else None,
                    confidence=float(record["confidence"]) if scored else None,
                    previous=raw.previous,
                )
            )
    if bad_dates:
        _refuse_dates(bad_dates, columns, dates)
    if not rows:
        raise StanceError("the inputs hold no sentences", where="trend.inputs", fix="give raw articles with a manifest or a table with a text column")
    return rows, skipped


def _manifest(path: Path, columns: TrendColumns) -> dict[str, dict[str, Any]]:
    # The same CSV reader as every other table (encoding, delimiter, header), so a manifest saved
    # from a spreadsheet reads as a table of sentences saved from the same spreadsheet does.
    reader = csv_dict_reader(path, read_text_file(path))
    header = list(reader.fieldnames or [])
    key = "file" if "file" in header else columns.doc_id
    _require(path, header, {"doc_id": key, "date": columns.date, "actor": columns.actor})
    return {Path(str(r[key] or "")).stem: {**r, "_row": i} for i, r in enumerate(reader, start=1)}


def _require(path: Path, present: Sequence[str], needed: dict[str, str]) -> None:
    """`needed` maps each kind (a `trend.columns` key) to the column name it is configured as."""
    for kind, column in needed.items():
        if column not in present:
            raise StanceError(
                f"no '{column}' column (columns present: {', '.join(map(str, present)) or 'none'})",
                where=str(path),
                fix=f"map your column with trend.columns.{kind}=<your column name>",
            )


def _refuse_dates(bad: list[tuple[str, str]], columns: TrendColumns, dates: DateReader) -> None:
    unique = list(dict.fromkeys(bad))
    shown = "; ".join(f"{where}: '{value}'" if value else f"{where}: empty" for where, value in unique[:5])
    how = f"the format {dates.date_format}" if dates.date_format else "YYYY-MM-DD (or YYYY-MM)" + (", day first" if dates.dayfirst else "")
    raise StanceError(
        f"{len(unique)} date(s) in field '{columns.date}' do not parse as {how} ({shown}{'; ...' if len(unique) > 5 else ''})",
        where="trend.inputs",
        fix="set trend.date_format=<strptime format, e.g. %d/%m/%Y> or trend.dayfirst=true, or map the date column with trend.columns.date=<column>",
    )


def _check_table_columns(path: Path, columns: TrendColumns, by_manifest: bool) -> None:
    """The columns a table needs, named by the trend.columns key to set (its text column is checked by the reader)."""
    from stance.data.readers import table_columns

    present = table_columns(path)
    needed = {"doc_id": columns.doc_id} if by_manifest else {"date": columns.date, "actor": columns.actor}
    _require(path, present, needed)


def normalise_names(rows: list[TrendRow]) -> dict[str, str]:
    """Merge spellings of one actor or counterpart that differ only in case or spacing; return {variant: kept spelling}.

    The kept spelling is the most frequent one (ties: the first seen). Rows are rewritten in place.
    """
    from collections import Counter

    counts: Counter[str] = Counter(name for r in rows for name in (r.actor, r.counterpart) if name)
    by_key: dict[str, list[str]] = {}
    for name in counts:
        by_key.setdefault(" ".join(name.split()).casefold(), []).append(name)
    mapping = {}
    for variants in by_key.values():
        kept = max(variants, key=lambda v: counts[v])
        mapping.update({v: kept for v in variants if v != kept})
    if mapping:
        for r in rows:
            r.actor = mapping.get(r.actor, r.actor)
            r.counterpart = mapping.get(r.counterpart, r.counterpart)
    return mapping
