"""Sentences that take no side: the decision rule, its fitted threshold, and the running-text yardstick."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from stance.inference.classifier import StanceClassifier

ROOT = Path(__file__).resolve().parents[1]


class FixedBackend:
    """Logits looked up by the first token id, so each test sentence gets the scores we choose."""

    workers = 1

    def __init__(self, table: dict[int, list[float]]) -> None:
        self.table = table

    def __call__(self, batch):
        return np.array([self.table[int(row[1])] for row in batch["input_ids"]], dtype=np.float32)


def classifier(tiny_model_dir: Path, labels: tuple[str, ...], scores: dict[str, list[float]], **kw) -> StanceClassifier:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    table = {tokenizer(text)["input_ids"][1]: logits for text, logits in scores.items()}
    return StanceClassifier(FixedBackend(table), tokenizer, labels, **kw)


THREE = ("conciliatory", "hardline", "neutral")


def test_a_three_way_model_says_neutral_from_its_threshold_and_its_binary_view_renormalises(tiny_model_dir):
    p = {"talks": [2.0, 0.0, 1.5], "never": [0.0, 2.0, 1.9], "tuesday": [0.1, 0.0, 3.0]}
    clf = classifier(tiny_model_dir, THREE, p)
    assert clf.predict(["talks resume", "never again", "tuesday meeting"]) == ["conciliatory", "hardline", "neutral"], "argmax without a threshold"
    clf.no_side_threshold = 0.3  # neutral as soon as p(neutral) reaches 0.3
    proba = clf.predict_proba(["talks resume", "never again", "tuesday meeting"])
    assert proba[0, 2] >= 0.3 and proba[1, 2] >= 0.3
    assert clf.predict(["talks resume", "never again", "tuesday meeting"]) == ["neutral", "neutral", "neutral"]
    side = clf.side_proba(["talks resume"])
    np.testing.assert_allclose(side, proba[:1, :2] / proba[:1, :2].sum(), rtol=1e-6)
    assert clf.sides == ("conciliatory", "hardline")


def test_a_binary_model_names_a_side_unless_a_threshold_or_a_news_line_says_otherwise(tiny_model_dir):
    clf = classifier(tiny_model_dir, ("conciliatory", "hardline"), {"talks": [0.3, 0.0], "photo": [0.0, 2.0], "never": [0.0, 3.0]})
    assert clf.predict(["talks resume", "never again"]) == ["conciliatory", "hardline"]
    # a photo credit is not content: it takes no side whatever the model says
    assert clf.predict(["Photo: Reuters/Denis Balibouse"]) == ["neutral"]
    (credit,) = clf.predict_sentences(["Photo: Reuters/Denis Balibouse"])
    assert credit.label == "neutral" and not credit.content
    clf.no_side_threshold = 0.6  # abstention: a side below 0.6 is no side
    assert clf.predict(["talks resume", "never again"]) == ["neutral", "hardline"]


def test_min_confidence_turns_a_weak_side_into_uncertain_but_leaves_neutral_alone(tiny_model_dir):
    clf = classifier(tiny_model_dir, THREE, {"talks": [1.0, 0.8, 0.0], "tuesday": [0.0, 0.0, 4.0]}, min_confidence=0.6)
    assert clf.predict(["talks resume", "tuesday meeting"]) == ["uncertain", "neutral"]


def test_the_no_side_threshold_is_fitted_for_the_best_three_way_macro_f1():
    from stance.modeling.calibration import fit_no_side_threshold

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 600)
    proba = np.full((600, 3), 0.1)
    proba[np.arange(600), gold] = 0.8
    # a model that under-calls neutral: every neutral row has p(neutral) 0.35, below its best side
    neutral = gold == 2
    proba[neutral] = [0.45, 0.2, 0.35]
    fitted = fit_no_side_threshold(proba, gold, THREE)
    assert 0.1 < fitted["no_side_threshold"] <= 0.35, "between the other rows' p(neutral) and the neutral rows'"
    assert fitted["validation_three_way_macro_f1"] == pytest.approx(1.0)
    assert fitted["validation_three_way_macro_f1_argmax"] < 0.8


def test_the_running_text_scores_follow_their_definitions(tiny_model_dir, tmp_path):
    from stance.data.labels import index_of
    from stance.evaluation.running import RunningText, evaluate_running

    rows = [
        {"doc_id": "d1", "text": "talks resume", "label": "conciliatory"},
        {"doc_id": "d1", "text": "never again", "label": "hardline"},
        {"doc_id": "d1", "text": "tuesday meeting", "label": "neutral"},
        {"doc_id": "d2", "text": "MOSCOW, Feb 9 (Reuters) —", "label": "neutral"},
        {"doc_id": "d2", "text": "never ever", "label": "hardline"},
        {"doc_id": "d2", "text": "tuesday again", "label": "neutral"},
    ]
    path = tmp_path / "running.jsonl"
    path.write_text("".join(json.dumps({**r, "previous": "", "origin": "news"}) + "\n" for r in rows))
    scores = {"talks": [3.0, 0.0, 0.0], "never": [0.0, 3.0, 0.0], "tuesday": [0.0, 3.0, 0.0], "moscow": [3.0, 0.0, 0.0]}
    clf = classifier(tiny_model_dir, THREE, scores)
    m = evaluate_running(clf, RunningText.read(path), tmp_path / "out", resamples=50)
    # tuesday lines are given a side (hardline); the dateline is a news line: no side whatever the model says
    assert m["no_side_sentences"] == 3 and m["no_side_given_a_side"] == pytest.approx(2 / 3)
    c = 3.0 / (np.exp(0) * 2 + np.exp(3.0))  # noqa: F841  (the exact confidences come from the softmax below)
    p_side = np.exp(3.0) / (np.exp(3.0) + 2)
    # d1 gold: one of each side -> 0; predicted: hardline twice, conciliatory once, equal confidences -> 1/3
    assert index_of(["conciliatory", "hardline", "neutral"]) == 0.0
    per = m["per_document"]
    assert per["d1"]["gold_index"] == 0.0 and per["d1"]["predicted_index"] == pytest.approx(1 / 3)
    assert per["d2"]["gold_index"] == 1.0 and per["d2"]["predicted_index"] == pytest.approx(1.0)
    assert m["doc_index_mae"] == pytest.approx((1 / 3 + 0.0) / 2)
    assert p_side > 0.9 and (tmp_path / "out" / "report.md").exists() and (tmp_path / "out" / "predictions.csv").exists()


def test_the_running_yardstick_is_whole_documents_of_development_addresses_and_the_bundled_articles():
    rows = [json.loads(line) for line in (ROOT / "data" / "realtext" / "running.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 600
    real = [r for r in rows if r["origin"] == "real"]
    dev_docs = {json.loads(line)["doc_id"].removeprefix("sotu-") for line in (ROOT / "data" / "realtext" / "dev.jsonl").read_text().splitlines()}
    train_docs = {json.loads(line)["doc_id"].removeprefix("sotu-") for line in (ROOT / "data" / "realtext" / "train.jsonl").read_text().splitlines()}
    addresses = {r["doc_id"].removeprefix("running-") for r in real}
    assert len(addresses) >= 10 and addresses <= dev_docs and not addresses & train_docs, "development addresses only"
    assert max(int(a[:4]) for a in addresses) <= 1899
    for address in addresses:
        ids = [int(r["id"].split("#")[1]) for r in real if r["doc_id"] == f"running-{address}"]
        assert 15 <= len(ids) <= 40 and ids == list(range(ids[0], ids[0] + len(ids))), "a contiguous passage, every sentence"
    articles = {r["doc_id"] for r in rows if r["origin"] == "news"}
    assert articles == {p.stem for p in (ROOT / "data" / "raw_articles").glob("*.txt")}, "every bundled raw article"
    assert {r["label"] for r in rows} == {"conciliatory", "hardline", "neutral"}


def test_training_refuses_data_that_holds_the_running_text(smoke_config, tmp_path):
    from stance.errors import StanceError
    from stance.train import train

    running = ROOT / "data" / "realtext" / "running.jsonl"
    with pytest.raises(StanceError, match="running-text yardstick are in the training data"):
        train(smoke_config(f"data.inputs=[{running}]", f"eval.running={running}"))


def test_explain_explains_the_label_predict_gives_not_the_argmax(tiny_model_dir):
    p = {"talks": [2.0, 0.0, 1.5], "tuesday": [0.1, 0.0, 3.0]}
    clf = classifier(tiny_model_dir, THREE, p)
    known = clf.backend.table  # occlusion's variants start with other words: score those as all-equal logits
    clf.backend = FixedBackend(defaultdict(lambda: [0.0, 0.0, 0.0], known))
    assert [e.label for e in clf.explain(["talks resume", "tuesday meeting"])] == ["conciliatory", "neutral"], "argmax without a threshold"
    clf.no_side_threshold = 0.3  # p(neutral) of "talks resume" reaches it: predict says neutral, and so must the explanation
    assert clf.predict(["talks resume"]) == ["neutral"]
    (e,) = clf.explain(["talks resume"])
    assert e.label == "neutral" and e.probability == pytest.approx(clf.predict_proba(["talks resume"])[0, 2], rel=1e-6)
    clf.no_side_threshold = 1.01  # never neutral: the likelier side is explained although neutral is the argmax
    (e,) = clf.explain(["tuesday meeting"])
    assert e.label == "conciliatory"


def test_the_running_text_line_says_n_a_where_a_custom_yardstick_cannot_speak():
    from stance.evaluation.running import summary_line

    m = {"macro_f1": 0.5, "macro_f1_ci": None, "n": 4, "no_side_given_a_side": None, "no_side_sentences": 0, "doc_index_mae": None, "documents": 0}
    line = summary_line(m)
    assert "given a side n/a of 0" in line and "MAE n/a over 0 documents" in line


def test_a_set_without_no_side_sentences_gets_no_three_way_macro_f1_not_a_perfect_score_of_0_667(tiny_model_dir, tmp_path):
    from stance.evaluation.evaluator import EvalOptions, evaluate_classifier
    from stance.evaluation.rows import LabelledRows

    clf = classifier(tiny_model_dir, THREE, {"talks": [3.0, 0.0, 0.0], "never": [0.0, 3.0, 0.0]})
    rows = LabelledRows(["talks resume", "never again"], ["conciliatory", "hardline"], {})
    m = evaluate_classifier(clf, rows, tmp_path / "out", EvalOptions(plots=False, explain_errors=0), title="tiny")
    assert m["macro_f1"] == 1.0, "both sentences are right"
    assert m["no_side"]["macro_f1"] is None and m["no_side"]["side_taken_as_no_side"] == 0.0
    assert "no three-way macro-F1" in (tmp_path / "out" / "report.md").read_text()


def test_a_tag_whose_sentences_all_take_one_stance_is_scored_on_that_stance_not_halved(tiny_model_dir, tmp_path):
    """Polite refusals are all hardline: over both stances, the conciliatory F1 of 0 would halve a perfect group to 0.500."""
    from stance.evaluation.evaluator import EvalOptions, evaluate_classifier
    from stance.evaluation.rows import LabelledRows

    clf = classifier(tiny_model_dir, THREE, {"talks": [3.0, 0.0, 0.0], "never": [0.0, 3.0, 0.0]})
    texts = ["talks resume", "talks again", "never again", "never twice", "never more"]
    gold = ["conciliatory", "hardline", "hardline", "hardline", "hardline"]
    tags = [[], ["mixed_signal"], ["polite_refusal"], ["polite_refusal"], ["polite_refusal"]]
    rows = LabelledRows(texts, gold, {"tags": tags})
    m = evaluate_classifier(clf, rows, tmp_path / "out", EvalOptions(plots=False, explain_errors=0), title="tiny")
    refusals = m["breakdowns"]["tags"]["polite_refusal"]
    assert refusals["gold"] == {"hardline": 3} and refusals["accuracy"] == 1.0
    assert refusals["macro_f1"] == 1.0, "every refusal called right"
    low, high = refusals["accuracy_ci"]
    assert high == 1.0 and low < 0.5, "3 of 3 is no certainty (Wilson)"
    assert m["breakdowns"]["tags"]["mixed_signal"]["macro_f1"] == 0.0, "a group's mistakes still count"
    assert "| polite_refusal | 3 | hardline 3 | 1.000 | " in (tmp_path / "out" / "report.md").read_text()


def test_a_running_yardstick_without_no_side_sentences_says_n_a_for_its_three_way_macro_f1(tiny_model_dir, tmp_path):
    from stance.evaluation.running import RunningText, evaluate_running, summary_line

    rows = [{"doc_id": "d1", "text": "talks resume", "label": "conciliatory"}, {"doc_id": "d1", "text": "never again", "label": "hardline"}]
    path = tmp_path / "running.jsonl"
    path.write_text("".join(json.dumps({**r, "previous": "", "origin": "news"}) + "\n" for r in rows))
    clf = classifier(tiny_model_dir, THREE, {"talks": [3.0, 0.0, 0.0], "never": [0.0, 3.0, 0.0]})
    m = evaluate_running(clf, RunningText.read(path), tmp_path / "out", resamples=50)
    assert m["macro_f1"] is None and m["parts"]["news"]["macro_f1"] is None
    assert "three-way macro-F1 n/a (no sentence takes no side)" in summary_line(m)
    assert "n/a (no sentence takes no side)" in (tmp_path / "out" / "report.md").read_text()
