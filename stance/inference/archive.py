"""Score an archive on Ray Data: inputs become units of work, an actor pool scores them, each unit is one Parquet partition.

    stance-predict predict.engine=ray predict.input=archive/ predict.output=scored/   (pip install 'stance[ray]')

The inputs (raw `.txt` articles, CSV/TSV, JSON Lines, JSON, Parquet: files, folders or globs) are cut
into units: one table file, or `articles_per_part` article files. The units form a Ray Dataset, and
`map_batches` over an actor pool handles each: the actor reads the unit with the package's one reader
(the same cleaning, segmentation and previous sentences as local scoring) and scores it with a
`StanceClassifier` that it loads once (torch or ONNX). Reading inside the actor keeps the number of
Ray worker processes at the pool's size (a separate read stage that reserves no CPU lets Ray start a
worker per unit). The actor writes the unit's rows as
`part-<key>.parquet` through a temporary file and a rename, so a partition on disk is always whole: a
rerun skips every unit whose partition exists, and a run killed midway loses none of them.

Each row holds the input's own columns (renamed `input_<name>` where they clash with ours), then
`doc_id`, `sentence_index` (the sentence's place in its document, from 1), `text`, `label`,
`confidence`, `p_<label>` and `source`. `_run.json` records the model the folder was scored with; a
rerun with another model is refused rather than mixed in.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stance.data.cleaning import removed_note
from stance.data.readers import RAW_SUFFIXES, TABLE_SUFFIXES
from stance.errors import StanceError
from stance.inference.scoring import ON_ERROR, RayOptions, input_files, pass_through

RUN_FILE = "_run.json"


@dataclass
class Unit:
    key: str
    files: list[str]
    kind: str  # "articles" or "table"


def plan_units(files: Sequence[Path], articles_per_part: int) -> list[Unit]:
    """One unit per table file; article files in groups. Keys come from the files' paths, so a rerun finds the same units."""
    units = []
    articles = [f for f in files if f.suffix.lower() in RAW_SUFFIXES]
    for f in files:
        if f.suffix.lower() in TABLE_SUFFIXES:
            units.append(Unit(_key([str(f.resolve())]), [str(f)], "table"))
    for start in range(0, len(articles), max(1, articles_per_part)):
        group = [str(f) for f in articles[start : start + articles_per_part]]
        units.append(Unit(_key([str(Path(g).resolve()) for g in group]), group, "articles"))
    return units


def _key(paths: Sequence[str]) -> str:
    return hashlib.sha1("\0".join(paths).encode()).hexdigest()[:16]


def read_unit(unit: dict[str, Any], text_column: str) -> dict[str, Any]:
    """The unit's sentences as JSON rows, read like local scoring; a file that cannot be read is returned as the error.

    `removed` (JSON) counts what cleaning took out of its raw articles, by kind, for the run's report.
    """
    from stance.data.cleaning import BoilerplateFilter
    from stance.data.readers import Columns, read_sentences

    rows: list[dict[str, Any]] = []
    cleaning = BoilerplateFilter()
    columns = Columns(text=text_column, label="")
    path = unit["files"][0]
    try:
        for path in unit["files"]:
            position: dict[str, int] = {}
            for raw in read_sentences([path], columns, boilerplate=cleaning, column_keys={"text": "predict.text_column"}):
                if not isinstance(raw.text, str) or not raw.text.strip():
                    raise StanceError(f"field '{text_column}' is empty", where=f"{path} row {raw.row}", fix="fill it in or delete the row")
                passed, _ = pass_through(raw.record, text_column, written=("sentence_index", "source"))
                position[raw.doc_id] = position.get(raw.doc_id, 0) + 1
                rows.append(
                    {
                        "input": passed,
                        "doc_id": raw.doc_id,
                        "sentence_index": position[raw.doc_id],
                        "text": raw.text.strip(),
                        "previous": raw.previous,
                        "source": Path(path).name,
                    }
                )
    except StanceError as err:
        return {"key": unit["key"], "rows": "[]", "error": str(err), "removed": "{}"}
    except Exception as err:  # a corrupt file fails in many ways; the run reports it by name
        return {"key": unit["key"], "rows": "[]", "error": f"{path}: cannot be read ({type(err).__name__}: {str(err)[:160]})", "removed": "{}"}
    return {"key": unit["key"], "rows": json.dumps(rows, ensure_ascii=False, default=str), "error": "", "removed": json.dumps(cleaning.removed)}


