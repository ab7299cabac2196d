"""Archive-scale benchmark: one process vs Ray Data with an actor pool, the student vs the default, torch vs ONNX int8.

    python scripts/bench_archive.py --default outputs/runs/<default>/model --student outputs/runs/<student>/model \\
        --sentences 200000 --default-sentences 10000 --json docs/bench_archive.json

Builds an archive of `--sentences` sentences (the bundled corpus and the sentences of the bundled
raw articles, cycled and shuffled, numbered so no two rows are equal) as JSON Lines files of 5,000
rows, then scores it with `stance-predict` as users run it, each configuration in its own process:

- `local`: one process, `predict.engine=local` (the classifier's own two batch workers on the 2 cores);
- `ray`: `predict.engine=ray` on a local Ray with `--actors` actors of one CPU each, Parquet parts out.

The base-size default scores about 37 sentences/s here, so it runs on the first `--default-sentences`
rows only. Peak memory is the largest sum of the resident set sizes of the command's process tree
(the driver, Ray's workers and actors), sampled every half second. Each configuration runs once:
this machine is shared and noisy, so read the ratios between neighbouring rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
ROWS_PER_FILE = 5_000  # one Ray unit per file: the default's subset still gives both actors work


def build_archive(folder: Path, n: int, rows_per_file: int = ROWS_PER_FILE) -> list[Path]:
    import numpy as np

    from stance.data.bundled import bundled_corpus_texts, resource_path
    from stance.data.segmentation import article_sentences

    texts = bundled_corpus_texts()
    for path in sorted(resource_path("raw_articles").glob("*.txt")):
        texts += article_sentences(path.read_text(encoding="utf-8-sig"))
    order = np.random.default_rng(0).permutation(n) % len(texts)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for start in range(0, n, rows_per_file):
        path = folder / f"archive_{start // rows_per_file:03d}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for i in range(start, min(n, start + rows_per_file)):
                f.write(json.dumps({"row": i, "doc_id": f"d{i // 20}", "text": texts[order[i]]}, ensure_ascii=False) + "\n")
        files.append(path)
    return files


def peak_rss(pid: int, stop: threading.Event, out: list[int]) -> None:
    import psutil

    peak = 0
    while not stop.is_set():
        try:
            root = psutil.Process(pid)
            total = root.memory_info().rss + sum(c.memory_info().rss for c in root.children(recursive=True))
            peak = max(peak, total)
        except psutil.Error:
            pass
        stop.wait(0.5)
    out.append(peak)


def run(args: list[str]) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stance.predict", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stop, peak = threading.Event(), []
    sampler = threading.Thread(target=peak_rss, args=(proc.pid, stop, peak))
    sampler.start()
    _, err = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"stance-predict {' '.join(args)} failed: {err[-2000:]}")
    return {"seconds": round(time.perf_counter() - started, 1), "peak_rss_mb": round(peak[0] / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--default", type=Path, required=True, help="the default (base-size) model folder")
    parser.add_argument("--student", type=Path, required=True, help="the distilled student's model folder")
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--default-sentences", type=int, default=10_000)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--backends", default="torch,onnx")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    try:
        files = build_archive(work / "archive", args.sentences)
        subset = work / "subset"
        subset.mkdir()
        for f in files[: max(1, args.default_sentences // ROWS_PER_FILE)]:
            shutil.copy(f, subset / f.name)
        rows = []
        for model_name, model_dir, source, n in (
            ("student", args.student, work / "archive", args.sentences),
            ("default", args.default, subset, args.default_sentences),
        ):
            for backend in args.backends.split(","):
                if backend == "onnx" and not (model_dir / "model.int8.onnx").exists():
                    print(f"skipping {model_name} onnx: run stance-export model_dir={model_dir} first", file=sys.stderr)
                    continue
                common = [f"model_dir={model_dir}", f"predict.backend={backend}"]
                local = run([*common, f"predict.input={source}", f"predict.output={work / f'{model_name}-{backend}.jsonl'}"])
                ray = run(
                    [
                        *common,
                        "predict.engine=ray",
                        f"predict.input={source}",
                        f"predict.output={work / f'{model_name}-{backend}-parts'}",
                        f"predict.ray.actors={args.actors}",
                        "predict.ray.cpus_per_actor=1",
                    ]
                )
                for engine, result in (("local, one process", local), (f"ray, {args.actors} actors x 1 CPU", ray)):
                    row = {
                        "model": model_name,
                        "backend": backend,
                        "engine": engine,
                        "sentences": n,
                        **result,
                        "sentences_per_s": round(n / result["seconds"], 1),
                    }
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                rows[-1]["ray_overhead"] = round(ray["seconds"] / local["seconds"] - 1, 3)
                print(f"  ray overhead for {model_name} {backend}: {rows[-1]['ray_overhead']:+.1%}", flush=True)
        report = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores", "rows": rows}
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
