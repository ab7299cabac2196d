"""Turn labelled files and raw articles into a split `datasets.DatasetDict` with a ClassLabel feature."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance.data.cleaning import BoilerplateFilter, dedup_key, normalise_text
from stance.data.labels import DROP, LabelScheme
from stance.data.readers import Columns, RawRow, discover, json_records, read_sentences
from stance.data.splitting import assign_splits
from stance.errors import StanceError
from stance.runs.atomic import atomic_directory

SPLITS = ("train", "validation", "test")
UNLABELLED = "unlabelled"


def bundled_training_inputs() -> list[str]:
    """The default data: the bundled corpus, the real-text training part, the written news articles and the contrast pairs (trained on only)."""
    from stance.data.bundled import resource_path

    return [
        str(resource_path("corpus")),
        str(resource_path("realtext") / "train.jsonl"),
        str(resource_path("news") / "articles.jsonl"),
        str(resource_path("contrast") / "pairs.jsonl"),
    ]


@dataclass
class SplitRatios:
    """Shares of the labelled sentences per split (whole documents are moved, so shares are approximate)."""

    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1


@dataclass
class DataOptions:
    """What stance-prepare reads and how it cleans, labels and splits it: the `data` config group.

    The defaults are the bundled three-way data; `configs/data/diplomatic.yaml` states the same values
    (a test holds them equal).
    """

    name: str = "diplomatic"
    inputs: list[str] = field(default_factory=bundled_training_inputs)
    output_dir: str | None = None
    columns: Columns = field(default_factory=Columns)
    metadata: list[str] = field(default_factory=lambda: ["kind", "speaker", "counterpart", "region", "topic", "date", "register", "origin"])
    labels: list[str] = field(default_factory=lambda: ["conciliatory", "hardline", "neutral"])
    drop_labels: list[str] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    splits: SplitRatios = field(default_factory=SplitRatios)
    seed: int = 13
    train_only_origins: list[str] = field(default_factory=lambda: ["contrast"])
    splits_from: str | None = None
    on_conflict: str = "drop"
    min_chars: int = 2
    max_chars: int = 2000
    boilerplate_patterns: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=lambda: ["labels.csv", "*.md"])

    @property
    def scheme(self) -> LabelScheme:
        try:
            return LabelScheme(tuple(self.labels), tuple(self.drop_labels), dict(self.synonyms))
        except ValueError as err:
            raise StanceError(str(err), where="data.labels", fix="list two or more distinct labels") from None

    @property
    def prepared_dir(self) -> Path:
        """Where the prepared DatasetDict lives: `output_dir`, or data/processed/<name>."""
        return Path(self.output_dir) if self.output_dir else Path("data/processed") / self.name

    @property
    def ratios(self) -> dict[str, float]:
        return {"train": self.splits.train, "validation": self.splits.validation, "test": self.splits.test}


@dataclass
class PrepareResult:
    path: Path
    stats: dict[str, Any]


@dataclass
class _Sentence:
    text: str
    label: str | None
    doc_id: str
    source: str
    row: int
    tags: list[str]
    metadata: dict[str, str]
    previous: str = ""


def prepare_dataset(opts: DataOptions) -> PrepareResult:
    """Read, clean, label-map, de-duplicate and split the inputs; save the DatasetDict atomically."""
    if opts.on_conflict not in ("drop", "error"):
        raise StanceError(f"unknown value '{opts.on_conflict}'", where="data.on_conflict", fix="use drop or error")
    dropped: Counter[str] = Counter()
    sentences: list[_Sentence] = []
    doc_meta: dict[str, tuple[dict[str, str], str]] = {}
    scheme = opts.scheme
    boilerplate = BoilerplateFilter(opts.boilerplate_patterns)
    files = discover(opts.inputs, opts.exclude)
    from tqdm.auto import tqdm

    rows = (
        raw
        for path in tqdm(files, desc="reading", unit="file", disable=None if len(files) > 20 else True)
        for raw in read_sentences([str(path)], opts.columns, opts.metadata, boilerplate=boilerplate)
    )
    for raw in rows:
        if raw.raw_article:
            sentences.append(_Sentence(raw.text, None, raw.doc_id, raw.source, raw.row, [], {}, raw.previous))
            continue
        sentence = _labelled_sentence(raw, opts, scheme, dropped)
        if sentence is None:
            continue
        _check_doc_metadata(raw, doc_meta)
        sentences.append(sentence)

    labelled, conflicts = _deduplicate([s for s in sentences if s.label is not None], opts.on_conflict, dropped)
    unlabelled, _ = _deduplicate([s for s in sentences if s.label is None], "drop", dropped)
    present = Counter(s.label for s in labelled)
    if not labelled:
        raise StanceError(
            "no labelled sentences left after reading and cleaning",
            where="data.inputs",
            fix="add labelled CSV/JSONL/Parquet files (raw .txt articles carry no labels)",
        )
    if len(present) < 2:
        raise StanceError(
            f"only one label present ({', '.join(present)}); a classifier needs at least two",
            where="data.inputs",
            fix=f"add rows of the other labels ({scheme.allowed()})",
        )
    # documents of the train-only origins (the contrast pairs) are learned from, never scored: the others are split as if they were not there
    train_only = {s.doc_id for s in labelled if s.metadata.get("origin") in opts.train_only_origins}
    if train_only and not opts.ratios["train"] > 0:
        raise StanceError(
            f"{len(train_only)} documents have a train-only origin ({', '.join(opts.train_only_origins)}) but data.splits.train is 0",
            where="data.train_only_origins",
            fix="give data.splits.train a share, or set data.train_only_origins=[]",
        )
    # stratified by label within origin (corpus, real text, news, ...): each split holds every kind of text
    doc_labels: dict[str, Counter[str]] = defaultdict(Counter)
    for s in labelled:
        if s.doc_id not in train_only:
            doc_labels[s.doc_id][f"{s.metadata.get('origin', '')}/{s.label}"] += 1
    fixed = _earlier_splits(opts) if opts.splits_from else {}
    assignment = assign_splits(doc_labels, opts.ratios, opts.seed, fixed)
    assignment.update(dict.fromkeys(train_only, "train"))

    by_split: dict[str, list[_Sentence]] = {name: [] for name in SPLITS if opts.ratios.get(name, 0) > 0}
    for s in labelled:
        by_split[assignment[s.doc_id]].append(s)
    if unlabelled:
        by_split[UNLABELLED] = unlabelled
    for rows in by_split.values():
        rows.sort(key=lambda s: (s.doc_id, s.source, s.row))

    dataset = _to_dataset_dict(by_split, opts)
    stats = _stats(by_split, opts, dropped, conflicts, files, dataset)
    stats["input_signature"] = input_signature(opts)
    if opts.train_only_origins:
        stats["train_only"] = {
            "origins": list(opts.train_only_origins),
            "documents": len(train_only),
            "sentences": sum(1 for s in labelled if s.doc_id in train_only),
        }
    if opts.splits_from:
        kept = sum(1 for d in doc_labels if d in fixed)
        stats["splits_from"] = {
            "file": opts.splits_from,
            "documents_kept": kept,
            "documents_placed_new": len(doc_labels) - kept,
            "documents_listed_but_absent": sum(1 for d in fixed if d not in assignment),
            # a train-only document goes to train whatever an earlier assignment (made without the setting) said
            "train_only_listed_elsewhere": sum(1 for d in train_only if fixed.get(d, "train") != "train"),
        }
    # what cleaning took out of raw articles: boilerplate and news lines removed, datelines and credits cut from sentences
    stats["article_cleaning"] = dict(sorted(boilerplate.removed.items()))
    target = opts.prepared_dir
    with atomic_directory(target) as tmp:
        dataset.save_to_disk(str(tmp))
        (tmp / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        split_lines = [json.dumps({"doc_id": d, "split": assignment[d]}) for d in sorted(assignment)]
        (tmp / "splits.jsonl").write_text("\n".join(split_lines) + "\n", encoding="utf-8")
        if conflicts:
            _write_conflicts(tmp / "conflicts.csv", conflicts)
    return PrepareResult(path=target, stats=stats)


def _earlier_splits(opts: DataOptions) -> dict[str, str]:
    """`data.splits_from`: the doc_id -> split lines of an earlier prepare's splits.jsonl."""
    path = Path(str(opts.splits_from))
    if not path.is_file():
        raise StanceError(
            "no such splits file", where=str(path), fix="point data.splits_from at a splits.jsonl an earlier stance-prepare wrote, or set it to null"
        )
    active = sorted(name for name, ratio in opts.ratios.items() if ratio > 0)
    fixed: dict[str, str] = {}
    for row, record in json_records(path):
        doc, split = record.get("doc_id"), record.get("split")
        if not isinstance(doc, str):
            raise StanceError(
                f"row {row}: field 'doc_id' is {doc!r}, not a document id",
                where=str(path),
                fix="use the splits.jsonl an earlier stance-prepare wrote (lines of doc_id and split)",
            )
        if split not in active:
            raise StanceError(
                f"row {row}: field 'split' is {split!r} for doc_id {doc!r}, not one of {', '.join(active)}",
                where=str(path),
                fix="use the splits.jsonl of a prepare with the same splits, or set data.splits_from=null",
            )
        fixed[doc] = split
    return fixed