class UnitScorer:
    """A Ray actor: loads the model once, then scores whole units and writes each as one Parquet partition."""

    def __init__(self, model_dir: str, options: dict[str, Any], output: str, threads: int, text_column: str) -> None:
        import torch

        from stance.inference.classifier import StanceClassifier

        torch.set_num_threads(max(1, threads))
        self.clf = StanceClassifier.from_pretrained(
            model_dir,
            backend=options["backend"],
            batch_size=options["batch_size"],
            min_confidence=options["min_confidence"],
            onnx_rescore=options["onnx_rescore"],
            allow_pickle_weights=options["allow_pickle_weights"],
        )
        if hasattr(self.clf.backend, "workers"):
            self.clf.backend.workers = max(1, threads)
        self.output = Path(output)
        self.text_column = text_column

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, list[Any]] = {"key": [], "rows": [], "error": [], "removed": [], "seconds": []}
        for key, files, kind in zip(batch["key"], batch["files"], batch["kind"]):
            started = time.perf_counter()
            read = read_unit({"key": key, "files": list(files), "kind": kind}, self.text_column)
            rows, error = read["rows"], read["error"]
            count = 0
            if not error:
                records = json.loads(rows)
                count = len(records)
                write_partition(self.output, key, score_rows(self.clf, records))
            out["key"].append(key)
            out["rows"].append(count)
            out["error"].append(error)
            out["removed"].append(read["removed"])
            out["seconds"].append(time.perf_counter() - started)
        return out


