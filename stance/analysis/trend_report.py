"""Pictures and a self-contained HTML page of a stance trend, with the evidence sentences of each period."""

from __future__ import annotations

import base64
import html
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from stance.analysis.stance_index import CONCILIATORY, HARDLINE, ScoredSentence  # noqa: E402


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "actor"


def plot_actor(actor: str, rows: Sequence[dict], path: Path, period: str) -> Path:
    """One line per counterpart: the stance index by period, its 95% band, and the sentence count at each point."""
    periods = sorted({r["period"] for r in rows})
    x = {p: i for i, p in enumerate(periods)}
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(periods) + 3), 4.2))
    by_counterpart: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_counterpart[r["counterpart"]].append(r)
    for counterpart, points in sorted(by_counterpart.items()):
        points = sorted(points, key=lambda r: r["period"])
        xs = [x[r["period"]] for r in points]
        ys = [r["stance_index"] for r in points]
        line = ax.plot(xs, ys, marker="o", label=f"towards {counterpart or '(any counterpart)'}")[0]
        lows = [r["ci_low"] if not math.isnan(r["ci_low"]) else r["stance_index"] for r in points]
        highs = [r["ci_high"] if not math.isnan(r["ci_high"]) else r["stance_index"] for r in points]
        ax.fill_between(xs, lows, highs, color=line.get_color(), alpha=0.18, linewidth=0)
        for xi, yi, r in zip(xs, ys, points):
            if not math.isnan(yi):
                ax.annotate(f"n={r['sentences']}", (xi, yi), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=7)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylim(-1.08, 1.08)
    ax.set_xticks(range(len(periods)), periods, rotation=45 if len(periods) > 6 else 0, ha="right" if len(periods) > 6 else "center")
    ax.set_ylabel("stance index (+1 hardline, -1 conciliatory)")
    ax.set_xlabel(period)
    ax.set_title(f"{actor}: stance by {period} (95% bootstrap band over documents; n = sentences)")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _highlight(text: str, words: Sequence[str]) -> str:
    escaped = html.escape(text)
    for word in sorted(set(words), key=len, reverse=True):
        if word.strip():
            escaped = re.sub(rf"(?<![\w>])({re.escape(html.escape(word))})(?![\w<])", r"<mark>\1</mark>", escaped)
    return escaped


def _fmt(x: float) -> str:
    return "" if math.isnan(x) else f"{x:+.2f}"


def write_html(
    path: Path,
    rows: Sequence[dict],
    pictures: Mapping[str, Path],
    evidence: Mapping[tuple[str, str, str], Mapping[str, Sequence[ScoredSentence]]],
    period: str,
    highlights: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """One page: per actor its chart (embedded), then per counterpart and period the figures and the strongest sentences."""
    highlights = highlights or {}
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Stance trend</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}"
        "mark{background:#ffe08a}.h{color:#a40000}.c{color:#006b2e}img{max-width:100%}</style></head><body>",
        f"<h1>Stance trend by {html.escape(period)}</h1>",
        "<p>Stance index = confidence-weighted share of hardline minus share of conciliatory sentences among the "
        "stance-bearing ones (+1 all hardline, -1 all conciliatory); the 95% interval resamples whole documents. "
        "Highlighted words moved the model's call most when deleted.</p>",
    ]
    by_actor: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_actor[r["actor"]].append(r)
    for actor, actor_rows in sorted(by_actor.items()):
        parts.append(f"<h2>{html.escape(actor)}</h2>")
        if actor in pictures:
            data = base64.b64encode(Path(pictures[actor]).read_bytes()).decode()
            parts.append(f"<img alt='stance of {html.escape(actor)} by {period}' src='data:image/png;base64,{data}'>")
        parts.append(
            "<table><tr><th>towards</th><th>period</th><th>documents</th><th>sentences</th><th>index</th><th>95% CI</th>"
            "<th>strongest hardline</th><th>strongest conciliatory</th></tr>"
        )
        for r in sorted(actor_rows, key=lambda r: (r["counterpart"], r["period"])):
            sides = evidence.get((actor, r["counterpart"], r["period"]), {})
            cells = []
            for label, css in ((HARDLINE, "h"), (CONCILIATORY, "c")):
                items = [
                    f"<li class='{css}'>{_highlight(s.text, highlights.get(s.text, ()))} "
                    f"<small>({s.confidence:.2f}, {html.escape(s.doc_id)})</small></li>"
                    for s in sides.get(label, [])
                ]
                cells.append(f"<ul>{''.join(items)}</ul>" if items else "")
            ci = "" if math.isnan(r["ci_low"]) else f"{r['ci_low']:+.2f} to {r['ci_high']:+.2f}"
            parts.append(
                f"<tr><td>{html.escape(r['counterpart'])}</td><td>{r['period']}</td><td>{r['documents']}</td><td>{r['sentences']}</td>"
                f"<td>{_fmt(r['stance_index'])}</td><td>{ci}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def picture_name(actor: str) -> str:
    return f"trend_{_safe(actor)}.png"
