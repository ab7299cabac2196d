"""How much does a model trained with context (`model.context=previous`) lean on the sentence before?

Scores the validation split of the model's prepared data three ways: each sentence after the one
before it in its document (as the model was trained and is served), after an empty sentence (how
`StanceClassifier` reads a sentence given without one), and alone, as a single-segment input (how a
distillation teacher was scored before it read context). Prints macro-F1 over every validation row
and how often each reading changes the label of the served one, with the mean KL divergence at the
distillation temperature (what a student would learn differently).

    python scripts/context_teacher_check.py --model outputs/runs/<context run>/model --prepared data/processed/diplomatic
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score


def main() -> None:
    from stance.data.dataset import load_prepared
    from stance.inference.classifier import StanceClassifier
    from stance.modeling.calibration import scaled_probabilities
    from stance.modeling.distillation import teacher_outputs
    from stance.modeling.loading import load_trained

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a model folder trained with model.context=previous")
    parser.add_argument("--prepared", required=True, help="the prepared data it was trained on (its validation split is scored)")
    parser.add_argument("--temperature", type=float, default=2.0, help="softmax temperature of the KL divergence (distill.temperature)")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    served = StanceClassifier.from_pretrained(args.model)
    if served.context != "previous":
        raise SystemExit(f"{args.model} was trained without context (model.context=none): nothing to compare")
    validation = load_prepared(Path(args.prepared))["validation"]
    texts, previous, gold = list(validation["text"]), list(validation["previous"]), np.asarray(validation["label"])
    model, tokenizer, _ = load_trained(Path(args.model))
    readings = {
        "after the sentence before (served)": served.logits(texts, previous),
        "after an empty sentence": served.logits(texts, None),
        "alone (single segment)": teacher_outputs(model, tokenizer, texts, features=False, max_length=served.max_length)["logits"],
    }
    reference = readings["after the sentence before (served)"]
    p = scaled_probabilities(reference, args.temperature)
    figures = {"rows": len(texts), "rows_with_a_sentence_before": sum(1 for b in previous if b)}
    for name, logits in readings.items():
        q = scaled_probabilities(logits, args.temperature)
        figures[name] = {
            "macro_f1": round(float(f1_score(gold, logits.argmax(axis=1), average="macro")), 3),
            "label_changed": round(float((logits.argmax(axis=1) != reference.argmax(axis=1)).mean()), 3),
            "mean_kl": round(float((p * np.log(p / q)).sum(axis=1).mean()), 4),
        }
    print(json.dumps(figures, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
