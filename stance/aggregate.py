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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="multirun folder (e.g. outputs/multirun/<timestamp>)")
    args = parser.parse_args(argv)
    try:
        runs = collect(args.folder)
    except StanceError as err:
        print(f"stance: error: {err}", file=sys.stderr)
        return 2
    table = aggregate(runs)
    markdown = to_markdown(runs, table)
    (args.folder / "aggregate.md").write_text(markdown, encoding="utf-8")
    (args.folder / "aggregate.json").write_text(json.dumps({"runs": [r["run"] for r in runs], "metrics": table}, indent=2) + "\n", encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
