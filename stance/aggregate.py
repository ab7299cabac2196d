"""`stance-aggregate`: mean ± std of every headline metric over the runs of a multirun folder.

stance-train -m seed=1,2,3
stance-aggregate outputs/multirun/<timestamp>      # writes aggregate.md and aggregate.json there
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError


def collect(folder: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted(folder.rglob("metrics.json")):
        if path.parent.name.startswith("eval-"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if "test" not in data:
            continue
        config = path.parent / "config.yaml"
        seed = None
        if config.exists():
            for line in config.read_text(encoding="utf-8").splitlines():
                if line.startswith("seed:"):
                    seed = int(line.split(":", 1)[1])
        runs.append({"run": str(path.parent.relative_to(folder)), "seed": seed, **data})
    if not runs:
        raise StanceError("no finished runs (metrics.json) found", where=str(folder), fix="point at the folder of a `stance-train -m ...` sweep")
    return runs


def aggregate(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    keys = [k for k, v in runs[0]["test"].items() if isinstance(v, (int, float)) and k != "n"]
    keys.append("validation_best_macro_f1")
    table = {}
    for key in keys:
        values = [r["test"].get(key) if key in r["test"] else r.get(key) for r in runs]
        values = [v for v in values if v is not None]
        if values:
            table[key] = {
                "mean": float(np.mean(values)),
                "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                "n": len(values),
                "values": values,
            }
    return table


def to_markdown(runs: list[dict[str, Any]], table: dict[str, dict[str, float]]) -> str:
    lines = [
        f"# {len(runs)} runs (seeds {', '.join(str(r['seed']) for r in runs)})",
        "",
        "| metric | mean | std | values |",
        "|---|---|---|---|",
    ]
    for key, s in table.items():
        lines.append(f"| {key} | {s['mean']:.4f} | {s['std']:.4f} | {', '.join(f'{v:.3f}' for v in s['values'])} |")
    return "\n".join(lines) + "\n"


TRIAL_KEYS = ("learning_rate", "batch_size", "epochs", "warmup_ratio", "weight_decay")


def trials_table(folder: Path, runs: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    from omegaconf import OmegaConf

    rows = []
    for run in runs:
        cfg = OmegaConf.load(folder / run["run"] / "config.yaml")
        rows.append(
            {
                "run": run["run"],
                **{k: cfg.trainer.get(k) for k in TRIAL_KEYS},
                "validation_macro_f1": run.get("validation_best_macro_f1"),
                "test_macro_f1": run["test"]["macro_f1"],
                "train_seconds": run["train"]["seconds"],
            }
        )
    rows.sort(key=lambda r: -(r["validation_macro_f1"] or 0.0))
    head = "| rank | " + " | ".join(TRIAL_KEYS) + " | validation macro-F1 | test macro-F1 | train s | run |"
    lines = [f"# {len(rows)} trials, best validation macro-F1 first", "", head, "|---" * (len(TRIAL_KEYS) + 5) + "|"]
    for i, r in enumerate(rows, start=1):
        values = " | ".join(f"{r[k]:.3g}" if isinstance(r[k], float) else str(r[k]) for k in TRIAL_KEYS)
        lines.append(f"| {i} | {values} | {r['validation_macro_f1']:.4f} | {r['test_macro_f1']:.4f} | {r['train_seconds']:.0f} | {r['run']} |")
    return "\n".join(lines) + "\n", rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="multirun folder (e.g. outputs/multirun/<timestamp>)")
    parser.add_argument("--trials", action="store_true", help="one row per trial, best validation macro-F1 first")
    args = parser.parse_args(argv)
    try:
        runs = collect(args.folder)
    except StanceError as err:
        print(f"stance: error: {err}", file=sys.stderr)
        return 2
    if args.trials:
        markdown, rows = trials_table(args.folder, runs)
        (args.folder / "trials.md").write_text(markdown, encoding="utf-8")
        (args.folder / "trials.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        print(markdown)
        return 0
    table = aggregate(runs)
    markdown = to_markdown(runs, table)
    (args.folder / "aggregate.md").write_text(markdown, encoding="utf-8")
    (args.folder / "aggregate.json").write_text(json.dumps({"runs": [r["run"] for r in runs], "metrics": table}, indent=2) + "\n", encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
