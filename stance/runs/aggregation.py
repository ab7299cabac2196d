"""Runs of a multirun folder side by side: mean ± std of every figure of every evaluated set over seeds, or a sweep's trials best first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.runs.summary import load_summary, primary


@dataclass
class AggregateOptions:
    """The `aggregate` config group: which multirun folder to summarise, and how."""

    folder: str | None = None
    trials: bool = False


def collect(folder: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted(folder.rglob("metrics.json")):
        if path.parent.name.startswith("eval-"):
            continue
        data = load_summary(path.parent)
        if "evaluations" not in data:
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


COUNT_KEYS = ("n", "ci_level", "documents", "no_side_sentences")  # sizes and settings, the same in every run: not figures to average


def aggregate(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean, std and values of each figure of every evaluated set, and of best validation macro-F1.

    The primary split's figures keep their own names (`macro_f1`); the other sets the runs were
    scored on (the real-text dev set, running text, the raw articles as documents) are named
    `<set>.<figure>` (`real_dev.macro_f1`, `running.no_side_given_a_side`), and figures of groups
    within a set by their path (`real_dev.tags.lexical_trap.macro_f1`, `running.parts.news.macro_f1`):
    a recipe is chosen on several yardsticks, so the seeds' spread is wanted on each.
    """
    first = runs[0]
    sets = [first["primary"], *(name for name in first["evaluations"] if name != first["primary"])]
    table: dict[str, dict[str, Any]] = {}
    for name in sets:
        prefix = () if name == first["primary"] else (name,)
        for path in _figure_paths(first["evaluations"][name]):
            _add(table, ".".join(prefix + path), [_at(r["evaluations"].get(name), path) for r in runs])
    _add(table, "validation_best_macro_f1", [r.get("validation_best_macro_f1") for r in runs])
    return table


def _figure_paths(figures: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The key paths of the numeric figures of one set, nested groups included (`tags.lexical_trap.macro_f1`, `parts.news.macro_f1`)."""
    out = []
    for key, value in figures.items():
        if isinstance(value, dict):
            out += _figure_paths(value, (*path, key))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and key not in COUNT_KEYS:
            out.append((*path, key))
    return out


def _at(figures: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        figures = figures.get(key) if isinstance(figures, dict) else None
    return figures


def _add(table: dict[str, dict[str, Any]], key: str, values: list[Any]) -> None:
    values = [v for v in values if v is not None]
    if values:
        table[key] = {
            "mean": float(np.mean(values)),
            "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "n": len(values),
            "values": values,
        }


def to_markdown(runs: list[dict[str, Any]], table: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"# {len(runs)} runs (seeds {', '.join(str(r['seed']) for r in runs)}): the {runs[0]['primary']} split, then every other set "
        "they were scored on as <set>.<figure>",
        "",
        "| metric | mean | std | values |",
        "|---|---|---|---|",
    ]
    for key, s in table.items():
        lines.append(f"| {key} | {s['mean']:.4f} | {s['std']:.4f} | {', '.join(f'{v:.3f}' for v in s['values'])} |")
    return "\n".join(lines) + "\n"


TRIAL_KEYS = ("learning_rate", "batch_size", "epochs", "warmup_ratio", "weight_decay")


def trials_table(folder: Path, runs: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    import yaml

    rows = []
    for run in runs:
        cfg = yaml.safe_load((folder / run["run"] / "config.yaml").read_text(encoding="utf-8"))
        rows.append(
            {
                "run": run["run"],
                **{k: cfg["trainer"].get(k) for k in TRIAL_KEYS},
                "validation_macro_f1": run.get("validation_best_macro_f1"),
                f"{run['primary']}_macro_f1": primary(run)["macro_f1"],
                "train_seconds": run["train"]["seconds"],
            }
        )
    rows.sort(key=lambda r: -(r["validation_macro_f1"] or 0.0))
    split = runs[0]["primary"]
    head = "| rank | " + " | ".join(TRIAL_KEYS) + f" | validation macro-F1 | {split} macro-F1 | train s | run |"
    lines = [f"# {len(rows)} trials, best validation macro-F1 first", "", head, "|---" * (len(TRIAL_KEYS) + 5) + "|"]
    for i, r in enumerate(rows, start=1):
        values = " | ".join(f"{r[k]:.3g}" if isinstance(r[k], float) else str(r[k]) for k in TRIAL_KEYS)
        lines.append(f"| {i} | {values} | {r['validation_macro_f1']:.4f} | {r[f'{split}_macro_f1']:.4f} | {r['train_seconds']:.0f} | {r['run']} |")
    return "\n".join(lines) + "\n", rows


def write_aggregate(folder: Path, trials: bool = False) -> str:
    """Write aggregate.md/.json (or trials.md/.json) into `folder`; return the markdown."""
    runs = collect(folder)
    if trials:
        markdown, rows = trials_table(folder, runs)
        (folder / "trials.md").write_text(markdown, encoding="utf-8")
        (folder / "trials.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        return markdown
    table = aggregate(runs)
    markdown = to_markdown(runs, table)
    (folder / "aggregate.md").write_text(markdown, encoding="utf-8")
    (folder / "aggregate.json").write_text(json.dumps({"runs": [r["run"] for r in runs], "metrics": table}, indent=2) + "\n", encoding="utf-8")
    return markdown
