"""Pictures and a self-contained HTML page of a stance trend, with the evidence sentences of each period."""

from __future__ import annotations

import base64
import html
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from stance.analysis.stance_index import CONCILIATORY, HARDLINE, ScoredSentence  # noqa: E402


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "actor"


def period_middle(key: str, period: str) -> Any:
    """Where a period sits on a proportional time axis: its middle day."""
    import datetime as dt

    from stance.analysis.stance_index import period_start

    span = 365 if period == "year" else 91 if period == "quarter" else 30
    return period_start(key) + dt.timedelta(days=span // 2)


def chart_runs(rows: Sequence[dict], period: str) -> dict[str, list[list[dict]]]:
    """Per counterpart, its cells in time order, cut into runs of consecutive periods: a missing period breaks the line."""
    from stance.analysis.stance_index import next_period, period_start

    by_counterpart: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if not math.isnan(r["stance_index"]):
            by_counterpart[r["counterpart"]].append(r)
    out = {}
    for counterpart, points in by_counterpart.items():
        points = sorted(points, key=lambda r: period_start(r["period"]))
        runs: list[list[dict]] = [[points[0]]]
        for r in points[1:]:
            if r["period"] == next_period(runs[-1][-1]["period"], period):
                runs[-1].append(r)
            else:
                runs.append([r])
        out[counterpart] = runs
    return out


def interval_segments(run: Sequence[dict]) -> list[list[int]]:
    """Positions in a run of cells whose intervals are drawn together: consecutive cells that have one.

    A cell with too few documents has no interval and breaks the band, so no band is drawn across it;
    a segment of one cell is drawn as a bar (a band needs two points to have width).
    """
    segments: list[list[int]] = []
    previous_had_interval = False
    for i, r in enumerate(run):
        has_interval = not r.get("too_few") and not math.isnan(r["ci_low"])
        if has_interval:
            if previous_had_interval:
                segments[-1].append(i)
            else:
                segments.append([i])
        previous_had_interval = has_interval
    return segments


def plot_actor(actor: str, rows: Sequence[dict], path: Path, period: str, *, level: float) -> Path:
    """One line per counterpart: the stance index over a proportional time axis, its interval band, the sentence count at each point.

    Periods are placed at their real dates, so a gap in the data is a gap on the axis; a line joins
    only consecutive periods, never across a missing one. Cells with too few documents for an
    interval are drawn as hollow points without a band; a band never crosses one, and a lone cell
    with an interval gets a bar.
    """
    import textwrap

    from matplotlib import dates as mdates

    fig, ax = plt.subplots(figsize=(8.0, 4.6))
    by_counterpart = chart_runs(rows, period)
    for counterpart, runs in sorted(by_counterpart.items()):
        color = None
        for run in runs:
            xs = [period_middle(r["period"], period) for r in run]
            ys = [r["stance_index"] for r in run]
            line = ax.plot(xs, ys, marker="o", color=color, label=None if color else f"towards {counterpart or '(any counterpart)'}")[0]
            color = line.get_color()
            for segment in interval_segments(run):
                lows, highs = [run[i]["ci_low"] for i in segment], [run[i]["ci_high"] for i in segment]
                if len(segment) == 1:
                    # a bar from low to high, not an error bar around the point: the prior can put the point outside its interval
                    ax.vlines([xs[segment[0]]], lows, highs, color=color, alpha=0.3, linewidth=8)
                else:
                    ax.fill_between([xs[i] for i in segment], lows, highs, color=color, alpha=0.18, linewidth=0)
            for x, r in zip(xs, run):
                if r.get("too_few"):
                    ax.plot([x], [r["stance_index"]], marker="o", markerfacecolor="white", color=color)
                ax.annotate(f"n={r['sentences']}", (x, r["stance_index"]), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=7)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylim(-1.1, 1.1)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator())
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_ylabel("stance index (+1 hardline, -1 conciliatory)")
    ax.set_xlabel(f"{period} (gaps: periods without documents)")
    title = f"{actor}: stance by {period} (band or bar: {level:.0%} interval over documents; hollow: too few documents; n = sentences)"
    ax.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=10)
    if by_counterpart:
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
    *,
    level: float,
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
        "stance-bearing ones (+1 all hardline, -1 all conciliatory); neutral sentences and news lines do not count. "
        f"The {level:.0%} interval is a Bayesian bootstrap over whole documents with one prior pseudo-document, so a few documents "
        "that agree still give a wide interval; below the minimum number of documents the page says so instead."
        + ("" if not highlights else " Highlighted words moved the model's call most when deleted.")
        + "</p>",
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
            f"<table><tr><th>towards</th><th>period</th><th>documents</th><th>sentences</th><th>index</th><th>{level:.0%} CI</th>"
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
            ci = (
                f"too few documents ({r.get('voting_documents', r['documents'])})"
                if r.get("too_few")
                else ""
                if math.isnan(r["ci_low"])
                else f"{r['ci_low']:+.2f} to {r['ci_high']:+.2f}"
            )
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
