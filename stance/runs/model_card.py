"""The README.md model card written into every trained model folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stance.evaluation.metrics import ci_of


def write_model_card(
    model_dir: Path,
    *,
    name: str,
    base_model: str,
    seed: int,
    learning_rate: float,
    debug_run: str | None = None,
    teacher: str | None = None,
    distill_recipe: str | None = None,
    labels: tuple[str, ...],
    summary: dict[str, Any],
    stats: dict[str, Any],
    settings: dict[str, Any] | None = None,
) -> Path:
    test = summary["evaluations"][summary["primary"]]
    splits = stats["splits"]
    rows = "\n".join(
        f"| {name} | {s['sentences']} | {s['documents']} | " + ", ".join(f"{k} {v}" for k, v in s["labels"].items()) + " |"
        for name, s in splits.items()
    )
    text = f"""---
library_name: transformers
pipeline_tag: text-classification
tags: [stance, diplomacy, political-science]
---

# Diplomatic stance classifier ({name})
{_debug_warning(debug_run)}
Fine-tuned from `{base_model}` with the `stance` package to label sentences from
diplomatic text as {", ".join(f"`{name}`" for name in labels)}.{_teacher_line(teacher, distill_recipe)}

## Use

```python
from stance import StanceClassifier
clf = StanceClassifier.from_pretrained("{model_dir.name}")
clf.predict("We remain ready to resume talks without preconditions.")
```

{_pipeline_note(labels, settings)}

## Data

Dataset `{stats["name"]}` (fingerprint `{stats["fingerprint"][:16]}`), split by document so that no
document is in two splits:

| split | sentences | documents | labels |
|---|---|---|---|
{rows}

Dropped at preparation: {", ".join(f"{k} {v}" for k, v in stats["dropped"].items()) or "nothing"}.

## Results on the {test["n"]} held-out sentences ({summary["primary"]} split)

| metric | value |
|---|---|
| macro-F1 | {test["macro_f1"]:.3f} ({ci_of(test)}) |
| accuracy | {test["accuracy"]:.3f} ({ci_of(test, "accuracy_ci")}) |
| TF-IDF + logistic regression macro-F1 | {test.get("tfidf_lr_macro_f1", float("nan")):.3f} |
| expected calibration error after temperature scaling | {test["ece_after"]:.3f} (before {test["ece_before"]:.3f}) |
{_real_dev_row(summary["evaluations"].get("real_dev"))}
Training: {summary["train"]["steps"]} optimiser steps, seed {seed}, learning rate {learning_rate}.

## Intended use and limits

- Intended for research on diplomatic communication: triaging and measuring the stance of
  statements, briefings, communiqués and news reports about them, with human review of findings.
- Sentence-level: it sees one sentence, not the conversation. Sarcasm, context-dependent short
  replies and reported speech remain the hardest cases (see the evaluation report's per-tag table).
- English only. The bundled corpus is written for this project and the real-text set is 19th-century
  U.S. state prose; real archives differ in style and topic mix, so validate on a labelled sample of
  your own data (`stance-annotate` picks the sentences worth labelling) before drawing conclusions.
- Not for decisions about individuals, and not a measure of any government's true intentions.
"""
    path = model_dir / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def _pipeline_note(labels: tuple[str, ...], settings: dict[str, Any] | None) -> str:
    """What `transformers.pipeline` users get, and how to call it for a context model."""
    settings = settings or {}
    lines = [
        'It also loads unchanged in `transformers.pipeline("text-classification", model=folder)`. That path skips what',
        "`stance.json` adds: the temperature scaling of the probabilities"
        + (
            f", and the rule that a sentence takes no side (`neutral`) once p(neutral) reaches {settings['no_side_threshold']:.3f}: "
            "the pipeline's label is the most probable one."
            if "neutral" in labels and settings.get("no_side_threshold") is not None
            else "; its labels are the same, its probabilities are not calibrated."
        ),
    ]
    if settings.get("context") == "previous":
        lines += [
            "",
            "This model reads each sentence after the one before it in its document. `StanceClassifier` takes that sentence as",
            "`predict(texts, previous=[...])` (and `predict_document` passes it itself); with the pipeline, pass a pair:",
            '`pipe({"text": previous_sentence, "text_pair": sentence})`, the previous sentence cut to its last '
            f'{settings.get("context_tokens")} tokens (`""` for the first sentence of a document).',
        ]
    return "\n".join(lines)


def _debug_warning(debug_run: str | None) -> str:
    if not debug_run:
        return ""
    return f"\n> **Debug model** (`debug={debug_run}`): a few steps of a tiny random encoder to check a setup; its scores mean nothing.\n"


def _teacher_line(teacher: str | None, recipe: str | None = None) -> str:
    if not teacher:
        return ""
    how = f" ({recipe})" if recipe else ""
    return f"\n\nDistilled from the teacher `{teacher}`: trained on its temperature-softened probabilities{how} and the gold labels."


def _real_dev_row(dev: dict[str, Any] | None) -> str:
    if not dev:
        return ""
    name = f"real-text development set macro-F1 ({dev['n']} sentences, never trained on)"
    return f"| {name} | {dev['macro_f1']:.3f} ({ci_of(dev)}) |\n"
