"""Annotation tasks out (a spreadsheet CSV and a Label Studio import) and labels back in (CSV or Label Studio export)."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from stance.annotation.pool import Candidate, sentence_id
from stance.data.cleaning import dedup_key
from stance.data.labels import LabelScheme
from stance.data.readers import csv_dict_reader
from stance.errors import StanceError


@dataclass
class AnnotateOptions:
    """Active-learning rounds (select -> label -> import): the `annotate` config group."""

    action: str = "select"
    inputs: list[str] = field(default_factory=list)
    n: int = 50
    strategy: str = "margin"
    pool_factor: int = 5
    labelled: str = "data/annotations/labelled.jsonl"
    tasks: str | None = None
    output_dir: str | None = None


TASK_FIELDS = ("id", "text", "before", "after", "doc_id", "source", "model_guess", "model_confidence", "label")


@dataclass
class LabelledSentence:
    id: str
    text: str
    label: str
    doc_id: str
    source: str
    annotated_from: str = ""


def write_tasks(folder: Path, picks: Sequence[Candidate], guesses: Sequence[tuple[str, float] | None], labels: Sequence[str]) -> dict[str, Path]:
    """tasks.csv (fill in `label`), tasks.labelstudio.json and labelstudio_config.xml in `folder`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TASK_FIELDS, lineterminator="\n")
    writer.writeheader()
    tasks = []
    for c, guess in zip(picks, guesses):
        row = {**asdict(c), "model_guess": guess[0] if guess else "", "model_confidence": f"{guess[1]:.3f}" if guess else "", "label": ""}
        writer.writerow(row)
        data = {"text": c.text, "before": c.before, "after": c.after, "stance_id": c.id, "doc_id": c.doc_id, "source": c.source}
        task: dict[str, Any] = {"data": data}
        if guess:
            choice = {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [guess[0]]}}
            task["predictions"] = [{"model_version": "stance", "score": round(guess[1], 4), "result": [choice]}]
        tasks.append(task)
    paths = {"csv": folder / "tasks.csv", "labelstudio": folder / "tasks.labelstudio.json", "labelstudio_config": folder / "labelstudio_config.xml"}
    paths["csv"].write_text(buffer.getvalue(), encoding="utf-8-sig")  # the BOM makes spreadsheet programs read UTF-8
    paths["labelstudio"].write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    choices = "".join(f"<Choice value={quoteattr(n)}/>" for n in labels)
    paths["labelstudio_config"].write_text(
        '<View>\n  <Text name="before" value="$before"/>\n  <Header value="Label this sentence"/>\n'
        '  <Text name="text" value="$text"/>\n  <Text name="after" value="$after"/>\n'
        f'  <Choices name="stance" toName="text" choice="single" showInline="true">{choices}</Choices>\n</View>\n',
        encoding="utf-8",
    )
    return paths


def _canonical(scheme: LabelScheme, raw: Any, where: str) -> str:
    try:
        label = scheme.normalise(raw)
    except KeyError:
        raise StanceError(
            f"unknown label '{raw}' (allowed: {scheme.allowed()})",
            where=where,
            fix="correct the label, or map it with data.synonyms.<label>=<one of the allowed labels>",
        ) from None
    return str(label)


@dataclass
class ImportedTasks:
    """What an annotation export held: the labelled rows, the tasks whose annotators disagreed, and how the file was decoded."""

    rows: list[LabelledSentence]
    conflicts: list[dict[str, Any]]
    encoding: str = "utf-8"


ANSI_CODE_PAGES = frozenset(f"cp125{i}" for i in range(9))
"""The code pages Windows programs save 'ANSI' text in (cp1252 Western, cp1250 Central European, ...)."""