def input_signature(opts: DataOptions) -> str:
    """Hash of the input files' bytes and every option that changes the prepared data."""
    digest = hashlib.sha256()
    scheme = opts.scheme
    settings = {
        "labels": scheme.names,
        "drop": scheme.drop,
        "synonyms": sorted(scheme.synonyms.items()),
        "columns": vars(opts.columns),
        "metadata": list(opts.metadata),
        "ratios": sorted(opts.ratios.items()),
        "seed": opts.seed,
        "on_conflict": opts.on_conflict,
        "chars": [opts.min_chars, opts.max_chars],
        "boilerplate": list(opts.boilerplate_patterns),
        "exclude": list(opts.exclude),
        "train_only_origins": list(opts.train_only_origins),
    }
    digest.update(json.dumps(settings, sort_keys=True, default=list).encode())
    if opts.splits_from and Path(str(opts.splits_from)).is_file():
        digest.update(b"splits_from" + hashlib.sha256(Path(str(opts.splits_from)).read_bytes()).digest())
    for path in discover(opts.inputs, opts.exclude):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            digest.update(f.name.encode())
            digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()


def is_current(opts: DataOptions) -> bool:
    """True when `opts.prepared_dir` holds data prepared from exactly these inputs and options."""
    stats_path = opts.prepared_dir / "stats.json"
    if not stats_path.exists() or not (opts.prepared_dir / "dataset_dict.json").exists():
        return False
    try:
        stored = json.loads(stats_path.read_text(encoding="utf-8")).get("input_signature")
    except json.JSONDecodeError:
        return False
    return stored == input_signature(opts)


