"""Human-readable evaluation reports: report.md (plots linked) and a self-contained report.html."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x: Any, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _level(m: dict[str, Any]) -> str:
    """The level the report's intervals were computed at (eval.confidence_level), as '95%'."""
    return f"{m['ci']['level']:.0%}"


def _interval(ci: list[float] | None) -> str:
    return "n/a" if ci is None else f"{ci[0]:.3f}-{ci[1]:.3f}"


def summary_lines(m: dict[str, Any]) -> list[str]:
    """Three sentences a non-specialist can read."""
    ci = m["ci"]["accuracy"]
    lines = [
        f"On {m['n']} held-out sentences the model picked the right stance {_pct(m['accuracy'])} of the time "
        f"({_level(m)} range {_pct(ci[0])}-{_pct(ci[1])}); macro-F1, which weighs each label equally, is {_num(m['macro_f1'])}.",
    ]
    base = m.get("baselines", {}).get("tfidf_lr")
    if base:
        diff = m["macro_f1"] - base["macro_f1"]
        verdict = (
            "clearly better than"
            if not base["ci_overlap_macro_f1"] and diff > 0
            else ("about as good as" if base["ci_overlap_macro_f1"] else "worse than")
        )
        lines.append(
            f"It is {verdict} a simple word-count model (TF-IDF + logistic regression, macro-F1 {_num(base['macro_f1'])}); "
            f"a keyword list reaches {_num(m['baselines']['lexicon']['macro_f1'])}."
        )
    op = m["abstention"]["operating_point"]
    if op:
        lines.append(
            f"If it may say 'uncertain' below {op['threshold']:.2f} confidence, it answers {_pct(op['coverage'])} of sentences "
            f"with {_pct(op['accuracy'])} accuracy (target {_pct(m['abstention']['target_accuracy'])})."
        )
    else:
        lines.append(
            f"No confidence threshold reaches the target accuracy of {_pct(m['abstention']['target_accuracy'])}; "
            "treat its labels as leads, not findings."
        )
    return lines