def decode_export(path: Path) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 (a BOM is fine), else what charset-normalizer finds with confidence.

    A spreadsheet re-saved on Windows is often cp1252; its text decodes cleanly by a detector. A file
    the detector cannot tell (binary, or too short and ambiguous) is refused rather than guessed.
    """
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as err:
        position = err.start
    from charset_normalizer import from_bytes

    candidates = sorted(from_bytes(data), key=lambda m: (m.chaos, -m.coherence))
    best = candidates[0] if candidates else None
    if best is not None:
        # A spreadsheet program writes the system's ANSI code page (cp1250-cp1258), never a DOS one;
        # the detector can rank a DOS page first on a few accented letters ("Zürich" read as cp775
        # gives "Z³rich"), so among equally clean readings the ANSI page wins.
        ansi = [m for m in candidates if m.encoding in ANSI_CODE_PAGES and m.chaos <= best.chaos + 0.01]
        best = ansi[0] if ansi else best
    if best is None or best.chaos > 0.2:
        line = data[:position].count(b"\n") + 1
        raise StanceError(
            f"line {line} is not UTF-8 and the file's encoding cannot be told reliably",
            where=str(path),
            fix="re-save the file as UTF-8 (in a spreadsheet: Save as / CSV UTF-8), then import it again",
        )
    return str(best), best.encoding


def _from_csv(path: Path, scheme: LabelScheme) -> ImportedTasks:
    text, encoding = decode_export(path)
    reader = csv_dict_reader(path, text)
    missing = [c for c in ("id", "text", "label") if c not in (reader.fieldnames or [])]
    if missing:
        raise StanceError(
            f"no '{missing[0]}' column (columns present: {', '.join(reader.fieldnames or []) or 'none'})",
            where=str(path),
            fix="import the tasks.csv that stance-annotate select wrote, with its columns unchanged",
        )
    out = []
    for row_number, row in enumerate(reader, start=1):
        if not (row.get("label") or "").strip():
            continue  # not labelled (yet)
        label = _canonical(scheme, row["label"], f"{path} row {row_number}")
        out.append(LabelledSentence(row["id"], row["text"], label, row.get("doc_id") or row["id"], row.get("source", ""), path.name))
    return ImportedTasks(*_agreed(out), encoding)


def _from_labelstudio(path: Path, scheme: LabelScheme) -> ImportedTasks:
    text, encoding = decode_export(path)
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as err:
        raise StanceError(f"not valid JSON ({err})", where=str(path), fix="export the project from Label Studio as JSON or JSON-MIN") from None
    if not isinstance(tasks, list):
        raise StanceError("expected a list of tasks", where=str(path), fix="export the project from Label Studio as JSON or JSON-MIN")
    out = []
    for number, task in enumerate(tasks, start=1):
        where = f"{path} task {number}"
        if not isinstance(task, dict):
            raise StanceError("task is not a JSON object", where=where, fix="export the project from Label Studio as JSON or JSON-MIN")
        minimal = "data" not in task and "annotations" not in task  # JSON-MIN: one flat record per annotation
        data = task if minimal else task.get("data", {})
        if "text" not in data:
            raise StanceError("task has no text", where=where, fix="import the tasks.labelstudio.json that stance-annotate select wrote")
        if minimal:
            choices = [_min_choice(task.get("stance"))] if task.get("stance") else []
            who = [str(task.get("annotator", ""))]
        else:
            annotations = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
            choices, who = [], []
            for a in annotations:
                picked = [r["value"]["choices"][0] for r in a.get("result", []) if r.get("value", {}).get("choices")]
                if picked:
                    choices.append(picked[0])
                    who.append(str(a.get("completed_by", "")))
        sid = data.get("stance_id") or sentence_id(data.get("source", ""), data.get("doc_id", ""), data["text"])
        for choice, annotator in zip(choices, who):
            label = _canonical(scheme, choice, where)
            origin = f"{path.name} (annotator {annotator})" if annotator else path.name
            out.append(LabelledSentence(sid, data["text"], label, data.get("doc_id") or sid, data.get("source", ""), origin))
    return ImportedTasks(*_agreed(out), encoding)


def _min_choice(value: Any) -> Any:
    """JSON-MIN writes a single choice as its string, several as {"choices": [...]}: take the first."""
    if isinstance(value, dict):
        value = value.get("choices", [None])
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _agreed(rows: list[LabelledSentence]) -> tuple[list[LabelledSentence], list[dict[str, Any]]]:
    """One row per sentence; a sentence its annotators labelled differently is a conflict, reported and not imported."""
    by_id: dict[str, list[LabelledSentence]] = {}
    for row in rows:
        by_id.setdefault(row.id, []).append(row)
    kept, conflicts = [], []
    for sid, group in by_id.items():
        labels = sorted({r.label for r in group})
        if len(labels) > 1:
            # (who, label) pairs: a CSV names no annotator, so two rows of one task may share `annotated_from`
            conflicts.append({"id": sid, "text": group[0].text, "labels": [(r.annotated_from, r.label) for r in group]})
        else:
            kept.append(group[0])
    return kept, conflicts


def read_labelled_tasks(path: Path, scheme: LabelScheme) -> ImportedTasks:
    """The labelled rows of a tasks CSV or a Label Studio JSON / JSON-MIN export; unlabelled rows are skipped."""
    if not path.exists():
        raise StanceError("no such file", where=str(path), fix="set annotate.tasks= to the labelled tasks.csv or a Label Studio export")
    if path.suffix.lower() == ".json":
        return _from_labelstudio(path, scheme)
    if path.suffix.lower() == ".csv":
        return _from_csv(path, scheme)
    raise StanceError(f"unsupported file type '{path.suffix}'", where=str(path), fix="import a .csv (spreadsheet) or .json (Label Studio export)")


def read_labelled_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def merge(existing: Sequence[dict[str, Any]], new: Sequence[LabelledSentence]) -> tuple[list[dict[str, Any]], int, list[dict[str, str]]]:
    """(rows to append, duplicates skipped, conflicts): a sentence already labelled is never added twice or relabelled."""
    by_key = {dedup_key(r["text"]): r for r in existing}
    by_id = {r["id"]: r for r in existing}
    added: list[dict[str, Any]] = []
    duplicates, conflicts = 0, []
    for row in new:
        earlier = by_id.get(row.id) or by_key.get(dedup_key(row.text))
        if earlier is not None:
            if earlier["label"] == row.label:
                duplicates += 1
            else:
                conflicts.append({"id": row.id, "text": row.text, "earlier": earlier["label"], "new": row.label, "from": row.annotated_from})
            continue
        record = {**asdict(row), "annotated_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        added.append(record)
        by_id[row.id] = by_key[dedup_key(row.text)] = record
    return added, duplicates, conflicts