def load_prepared(path: str | Path):
    """Load a folder written by `prepare_dataset` (the DatasetDict inside it)."""
    from datasets import load_from_disk

    path = Path(path)
    if not (path / "dataset_dict.json").exists():
        raise StanceError("not a prepared dataset folder (no dataset_dict.json)", where=str(path), fix="run stance-prepare first")
    return load_from_disk(str(path))


def _labelled_sentence(raw: RawRow, opts: DataOptions, scheme: LabelScheme, dropped: Counter[str]) -> _Sentence | None:
    where = f"{raw.source} row {raw.row}"
    if raw.text is None or (isinstance(raw.text, float) and np.isnan(raw.text)):
        raw.text = ""
    if not isinstance(raw.text, str):
        raise StanceError(
            f"field '{opts.columns.text}' is a {type(raw.text).__name__}, not text",
            where=where,
            fix="store the sentence as a string",
        )
    if len(raw.text) > opts.max_chars:
        raise StanceError(
            f"field '{opts.columns.text}' is {len(raw.text):,} characters, over data.max_chars={opts.max_chars}",
            where=where,
            fix="split long passages into sentences (put them in a .txt file to segment them) or raise data.max_chars",
        )
    text = normalise_text(raw.text)
    if not text:
        raise StanceError(f"field '{opts.columns.text}' is empty", where=where, fix="fill in the sentence or delete the row")
    try:
        label = scheme.normalise(raw.label)
    except ValueError:
        raise StanceError(f"field '{opts.columns.label}' is empty", where=where, fix="fill in the label or delete the row") from None
    except KeyError:
        raise StanceError(
            f"unknown label '{raw.label}' in field '{opts.columns.label}' (allowed: {scheme.allowed()}"
            + (f"; dropped: {', '.join(scheme.drop)}" if scheme.drop else "")
            + ")",
            where=where,
            fix=f"correct the label, or map it with data.synonyms.{_safe_key(str(raw.label))}=<one of the allowed labels>",
        ) from None
    if label is DROP:
        dropped[f"label_not_in_set:{normalise_text(str(raw.label)).casefold()}"] += 1
        return None
    if len(text) < opts.min_chars:
        dropped["too_short"] += 1
        return None
    return _Sentence(text, label, raw.doc_id, raw.source, raw.row, sorted(set(raw.tags)), raw.metadata, raw.previous)


def _safe_key(label: str) -> str:
    key = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in label.strip())
    return key or "LABEL"


def _check_doc_metadata(raw: RawRow, seen: dict[str, tuple[dict[str, str], str]]) -> None:
    meta = {k: v for k, v in raw.metadata.items() if v}
    if raw.doc_id not in seen:
        seen[raw.doc_id] = (meta, f"{raw.source} row {raw.row}")
        return
    first, where = seen[raw.doc_id]
    for key, value in meta.items():
        if key in first and first[key] != value:
            raise StanceError(
                f"document '{raw.doc_id}' has {key}='{value}' here but {key}='{first[key]}' at {where}",
                where=f"{raw.source} row {raw.row}",
                fix="give each document one set of metadata, or use different document ids",
            )


