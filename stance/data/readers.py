"""Read labelled files (CSV, JSONL, Parquet, `datasets` on disk) and raw articles into plain rows.

`read_sentences` is the one reader of inputs into sentences: the dataset, the distillation
transfer set, the annotation pool and stance-predict all go through it. It yields `RawRow`s in
document order that still carry the raw label cell (label mapping and de-duplication happen in
`stance.data.dataset`), each with the sentence before it in its document. Every problem is raised
as a `StanceError` naming the file, the row or line, the field and the fix.
"""

from __future__ import annotations

import csv
import fnmatch
import glob
import io
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import StanceError

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")  # the one list of tabular input kinds
RAW_SUFFIXES = (".txt",)
MAX_FIELD_CHARS = 100_000


@dataclass
class Columns:
    """Column names in tabular inputs (the `data.columns` config group); `label=""` reads files without labels."""

    text: str = "text"
    label: str = "label"
    doc_id: str = "doc_id"
    tags: str = "tags"
    previous: str = "previous"  # the sentence before, for files that list sentences out of document order


@dataclass
class RawRow:
    text: Any
    label: Any
    doc_id: str
    source: str
    row: int  # row or line number in the file; for a raw article, the sentence's number in it
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    raw_article: bool = False
    previous: str = ""  # the sentence before this one in its document ("" at the start, or when unknown)
    record: dict[str, Any] = field(default_factory=dict)  # the row's cells as read, for outputs that pass columns through


def _fix_columns(kind: str, keys: dict[str, str] | None = None) -> str:
    """The setting that maps a column: `data.columns.<kind>` unless the caller reads with its own keys (e.g. predict.text_column)."""
    key = (keys or {}).get(kind, f"data.columns.{kind}")
    return f"map your column with {key}=<your column name>"


def read_text_file(path: Path) -> str:
    """Decode UTF-8 (a BOM is accepted); undecodable bytes are an error naming the line."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise StanceError(
            f"line {line} is not valid UTF-8 (byte 0x{data[err.start]:02x})",
            where=str(path),
            fix="re-save the file as UTF-8 (e.g. `iconv -f cp1252 -t utf-8`)",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def discover(inputs: Sequence[str], exclude: Sequence[str] = (), setting: str = "data.inputs") -> list[Path]:
    """Expand configured inputs (files, folders or glob patterns) into the list of files to read, each once.

    A file named outright is read whatever its name; a folder's files and a pattern's matches are
    those with a readable suffix that `exclude` (name patterns) and hidden folders leave in.
    `setting` is the key the errors name.
    """
    if not inputs:
        raise StanceError("no inputs configured", where=setting, fix=f"set {setting}=[path/to/file_or_folder]")
    found: list[Path] = []
    for item in inputs:
        if any(ch in item for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(item), recursive=True))
            if not matches:
                fix = f"check the glob in {setting} (quote it so the shell leaves it alone)"
                raise StanceError("the pattern matches no file", where=item, fix=fix)
            files = [f for m in matches for f in ([m] if m.is_file() and _readable(m, exclude) else _folder_files(m, exclude) if m.is_dir() else [])]
            if not files:
                raise StanceError("the pattern matches no readable file", where=item, fix=f"match {', '.join(TABLE_SUFFIXES + RAW_SUFFIXES)} files")
            found.extend(files)
            continue
        path = Path(item).expanduser()
        if not path.exists():
            raise StanceError(
                "no such file or folder",
                where=str(path),
                fix=f"check the path in {setting} (relative paths start at the current directory)",
            )
        if path.is_file() or _is_saved_dataset(path):
            found.append(path)
            continue
        files = _folder_files(path, exclude)
        if not files:
            raise StanceError(
                "folder holds no readable files",
                where=str(path),
                fix=f"put {', '.join(TABLE_SUFFIXES + RAW_SUFFIXES)} files in it or list files in {setting}",
            )
        found.extend(files)
    return list(dict.fromkeys(found))


def _folder_files(path: Path, exclude: Sequence[str]) -> list[Path]:
    """A folder's readable files outside hidden folders, and its saved datasets (each read whole, not file by file)."""
    if _is_saved_dataset(path):
        return [path]
    visible = [p for p in sorted(path.rglob("*")) if not any(part.startswith(".") for part in p.relative_to(path).parts)]
    children = [p for p in visible if p.is_file() and _readable(p, exclude)]
    saved = sorted({p.parent for p in path.rglob("dataset_info.json")} | {p.parent for p in path.rglob("dataset_dict.json")})
    children = [c for c in children if not any(s in c.parents for s in saved)]
    return children + [s for s in saved if not any(o in s.parents for o in saved if o != s)]


def _readable(path: Path, exclude: Sequence[str]) -> bool:
    return path.suffix.lower() in TABLE_SUFFIXES + RAW_SUFFIXES and not any(fnmatch.fnmatch(path.name, pat) for pat in exclude)


