"""Analyst tools: stance trends with bootstrap intervals over documents, and occlusion explanations."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from stance.analysis.stance_index import ScoredSentence, period_of, stance_index, stance_trend
from stance.inference.explanation import without_word
from stance.train import train
from stance.trend import trend

FIXTURES = Path(__file__).parent / "fixtures"


def s(doc, label, conf=1.0, date="2024-02-10", actor="A", counterpart="B"):
    return ScoredSentence(doc, actor, counterpart, dt.date.fromisoformat(date), f"{doc} {label}", label, conf)


def test_periods_and_the_index_follow_their_definitions():
    assert [period_of(dt.date(2024, m, 1), "quarter") for m in (1, 3, 4, 12)] == ["2024-Q1", "2024-Q1", "2024-Q2", "2024-Q4"]
    assert period_of(dt.date(2024, 2, 9), "month") == "2024-02" and period_of(dt.date(2024, 2, 9), "year") == "2024"
    # 3 hardline at 0.9 vs 1 conciliatory at 0.6; the neutral sentence does not vote
    sentences = [s("d1", "hardline", 0.9), s("d1", "hardline", 0.9), s("d2", "hardline", 0.9), s("d2", "conciliatory", 0.6), s("d2", "neutral")]
    assert stance_index(sentences) == pytest.approx((2.7 - 0.6) / 3.3)


def test_the_interval_resamples_documents_and_covers_the_estimate():
    sentences = [s(f"d{i}", "hardline" if i % 3 else "conciliatory", 0.8) for i in range(30)]
    sentences += [s("late", "conciliatory", date="2024-07-01")]
    rows = stance_trend(sentences, "quarter", resamples=500, seed=1)
    q1 = next(r for r in rows if r["period"] == "2024-Q1")
    assert q1["documents"] == 30 and q1["sentences"] == 30
    assert q1["ci_low"] < q1["stance_index"] < q1["ci_high"]
    late = next(r for r in rows if r["period"] == "2024-Q3")
    assert late["too_few"] and np.isnan(late["ci_low"]), "one document gives no interval"
    # one document's ten sentences weigh as one resampling unit: a wider interval than ten independent documents
    clustered = stance_trend([s("big", "hardline") for _ in range(10)] + [s(f"c{i}", "conciliatory") for i in range(10)], resamples=500)
    spread = stance_trend([s(f"h{i}", "hardline") for i in range(10)] + [s(f"c{i}", "conciliatory") for i in range(10)], resamples=500)
    assert clustered[0]["ci_high"] - clustered[0]["ci_low"] > spread[0]["ci_high"] - spread[0]["ci_low"]


@pytest.mark.parametrize("documents", [1, 2, 5, 40])
def test_documents_that_agree_never_give_a_collapsed_interval(documents):
    """Two to five hardline documents gave "+1.00 to +1.00" with a plain bootstrap; the prior pseudo-document keeps room for doubt."""
    rows = stance_trend([s(f"d{i}", "hardline", 0.9) for i in range(documents)], resamples=2000, seed=3)
    row = rows[0]
    assert row["stance_index"] == 1.0
    if documents < 2:
        assert row["too_few"] and np.isnan(row["ci_low"])
        return
    assert not row["too_few"] and row["ci_high"] == 1.0, "the interval reaches its own estimate (+1.00, not +0.99 beside it)"
    assert row["ci_low"] < 1.0 - 0.5 / documents, "the interval keeps room below +1"
    assert row["ci_low"] > -1.0


def test_the_interval_narrows_as_documents_accumulate():
    widths = []
    for n in (2, 5, 20, 80):
        row = stance_trend([s(f"d{i}", "hardline" if i % 4 else "conciliatory") for i in range(n)], resamples=2000, seed=0)[0]
        widths.append(row["ci_high"] - row["ci_low"])
    assert widths == sorted(widths, reverse=True)


def test_chart_lines_break_at_missing_periods_and_sit_at_their_dates():
    from stance.analysis.stance_index import next_period
    from stance.analysis.trend_report import chart_runs, period_middle

    assert next_period("2024-Q4", "quarter") == "2025-Q1" and next_period("2024-12", "month") == "2025-01" and next_period("2024", "year") == "2025"
    sentences = [s("a", "hardline", date="2024-01-10"), s("b", "hardline", date="2024-04-10"), s("c", "conciliatory", date="2025-01-10")]
    rows = stance_trend(sentences, "quarter", resamples=100)
    runs = chart_runs(rows, "quarter")["B"]
    assert [[r["period"] for r in run] for run in runs] == [["2024-Q1", "2024-Q2"], ["2025-Q1"]], "no line across the three empty quarters"
    gap = period_middle("2025-Q1", "quarter") - period_middle("2024-Q2", "quarter")
    step = period_middle("2024-Q2", "quarter") - period_middle("2024-Q1", "quarter")
    assert gap.days > 3 * step.days - 10, "the axis is proportional to time"


def test_chart_intervals_never_cross_a_cell_without_one_and_a_lone_interval_is_a_bar(tmp_path, monkeypatch):
    from stance.analysis.trend_report import interval_segments, plot_actor

    # Q1 and Q2 have two documents each, Q3 one (too few), Q4 two: Q4's interval stands alone
    sentences = [s(f"{q}{i}", "hardline", date=f"2024-{3 * q - 2:02d}-10") for q in (1, 2, 4) for i in range(2)]
    sentences.append(s("q3", "hardline", date="2024-07-10"))
    rows = stance_trend(sentences, "quarter", resamples=100)
    assert [r["too_few"] for r in rows] == [False, False, True, False]
    assert interval_segments(rows) == [[0, 1], [3]], "the band stops at the cell without an interval"

    import matplotlib.pyplot as plt

    drawn = {}
    real_subplots = plt.subplots

    def spy(*args, **kwargs):
        fig, ax = real_subplots(*args, **kwargs)
        drawn["ax"] = ax
        return fig, ax

    monkeypatch.setattr(plt, "subplots", spy)
    plot_actor("A", rows, tmp_path / "a.png", "quarter", level=0.95)
    ax = drawn["ax"]
    bands = [c for c in ax.collections if c.__class__.__name__ in ("PolyCollection", "FillBetweenPolyCollection")]
    bars = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    assert len(bands) == 1 and len(bars) == 1, "one band (Q1-Q2) and one bar (Q4)"


def test_actor_names_that_differ_in_case_or_spacing_are_merged_and_reported():
    from stance.analysis.trend_inputs import TrendRow, normalise_names

    rows = [
        TrendRow(f"d{i}", "x", actor, "Russia", dt.date(2024, 1, 1))
        for i, actor in enumerate(["China", "China", "china ", "CHINA", "United  States"])
    ]
    rows.append(TrendRow("d9", "x", "United States", "russia", dt.date(2024, 1, 1)))
    mapping = normalise_names(rows)
    assert mapping == {"china ": "China", "CHINA": "China", "United  States": "United States", "russia": "Russia"} or mapping == {
        "china ": "China",
        "CHINA": "China",
        "United States": "United  States",
        "russia": "Russia",
    }
    assert {r.actor for r in rows} <= {"China", "United States", "United  States"} and len({r.actor for r in rows}) == 2
    assert {r.counterpart for r in rows} == {"Russia"}


def test_every_unparseable_date_is_reported_at_once_and_day_first_dates_are_read(tmp_path):
    from stance.analysis.trend_inputs import DateReader, TrendColumns, read_trend_inputs
    from stance.errors import StanceError

    table = tmp_path / "statements.csv"
    table.write_text("text,speaker,date\nWe talk.,A,31/12/2024\nWe refuse.,A,01/02/2024\nWe wait.,A,soon\nWe agree.,A,2024-13-01\n")
    with pytest.raises(StanceError, match=r"4 date\(s\) .* row 1: '31/12/2024'; .* row 3: 'soon'; .* row 4: '2024-13-01'.*trend\.date_format"):
        read_trend_inputs([str(table)], TrendColumns())
    table.write_text("text,speaker,date\nWe talk.,A,31/12/2024\nWe refuse.,A,01/02/2024\n")
    rows, _ = read_trend_inputs([str(table)], TrendColumns(), dates=DateReader(dayfirst=True))
    assert [r.date for r in rows] == [dt.date(2024, 12, 31), dt.date(2024, 2, 1)]
    rows, _ = read_trend_inputs([str(table)], TrendColumns(), dates=DateReader(date_format="%d/%m/%Y"))
    assert [r.date for r in rows] == [dt.date(2024, 12, 31), dt.date(2024, 2, 1)]


@pytest.fixture(scope="module")
def smoke_model(tmp_path_factory, tiny_model_dir):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    root = tmp_path_factory.mktemp("analysis")
    # binary, so every sentence of the fixture articles votes and each period has an index to chart
    # (the no-side path of a three-way model is specified in test_no_side.py and test_periods_and_the_index_follow_their_definitions)
    overrides = [
        "experiment=binary",
        "debug=smoke",
        f"output_root={root / 'outputs'}",
        f"data.output_dir={root / 'prepared'}",
        f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]",
        "trainer.max_steps=40",
        "trainer.learning_rate=5e-4",
    ]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return Path(train(compose(config_name=PRIMARY_CONFIG, overrides=overrides))["model_dir"])


def _articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    manifest = [("wire_talks.txt", "Norway", "Russia", "2024-01-15"), ("wire_ultimatum.txt", "Norway", "Russia", "2024-05-02")]
    for name, *_ in manifest:
        shutil.copy(FIXTURES / "articles" / name, folder / name)
        shutil.copy(FIXTURES / "articles" / name, folder / name.replace(".txt", "_copy.txt"))
    with (folder / "labels.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "speaker", "counterpart", "date"])
        for name, *meta in manifest:
            writer.writerow([name, *meta])
            writer.writerow([name.replace(".txt", "_copy.txt"), *meta])
    return folder


def trend_config(tmp_path: Path, model_dir: Path, *overrides: str):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(
            config_name=PRIMARY_CONFIG,
            overrides=[f"model_dir={model_dir}", f"trend.output_dir={tmp_path / 'trend'}", "trend.bootstrap_resamples=200", *overrides],
        )


def test_trend_from_raw_articles_writes_the_table_a_chart_per_actor_and_the_evidence_page(tmp_path, smoke_model, capsys):
    result = trend(trend_config(tmp_path, smoke_model, f"trend.inputs=[{_articles(tmp_path)}]", "trend.confidence_level=0.9"))
    # what cleaning took out of the raw articles is said, not silent (two copies of each fixture article are read)
    assert "cleaning took out of the raw articles (not scored): 16 web boilerplate line(s) removed" in capsys.readouterr().err
    out = tmp_path / "trend"
    rows = list(csv.DictReader((out / "trend.csv").open()))
    assert [r["period"] for r in rows] == ["2024-Q1", "2024-Q2"]
    assert all(r["actor"] == "Norway" and r["counterpart"] == "Russia" and r["documents"] == "2" for r in rows)
    assert (out / "trend_Norway.png").stat().st_size > 5000
    page = (out / "trend.html").read_text()
    assert "data:image/png;base64," in page and "2024-Q2" in page and "<mark>" in page
    # the page names the level its intervals were computed at (trend.confidence_level), not a fixed 95%
    assert "90% interval" in page and "90% CI" in page and "95%" not in page
    assert result["rows"][0]["sentences"] > 3


def test_trend_reads_a_scored_prediction_file_joined_with_a_manifest(tmp_path, smoke_model):
    from stance.predict import predict

    articles = _articles(tmp_path)
    cfg = trend_config(tmp_path, smoke_model, f"predict.input={articles}", f"predict.output={tmp_path / 'scored.jsonl'}")
    predict(cfg)
    result = trend(
        trend_config(
            tmp_path,
            smoke_model,
            f"trend.inputs=[{tmp_path / 'scored.jsonl'}]",
            f"trend.manifest={articles / 'labels.csv'}",
            "trend.period=year",
            "trend.explain=false",
        )
    )
    assert [(r["period"], r["documents"]) for r in result["rows"]] == [("2024", 4)]


class BagOfWords:
    """A transparent backend: the hardline logit is a sum of per-token weights, so the true word effects are known."""

    workers = 1

    def __init__(self, vocab_size: int, strong: dict[int, float], seed: int = 0) -> None:
        self.weights = np.random.default_rng(seed).normal(0, 0.15, vocab_size)
        for token, weight in strong.items():
            self.weights[token] = weight

    def __call__(self, batch):
        score = (self.weights[batch["input_ids"]] * batch["attention_mask"]).sum(axis=1)
        return np.stack([np.zeros_like(score), score], axis=1).astype(np.float32)


@pytest.fixture()
def bow_classifier(tiny_model_dir):
    from transformers import AutoTokenizer

    from stance import StanceClassifier

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    cues = {"never": 2.5, "ultimatum": 2.0, "reject": 1.8, "talks": -2.2, "ready": -1.6, "welcome": -1.8}
    strong = {tokenizer.convert_tokens_to_ids(word): weight for word, weight in cues.items()}
    return StanceClassifier(BagOfWords(tokenizer.vocab_size, strong), tokenizer, ("conciliatory", "hardline"))


def test_explanations_are_faithful_deleting_the_top_words_moves_the_probability_more_than_random_words(bow_classifier):
    from stance.modeling.calibration import scaled_probabilities

    clf = bow_classifier
    texts = [json.loads(line)["text"] for line in (FIXTURES / "labelled.jsonl").read_text().splitlines()]
    texts = [t for t in texts if len(t.split()) >= 7][:20]
    explanations = clf.explain(texts)
    rng = random.Random(0)

    def drop(e, indices):
        kept = " ".join(w for i, w in enumerate(e.words) if i not in set(indices))
        return abs(e.probability - scaled_probabilities(clf.logits([kept]), 1.0)[0, clf.labels.index(e.label)])

    top_moves, random_moves = [], []
    for e in explanations:
        order = sorted(range(len(e.words)), key=lambda i: -e.contributions[i])
        top_moves.append(drop(e, order[:3]))
        random_moves.append(np.mean([drop(e, rng.sample(range(len(e.words)), 3)) for _ in range(5)]))
    assert len(explanations) == len(texts) >= 10
    assert np.mean(top_moves) > 2 * np.mean(random_moves), (np.mean(top_moves), np.mean(random_moves))
    # a planted cue word is found where it drives the call
    (e,) = clf.explain("We will never accept this ultimatum from them.")
    assert e.label == "hardline" and set(e.top_words(2)) == {"never", "ultimatum"}
    assert without_word(["a", "b", "c"], 1) == "a c"


def test_a_trained_transformer_explains_with_words_of_the_sentence(smoke_model):
    from stance import StanceClassifier

    (e,) = StanceClassifier.from_pretrained(smoke_model).explain(["We will never accept this ultimatum."])
    assert e.words == ["We", "will", "never", "accept", "this", "ultimatum."] and len(e.contributions) == 6
    assert all(w in e.text for w in e.top_words(3))


def test_predict_can_add_the_top_words_of_each_sentence(tmp_path, smoke_model, bow_classifier, monkeypatch):
    from stance.inference.classifier import StanceClassifier
    from stance.predict import predict

    monkeypatch.setattr(StanceClassifier, "from_pretrained", classmethod(lambda cls, *a, **k: bow_classifier))

    (tmp_path / "in.txt").write_text("We will never accept this ultimatum.\nOur door remains open to talks.\n")  # bag-of-words cues
    io = [f"predict.input={tmp_path / 'in.txt'}", "predict.lines=true", f"predict.output={tmp_path / 'out.csv'}"]
    cfg = trend_config(tmp_path, smoke_model, *io, "predict.explain=true")
    predict(cfg)
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [r["top_words"].split("; ")[0] for r in rows] == ["never", "talks"] and "ultimatum" in rows[0]["top_words"]


def test_a_manifest_saved_with_semicolons_and_padded_headers_places_each_article(tmp_path):
    """The manifest is read by the tables' own CSV reader: a spreadsheet's semicolon CSV with ' date' works."""
    from stance.analysis.trend_inputs import TrendColumns, read_trend_inputs

    folder = _articles(tmp_path)
    rows = list(csv.reader((folder / "labels.csv").open()))
    (folder / "labels.csv").write_text("\n".join(";".join(f" {cell}" if i == 0 else cell for cell in row) for i, row in enumerate(rows)) + "\n")
    read, skipped = read_trend_inputs([str(folder)], TrendColumns())
    assert not skipped
    assert {(r.doc_id, r.actor, r.counterpart, r.date.isoformat()) for r in read} == {
        ("wire_talks", "Norway", "Russia", "2024-01-15"),
        ("wire_talks_copy", "Norway", "Russia", "2024-01-15"),
        ("wire_ultimatum", "Norway", "Russia", "2024-05-02"),
        ("wire_ultimatum_copy", "Norway", "Russia", "2024-05-02"),
    }