def _deduplicate(sentences: list[_Sentence], on_conflict: str, dropped: Counter[str]) -> tuple[list[_Sentence], list[dict[str, str]]]:
    groups: dict[str, list[_Sentence]] = defaultdict(list)
    for s in sentences:
        groups[dedup_key(s.text) or s.text].append(s)
    kept: list[_Sentence] = []
    conflicts: list[dict[str, str]] = []
    for group in groups.values():
        labels = {s.label for s in group}
        if len(labels) > 1:
            if on_conflict == "error":
                a, b = group[0], next(s for s in group if s.label != group[0].label)
                raise StanceError(
                    f"the same sentence is labelled '{a.label}' here and '{b.label}' at {b.source} row {b.row}: \"{a.text[:80]}\"",
                    where=f"{a.source} row {a.row}",
                    fix="fix one of the labels, or set data.on_conflict=drop to drop such sentences with a report",
                )
            for s in group:
                conflicts.append({"text": s.text, "label": str(s.label), "source": s.source, "row": str(s.row), "doc_id": s.doc_id})
            dropped["label_conflict"] += len(group)
            continue
        first = group[0]
        kept.append(first)
        for s in group[1:]:
            dropped["exact_duplicate" if s.text == first.text else "normalised_duplicate"] += 1
    return kept, conflicts


def _to_dataset_dict(by_split: dict[str, list[_Sentence]], opts: DataOptions):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

    scheme = opts.scheme
    label_ids = scheme.label2id
    features = Features(
        {
            "text": Value("string"),
            "label": ClassLabel(names=list(scheme.names)),
            "doc_id": Value("string"),
            "source": Value("string"),
            "row": Value("int64"),
            "tags": Sequence(Value("string")),
            "previous": Value("string"),
            **{m: Value("string") for m in opts.metadata},
        }
    )
    out = {}
    for split, rows in by_split.items():
        columns: dict[str, list[Any]] = {
            "text": [s.text for s in rows],
            "label": [label_ids[s.label] if s.label is not None else -1 for s in rows],
            "doc_id": [s.doc_id for s in rows],
            "source": [_portable_source(s.source) for s in rows],
            "row": [s.row for s in rows],
            "tags": [s.tags for s in rows],
            "previous": [s.previous for s in rows],
        }
        for m in opts.metadata:
            columns[m] = [s.metadata.get(m, "") for s in rows]
        out[split] = Dataset.from_dict(columns, features=features)
    return DatasetDict(out)


def _portable_source(source: str) -> str:
    # file names, not absolute paths: the dataset fingerprint must not depend on where the repo lives
    path = Path(source)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _percentiles(values: list[int]) -> dict[str, float]:
    if not values:
        return {}
    q = np.percentile(values, [0, 10, 50, 90, 99, 100])
    return {k: float(v) for k, v in zip(("min", "p10", "p50", "p90", "p99", "max"), q)}


def _stats(by_split, opts: DataOptions, dropped, conflicts, files, dataset) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "name": opts.name,
        "labels": list(opts.labels),
        "splits": {},
        "dropped": dict(sorted(dropped.items())),
        "conflicting_sentences": len(conflicts),
        "sources": sorted(_portable_source(str(f)) for f in files),
        "seed": opts.seed,
        "ratios": opts.ratios,
    }
    for split, rows in by_split.items():
        stats["splits"][split] = {
            "sentences": len(rows),
            "documents": len({s.doc_id for s in rows}),
            "labels": dict(sorted(Counter(s.label or UNLABELLED for s in rows).items())),
            "words": _percentiles([len(s.text.split()) for s in rows]),
            "characters": _percentiles([len(s.text) for s in rows]),
            "tagged_sentences": sum(1 for s in rows if s.tags),
        }
    stats["fingerprint"] = dataset_fingerprint(dataset)
    return stats


def dataset_fingerprint(dataset) -> str:
    """SHA-256 over the content of every split, independent of where files were read from."""
    digest = hashlib.sha256()
    for split in sorted(dataset):
        digest.update(split.encode())
        for record in dataset[split]:
            digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _write_conflicts(path: Path, conflicts: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["text", "label", "source", "row", "doc_id"])
    writer.writeheader()
    writer.writerows(conflicts)
    path.write_text(buffer.getvalue(), encoding="utf-8")