def _is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and ((path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists())


def read_sentences(
    inputs: Sequence[str],
    columns: Columns,
    metadata: Sequence[str] = (),
    exclude: Sequence[str] = (),
    boilerplate: Any = None,
    column_keys: dict[str, str] | None = None,
) -> Iterator[RawRow]:
    """Every sentence of `inputs`, file by file in document order, each with the sentence before it.

    Raw `.txt` articles are cleaned (`boilerplate`: a `BoilerplateFilter`) and segmented into
    sentences; table rows are sentences already. A row's previous sentence is its
    `columns.previous` cell when the file has one, else the row before it with the same document
    id (rows without a document id have none). `column_keys` names the settings a missing-column
    error tells the user to change (default: `data.columns.<kind>`).
    """
    from stance.data.cleaning import normalise_text
    from stance.data.segmentation import article_sentences

    for path in discover(inputs, exclude):
        last: dict[str, str] = {}
        for raw in read_source(path, columns, metadata, column_keys):
            if raw.raw_article:
                previous = ""
                for number, sentence in enumerate(article_sentences(raw.text, boilerplate), start=1):
                    yield RawRow(sentence, None, raw.doc_id, raw.source, number, raw_article=True, previous=previous)
                    previous = sentence
                continue
            given = raw.record.get(columns.previous)
            if isinstance(given, str):
                raw.previous = normalise_text(given)
            elif raw.doc_id in last:
                raw.previous = last[raw.doc_id]
            if isinstance(raw.text, str) and not raw.doc_id.startswith(f"{path.name}#"):
                last[raw.doc_id] = normalise_text(raw.text)
            yield raw


def read_source(path: Path, columns: Columns, metadata: Sequence[str], column_keys: dict[str, str] | None = None) -> Iterator[RawRow]:
    """Yield the rows of one input file or saved dataset (a raw article is one row holding the whole text)."""
    if _is_saved_dataset(path):
        yield from _read_saved_dataset(path, columns, metadata, column_keys)
        return
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES + RAW_SUFFIXES:
        raise StanceError(
            f"unsupported file type '{suffix or '(none)'}'",
            where=str(path),
            fix=f"convert it to one of {', '.join(TABLE_SUFFIXES + RAW_SUFFIXES)}",
        )
    if path.stat().st_size == 0:
        raise StanceError("file is empty", where=str(path), fix="remove it from data.inputs or add rows")
    if suffix in RAW_SUFFIXES:
        yield _read_article(path)
    elif suffix in (".csv", ".tsv"):
        yield from _read_csv(path, columns, metadata, column_keys)
    elif suffix == ".parquet":
        yield from _read_parquet(path, columns, metadata, column_keys)
    else:
        yield from _read_jsonl(path, columns, metadata, column_keys)


def _read_article(path: Path) -> RawRow:
    text = read_text_file(path)
    if not text.strip():
        raise StanceError("file is empty", where=str(path), fix="remove it from data.inputs or add text")
    return RawRow(text=text, label=None, doc_id=path.stem, source=str(path), row=0, raw_article=True)


def _check_columns(path: Path, present: Sequence[str], columns: Columns, keys: dict[str, str] | None = None) -> None:
    for kind in ("text", "label") if columns.label else ("text",):  # label "" reads unlabelled files
        name = getattr(columns, kind)
        if name not in present:
            raise StanceError(
                f"no '{name}' column for the {kind} (columns present: {', '.join(map(str, present)) or 'none'})",
                where=str(path),
                fix=_fix_columns(kind, keys),
            )


def _row(path: Path, record: dict[str, Any], index: int, columns: Columns, metadata: Sequence[str]) -> RawRow:
    doc = record.get(columns.doc_id)
    doc_id = f"{path.name}#{index}" if _missing(doc) else str(doc).strip()
    tags = record.get(columns.tags)
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.replace(";", ",").replace("|", ",").split(",") if t.strip()]
    elif _missing(tags):
        tags = []
    else:
        tags = [str(t) for t in tags]
    meta = {m: "" if _missing(record.get(m)) else str(record.get(m)) for m in metadata}
    return RawRow(
        text=record.get(columns.text),
        label=record.get(columns.label),
        doc_id=doc_id,
        source=str(path),
        row=index,
        tags=tags,
        metadata=meta,
        record=record,
    )


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def csv_delimiter(path: Path, text: str) -> str:
    """The field separator of a CSV/TSV file: the one every reader of tables uses.

    A tab for `.tsv`. For `.csv` a comma, unless the header line holds no comma but semicolons or
    tabs: spreadsheets in many locales save "CSV" with semicolons (comma being their decimal
    mark), and some save tabs. Only the header decides, so a comma file whose cells hold semicolons
    stays a comma file.
    """
    if path.suffix.lower() == ".tsv":
        return "\t"
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    if "," in header:
        return ","
    return max((";", "\t"), key=header.count) if header.count(";") + header.count("\t") else ","