def render_markdown(m: dict[str, Any]) -> str:
    labels = m["labels"]
    out = [f"# Stance evaluation ({m['split']} split)", ""]
    out += [f"> {line}" for line in summary_lines(m)] + [""]
    out += ["## Headline metrics", "", f"| metric | value | {_level(m)} CI |", "|---|---|---|"]
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1", "mcc", "cohen_kappa", "roc_auc", "pr_auc", "log_loss", "brier"):
        ci = m["ci"].get(key)
        interval = f"{ci[0]:.3f}-{ci[1]:.3f}" if ci else ("too few sentences or every resample agreed" if key in m["ci"] else "")
        out.append(f"| {key} | {_num(m.get(key))} | {interval} |")
    out += ["", "## Per class", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, c in m["per_class"].items():
        out.append(f"| {name} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
    out += [
        "",
        "Confusion matrix (rows gold, columns predicted):",
        "",
        "| gold \\ predicted | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for name, row in zip(labels, m["confusion_matrix"]):
        out.append(f"| {name} | " + " | ".join(str(v) for v in row) + " |")
    if m.get("baselines"):
        out += [
            "",
            "## Baselines on the same split",
            "",
            f"| system | accuracy | macro-F1 | macro-F1 {_level(m)} CI | model − system (macro-F1) | paired {_level(m)} CI of the difference "
            "| CIs overlap | macro-F1 on hard cases |",
            "|---|---|---|---|---|---|---|---|",
        ]
        ci = m["ci"]["macro_f1"]
        out.append(
            f"| **fine-tuned model** | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | {_interval(ci)} | | | "
            f"| {_num(m.get('hard_cases', {}).get('macro_f1'))} |"
        )
        for name, b in m["baselines"].items():
            p = b["paired_ci_model_minus_baseline_macro_f1"]
            out.append(
                f"| {name} | {b['accuracy']:.3f} | {b['macro_f1']:.3f} | {_interval(b['ci']['macro_f1'])} | "
                f"{b['model_minus_baseline_macro_f1']:+.3f} | {p[0]:+.3f} to {p[1]:+.3f} | {'yes' if b['ci_overlap_macro_f1'] else 'no'} "
                f"| {_num(b.get('hard_cases_macro_f1'))} |"
            )
        if "hard_cases" in m:
            out += ["", f"Hard cases: the {m['hard_cases']['n']} sentences tagged negation, contrast, sarcasm, ... (breakdown by tag below)."]
    cal = m["calibration"]
    side_t = cal.get("side_temperature")
    scaling = f"Temperature scaling (fitted on the validation split): T = {cal['temperature']:.3f}."
    if side_t is not None:
        scaling += (
            f" The binary view (conciliatory vs hardline, which the figures below measure) has its own, T = {side_t:.3f}, "
            f"fitted on {cal.get('side_temperature_fitted_on') or 'validation rows'} of the validation split."
        )
    out += ["", "## Calibration", "", scaling, ""]
    out += ["| split | ECE before | ECE after |", "|---|---|---|", f"| {m['split']} | {cal['ece_before']:.4f} | {cal['ece_after']:.4f} |"]
    if cal.get("validation_ece_before") is not None:
        which = "validation (the rows that fitted it)" if side_t is not None else "validation"
        out.append(f"| {which} | {cal['validation_ece_before']:.4f} | {cal['validation_ece_after']:.4f} |")
    out += [
        "",
        "The temperature minimises validation log loss; ECE with 15 bins on a few hundred sentences moves by a few",
        "thousandths from noise alone, so a well-calibrated model's ECE can stay level or rise slightly.",
    ]
    op = m["abstention"]["operating_point"]
    out += ["", "## Abstention", ""]
    if op:
        out.append(
            f"`min_confidence={op['threshold']:.3f}` keeps {_pct(op['coverage'])} of sentences at {_pct(op['accuracy'])} accuracy "
            f"(target {_pct(m['abstention']['target_accuracy'])}); pass it to "
            "`StanceClassifier.from_pretrained(..., min_confidence=...)` or `predict.min_confidence=`."
        )
    else:
        out.append(f"No threshold reaches {_pct(m['abstention']['target_accuracy'])} accuracy.")
    if "no_side" in m:
        ns = m["no_side"]
        interval = _interval(ns["macro_f1_ci"])
        if ns["macro_f1"] is None:
            summary = (
                f"No sentence of these {ns['n']} takes no side in the gold labels, so there is no three-way macro-F1 (the neutral class "
                f"would score 0 whatever the model did); {_pct(ns['side_taken_as_no_side'])} of them were called neutral.{_threshold_note(ns)}"
            )
        else:
            summary = (
                f"Over all {ns['n']} sentences, `predict`'s labels (neutral for a sentence that takes no side) reach three-way macro-F1 "
                f"{_num(ns['macro_f1'])} ({interval}); {_pct(ns['no_side_given_a_side'])} of the {ns['no_side_sentences']} sentences that "
                f"take no side were given one, and {_pct(ns['side_taken_as_no_side'])} of those that take a side were called neutral."
                f"{_threshold_note(ns)}"
            )
        out += [
            "",
            "## Sentences that take no side",
            "",
            "The headline above is conciliatory vs hardline on the sentences whose gold label takes a side. " + summary,
            "",
            "| gold \\ predicted | " + " | ".join(ns["labels"]) + " |",
            "|---|" + "---|" * len(ns["labels"]),
        ]
        out += [f"| {g} | " + " | ".join(str(c) for c in row) + " |" for g, row in zip(ns["labels"], ns["confusion_matrix"])]
    if "documents" in m and m["documents"].get("documents"):
        d = m["documents"]
        out += ["", "## Document level", "", f"`predict_document` on {d['documents']} raw articles: accuracy {_pct(d['accuracy'])}."]
    for column, groups in m.get("breakdowns", {}).items():
        out += [
            "",
            f"## By {column}",
            "",
            "Macro-F1 averages over the labels the group's gold sentences hold: a group whose gold sentences all take one stance "
            "is scored on that stance alone (over both, the label it never holds would score 0 and halve a perfect group's figure). "
            "The accuracy interval (Wilson) shows how little a small group can say.",
            "",
            f"| group | n | gold | accuracy | accuracy {_level(m)} CI | macro-F1 |",
            "|---|---|---|---|---|---|",
        ]
        for key, g in groups.items():
            gold = ", ".join(f"{label} {count}" for label, count in g["gold"].items())
            out.append(f"| {key} | {g['n']} | {gold} | {g['accuracy']:.3f} | {_interval(g['accuracy_ci'])} | {g['macro_f1']:.3f} |")
    if m.get("figures"):
        out += ["", "## Figures", ""]
        titles = {
            "confusion": "Confusion matrix",
            "pr": "Precision-recall",
            "roc": "ROC",
            "reliability": "Reliability diagram",
            "histograms": "Score histograms per gold class",
            "coverage": "Coverage vs accuracy",
        }
        for key, name in m["figures"].items():
            out += [f"![{titles.get(key, key)}]({name})", ""]
    if m.get("top_errors"):
        out += ["", "## Most confident errors", "", "Highlighted: the words whose deletion moved the model's call most (occlusion).", ""]
        out += ["| sentence | gold | predicted | confidence |", "|---|---|---|---|"]
        for e in m["top_errors"]:
            out.append(f"| {_marked(e['text'], e['top_words'])} | {e['gold']} | {e['prediction']} | {e['confidence']:.2f} |")
    out += ["", "Misclassified sentences, most confident first: `errors.csv`. All predictions: `predictions.csv`.", ""]
    return "\n".join(out)


def _marked(text: str, words: list[str]) -> str:
    """The sentence with `==word==` around its top words (rendered as <mark> in the HTML); table pipes escaped."""
    text = text.replace("|", "/")
    for word in sorted(set(words), key=len, reverse=True):
        text = re.sub(rf"(?<![\w=])({re.escape(word)})(?![\w=])", r"==\1==", text)
    return text


def _markdown_to_html(md: str, folder: Path) -> str:
    """Just enough Markdown for our own reports: headings, tables, quotes, images, code spans."""
    body: list[str] = []
    table: list[list[str]] = []

    def inline(text: str) -> str:
        text = html.escape(text)
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
        text = re.sub(r"==(.+?)==", r"<mark>\1</mark>", text)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", text)

    def flush() -> None:
        if table:
            head, *rest = table
            rows = [r for r in rest if not all(set(c) <= set("-: ") for c in r)]
            body.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>")
            body.extend("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rows)
            body.append("</table>")
            table.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            table.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        flush()
        image = re.fullmatch(r"!\[(.*?)\]\((.*?)\)", line)
        if image:
            data = base64.b64encode((folder / image.group(2)).read_bytes()).decode()
            body.append(
                f'<figure><img alt="{html.escape(image.group(1))}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(image.group(1))}</figcaption></figure>"
            )
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{inline(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("> "):
            body.append(f"<p class='summary'>{inline(line[2:])}</p>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    flush()
    style = (
        "body{font-family:sans-serif;max-width:960px;margin:2em auto;line-height:1.45}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
        ".summary{background:#f3f6fa;border-left:4px solid #4a78b5;padding:.4em .8em;margin:.2em 0}img{max-width:100%}"
    )
    head = f"<head><meta charset='utf-8'><title>Stance evaluation</title><style>{style}</style></head>"
    return f"<!doctype html><html>{head}<body>{''.join(body)}</body></html>\n"


def write_reports(folder: Path, metrics: dict[str, Any]) -> tuple[Path, Path]:
    md = render_markdown(metrics)
    md_path = folder / "report.md"
    md_path.write_text(md, encoding="utf-8")
    html_path = folder / "report.html"
    html_path.write_text(_markdown_to_html(md, folder), encoding="utf-8")
    return md_path, html_path


def _threshold_note(ns: dict[str, Any]) -> str:
    if ns.get("threshold") is None:
        return ""
    where = f", fitted on {ns['threshold_fitted_on']} of the validation split" if ns.get("threshold_fitted_on") else ""
    return f" A sentence takes no side once p(neutral) reaches {ns['threshold']:.3f}{where}."