def score_rows(clf: Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    predictions = clf.predict_sentences([r["text"] for r in records], [r["previous"] for r in records])
    scored = []
    for record, pred in zip(records, predictions):
        scored.append(
            {
                **record["input"],
                "doc_id": record["doc_id"],
                "sentence_index": record["sentence_index"],
                "text": record["text"],
                "label": pred.label,
                "confidence": round(pred.confidence, 6),
                **{f"p_{k}": round(v, 6) for k, v in pred.probabilities.items()},
                "source": record["source"],
            }
        )
    return scored


def write_partition(folder: Path, key: str, rows: list[dict[str, Any]]) -> Path:
    """`part-<key>.parquet`, written whole or not at all (a temporary file, then a rename)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = folder / f"part-{key}.parquet"
    tmp = folder / f".part-{key}.{uuid.uuid4().hex[:8]}.tmp"
    table = pa.Table.from_pylist(rows) if rows else pa.table({"doc_id": pa.array([], pa.string())})
    pq.write_table(table, tmp)
    os.replace(tmp, target)
    return target


@dataclass
class ArchiveResult:
    output: Path
    units: int
    skipped_done: int
    written: int
    sentences: int
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    removed: Counter[str] = field(default_factory=Counter)  # what cleaning took out of the raw articles scored, by kind


def score_archive(
    model_dir: str | Path,
    inputs: Sequence[str],
    output: str | Path,
    ray_options: RayOptions,
    *,
    text_column: str = "text",
    backend: str = "torch",
    batch_size: int = 64,
    min_confidence: float | None = None,
    onnx_rescore: bool = True,
    on_error: str = "stop",
    allow_pickle_weights: bool = False,
) -> ArchiveResult:
    """Score `inputs` into Parquet partitions under `output` on Ray (local unless an address is given); see the module docstring."""
    if on_error not in ON_ERROR:
        raise StanceError(f"unknown value '{on_error}'", where="predict.on_error", fix="use stop or skip")
    ray = _import_ray()
    model_dir = Path(model_dir).expanduser().resolve()
    if not model_dir.is_dir():
        raise StanceError("model folder not found", where=str(model_dir), fix="train a model first (stance-train) or set model_dir=")
    out = Path(output).expanduser()
    options = {"backend": backend, "batch_size": batch_size, "min_confidence": min_confidence, "onnx_rescore": onnx_rescore}
    # loaded the same way as locally, but not part of what a folder was scored with (_run.json)
    loading = {**options, "allow_pickle_weights": allow_pickle_weights}
    _claim_output(out, model_dir, options, text_column)
    units = plan_units(input_files(inputs), ray_options.articles_per_part)
    todo = [u for u in units if not (out / f"part-{u.key}.parquet").exists()]
    started = time.perf_counter()
    result = ArchiveResult(out, len(units), len(units) - len(todo), 0, 0)
    if not todo:
        return result
    _init_ray(ray, ray_options)
    from tqdm.auto import tqdm

    dataset = ray.data.from_items([asdict(u) for u in todo], override_num_blocks=len(todo))
    dataset = dataset.map_batches(
        UnitScorer,
        fn_constructor_kwargs={
            "model_dir": str(model_dir),
            "options": loading,
            "output": str(out),
            "threads": max(1, int(ray_options.cpus_per_actor)),
            "text_column": text_column,
        },
        batch_size=1,
        # one unit in flight per actor: units are whole files, and Ray's default of several queued per actor let the
        # first actor that was ready take every unit of a small archive while the others idled (measured: 2 units,
        # 2 actors, twice the time of one process)
        compute=ray.data.ActorPoolStrategy(size=ray_options.actors, max_tasks_in_flight_per_actor=1),
        num_cpus=ray_options.cpus_per_actor,
    )
    with tqdm(total=len(todo), desc="units", unit="unit", disable=None) as bar:
        for batch in dataset.iter_rows():
            if batch["error"]:
                if on_error == "stop":
                    # the reader's error already names the file, the row and its fix
                    raise StanceError(f"{batch['error']}; or set predict.on_error=skip to score the other inputs (finished parts are kept)")
                result.failed.append(batch["error"])
            else:
                result.written += 1
                result.sentences += int(batch["rows"])
                result.removed.update(json.loads(batch["removed"]))
            bar.update(1)
    result.seconds = time.perf_counter() - started
    return result


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise StanceError("Ray is not installed", where="predict.engine=ray", fix="pip install 'stance[ray]' (or use predict.engine=local)") from None
    return ray


def _init_ray(ray: Any, opts: RayOptions) -> None:
    """Join the cluster at `predict.ray.address` (or RAY_ADDRESS), else start a local Ray with as many CPUs as the pool needs."""
    address = opts.address or os.environ.get("RAY_ADDRESS")
    if address and address != "auto":
        _probe(address)
    if ray.is_initialized():
        return
    import logging

    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.WARNING)  # stance shows its own progress bar
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    try:
        if address:
            ray.init(address=address, log_to_driver=False, include_dashboard=False, logging_level=logging.WARNING)
        else:
            cpus = max(1, int(opts.actors * opts.cpus_per_actor))
            ray.init(num_cpus=cpus, log_to_driver=False, include_dashboard=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise StanceError(
            f"cannot reach the Ray cluster at {address or 'a new local Ray'} ({str(err).splitlines()[0][:120]})",
            where="predict.ray.address" if address else "predict.engine=ray",
            fix="check the address (ray://head:10001 or head:6379) and that the cluster is up, or leave predict.ray.address=null for a local Ray",
        ) from None


def _probe(address: str, timeout: float = 5.0) -> None:
    """Fail in one line when nothing answers at the cluster's address (ray.init itself retries for minutes)."""
    import socket

    host_port = address.split("://", 1)[-1].rstrip("/")
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as err:
        raise StanceError(
            f"nothing answers at the Ray cluster address {address} ({err})",
            where="predict.ray.address",
            fix="check host and port (ray://head:10001 for Ray Client, head:6379 for the cluster itself) and that `ray status` works there, "
            "or leave predict.ray.address=null for a local Ray",
        ) from None


def _claim_output(out: Path, model_dir: Path, options: dict[str, Any], text_column: str) -> None:
    """Record what the folder is scored with; refuse to mix in a different model or settings."""
    record = {"model_dir": str(model_dir), "text_column": text_column, **options}
    run_file = out / RUN_FILE
    for stale in out.glob(".part-*.tmp") if out.is_dir() else ():
        stale.unlink()  # a part a killed run was still writing: it is scored again
    if run_file.exists():
        before = json.loads(run_file.read_text(encoding="utf-8"))
        if before != record:
            changed = ", ".join(sorted(k for k in record if before.get(k) != record[k]))
            raise StanceError(
                f"the folder holds parts scored with other settings ({changed})",
                where=str(out),
                fix="score into a new predict.output folder, or delete this one to start over",
            )
        return
    if out.exists() and any(p.suffix == ".parquet" for p in out.iterdir()):
        raise StanceError(
            "the folder holds Parquet files that stance did not write", where=str(out), fix="choose an empty or new predict.output folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / RUN_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def report(result: ArchiveResult) -> None:
    print(
        f"{result.sentences} sentences in {result.written} new part(s) -> {result.output}"
        + (f"; {result.skipped_done} part(s) already finished were kept" if result.skipped_done else ""),
        file=sys.stderr,
    )
    if note := removed_note(result.removed):
        print(note, file=sys.stderr)
    if result.failed:
        print(f"stance: warning: {len(result.failed)} input(s) could not be read and were skipped: {result.failed[0]}", file=sys.stderr)