def csv_dict_reader(path: Path, text: str) -> csv.DictReader:
    """The rows of a CSV/TSV file's decoded `text` as dicts, split by its `csv_delimiter`.

    Header names are stripped ("label " reads as "label"): spreadsheets and hand-edited files pad them,
    and every table this package reads (sentences, annotation exports, manifests) names its columns alike.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=csv_delimiter(path, text))
    if reader.fieldnames:
        reader.fieldnames = [name.strip() for name in reader.fieldnames]
    return reader


def _read_csv(path: Path, columns: Columns, metadata: Sequence[str], keys: dict[str, str] | None) -> Iterator[RawRow]:
    text = read_text_file(path)
    csv.field_size_limit(2**31 - 1)
    reader = csv_dict_reader(path, text)
    if not reader.fieldnames:
        raise StanceError("file has no header row", where=str(path), fix="add a header line naming the columns")
    header = list(reader.fieldnames)
    _check_columns(path, header, columns, keys)
    try:
        for index, record in enumerate(reader, start=1):
            yield _row(path, record, index, columns, metadata)
    except csv.Error as err:
        raise StanceError(f"row {reader.line_num} cannot be parsed as CSV ({err})", where=str(path), fix="fix the quoting on that row") from None


def json_records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The objects of a JSON Lines file (or of a .json array), each with its line (or item) number; one-line errors."""
    text = read_text_file(path)
    if path.suffix.lower() == ".json" and text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise StanceError(f"line {err.lineno} is not valid JSON ({err.msg})", where=str(path), fix="fix the JSON syntax") from None
        lines = [(i, r) for i, r in enumerate(records, start=1)]
    else:
        lines = []
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                lines.append((number, json.loads(line)))
            except json.JSONDecodeError as err:
                raise StanceError(
                    f"line {number} is not valid JSON ({err.msg} at column {err.colno})",
                    where=str(path),
                    fix="fix or delete that line (JSON Lines needs one complete object per line; a pretty-printed .json must be one array)",
                ) from None
    if not lines:
        raise StanceError("file holds no records", where=str(path), fix="add one JSON object per line")
    for number, record in lines:
        if not isinstance(record, dict):
            raise StanceError(f"line {number} is not a JSON object", where=str(path), fix="write one {...} object per line")
    return lines


def table_columns(path: Path) -> list[str]:
    """A table's column names without reading its rows where the format allows (JSON Lines: every key any record has)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except (pa.ArrowException, OSError) as err:
            raise StanceError(f"cannot be read as Parquet ({str(err)[:120]})", where=str(path), fix="re-export the file as Parquet") from None
    if suffix in (".csv", ".tsv"):
        text = read_text_file(path)
        return next(csv.reader(io.StringIO(text), delimiter=csv_delimiter(path, text)), [])
    names: dict[str, None] = {}
    for _, record in json_records(path):
        names.update(dict.fromkeys(record))
    return list(names)


def _read_jsonl(path: Path, columns: Columns, metadata: Sequence[str], keys: dict[str, str] | None = None) -> Iterator[RawRow]:
    lines = json_records(path)
    seen_columns: set[str] = set()
    for _, record in lines:
        seen_columns.update(record)
    _check_columns(path, sorted(seen_columns), columns, keys)
    for number, record in lines:
        yield _row(path, record, number, columns, metadata)


def _read_parquet(path: Path, columns: Columns, metadata: Sequence[str], keys: dict[str, str] | None = None) -> Iterator[RawRow]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise StanceError(f"cannot be read as Parquet ({err})", where=str(path), fix="re-export the file as Parquet") from None
    _check_columns(path, table.column_names, columns, keys)
    text_type = table.schema.field(columns.text).type
    if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)):
        raise StanceError(
            f"column '{columns.text}' has type {text_type}, not string",
            where=str(path),
            fix="cast the text column to string before saving, or point data.columns.text at the text column",
        )
    for index, record in enumerate(table.to_pylist(), start=1):
        yield _row(path, record, index, columns, metadata)


def _read_saved_dataset(path: Path, columns: Columns, metadata: Sequence[str], keys: dict[str, str] | None = None) -> Iterator[RawRow]:
    from datasets import ClassLabel, DatasetDict, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except Exception as err:  # datasets raises several unrelated types for broken folders
        raise StanceError(f"cannot be loaded as a saved dataset ({err})", where=str(path), fix="save it with Dataset.save_to_disk") from None
    parts = list(loaded.items()) if isinstance(loaded, DatasetDict) else [("", loaded)]
    for split, dataset in parts:
        _check_columns(path, dataset.column_names, columns, keys)
        feature = dataset.features.get(columns.label) if columns.label else None
        names = feature.names if isinstance(feature, ClassLabel) else None
        where = path / split if split else path
        for index, record in enumerate(dataset, start=1):
            if names is not None and record[columns.label] is not None and record[columns.label] >= 0:
                record[columns.label] = names[record[columns.label]]
            yield _row(where, record, index, columns, metadata)
