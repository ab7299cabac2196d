"""End to end with the tiny random BERT: prepare -> train -> evaluate -> predict -> reload."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef, roc_auc_score

from stance import StanceClassifier
from stance.evaluate import evaluate
from stance.predict import predict
from stance.train import train

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_model_dir):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    root = tmp_path_factory.mktemp("run")
    overrides = [
        "experiment=binary",  # the binary model end to end; the three-way default has its own test below
        f"model.name_or_path={tiny_model_dir}",
        f"output_root={root / 'outputs'}",
        f"data.output_dir={root / 'prepared'}",
        f"data.inputs=[{FIXTURES / 'labelled.jsonl'},{FIXTURES / 'articles'}]",
        "debug=smoke",
        "trainer.max_steps=8",
        "eval.plots=true",
        "trainer.report_to=[tensorboard]",
    ]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=PRIMARY_CONFIG, overrides=overrides)
    result = train(cfg)
    return cfg, result


def test_train_writes_a_complete_run(trained):
    cfg, result = trained
    run = Path(result["run_dir"])
    model = run / "model"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "README.md", "stance.json"):
        assert (model / name).exists(), name
    assert not list(model.glob("*.bin"))
    config = json.loads((model / "config.json").read_text())
    assert config["id2label"] == {"0": "conciliatory", "1": "hardline"}
    for name in ("metrics.json", "config.yaml", "provenance.json"):
        assert (run / name).exists()
    assert list((run / "tensorboard").rglob("events.out.tfevents.*")), "TensorBoard event files are written by default"
    latest = Path(cfg.run_root) / "latest"
    assert Path(cfg.run_root) == Path(cfg.output_root) / "debug", "smoke runs live under their own root"
    assert latest.is_symlink() and latest.resolve() == run.resolve()
    prov = json.loads((run / "provenance.json").read_text())
    assert prov["packages"]["torch"] and len(prov["dataset_fingerprint"]) == 64
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["train"]["steps"] == 8
    assert not (Path(cfg.run_root) / "checkpoints").exists() or not any((Path(cfg.run_root) / "checkpoints").iterdir())


def test_report_numbers_match_sklearn_on_predictions(trained):
    _, result = trained
    eval_dir = Path(result["run_dir"]) / "eval-test"
    metrics = json.loads((eval_dir / "metrics.json").read_text())
    with (eval_dir / "predictions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    gold = [r["gold"] for r in rows]
    pred = [r["prediction"] for r in rows]
    assert metrics["n"] == len(rows)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    assert metrics["macro_f1"] == pytest.approx(f1_score(gold, pred, average="macro", labels=metrics["labels"], zero_division=0))
    assert metrics["mcc"] == pytest.approx(matthews_corrcoef(gold, pred))
    errors = list(csv.DictReader((eval_dir / "errors.csv").open()))
    assert len(errors) == sum(g != p for g, p in zip(gold, pred))
    confidences = [float(e["confidence"]) for e in errors]
    assert confidences == sorted(confidences, reverse=True)
    # a split this small gets no macro-F1 interval (it would be resampling noise) and a Wilson interval for accuracy
    assert metrics["n"] < 30 and metrics["ci"]["macro_f1"] is None
    lo, hi = metrics["ci"]["accuracy"]
    assert lo <= metrics["accuracy"] <= hi and hi - lo > 0.2
    assert set(metrics["baselines"]) == {"majority", "lexicon", "tfidf_lr"}
    for name in (
        "confusion_matrix.png",
        "pr_curve.png",
        "roc_curve.png",
        "reliability.png",
        "score_histograms.png",
        "coverage_accuracy.png",
    ):
        assert (eval_dir / name).stat().st_size > 1000, name
    report = (eval_dir / "report.md").read_text()
    assert report.startswith("# Stance evaluation") and "![Reliability diagram](reliability.png)" in report
    assert "data:image/png;base64," in (eval_dir / "report.html").read_text()


def test_classifier_and_pipeline_agree(trained):
    from transformers import pipeline

    _, result = trained
    clf = StanceClassifier.from_pretrained(result["model_dir"])
    texts = [json.loads(line)["text"] for line in (FIXTURES / "labelled.jsonl").read_text().splitlines()]
    ours = clf.predict(texts)
    assert isinstance(clf.predict(texts[0]), str)
    proba = clf.predict_proba(texts)
    assert proba.shape == (len(texts), 2) and np.allclose(proba.sum(axis=1), 1)
    assert clf.labels == ("conciliatory", "hardline")
    pipe = pipeline("text-classification", model=result["model_dir"], device="cpu")
    theirs = [p["label"] for p in pipe(texts, batch_size=8)]
    assert ours == theirs


def test_predict_document_summarises_an_article(trained):
    _, result = trained
    clf = StanceClassifier.from_pretrained(result["model_dir"])
    doc = clf.predict_document((FIXTURES / "articles" / "wire_talks.txt").read_text())
    assert doc.stance in clf.labels
    assert abs(sum(doc.shares.values()) - 1) < 1e-9
    assert all("Advertisement" not in s.text for s in doc.sentences)
    assert len(doc.sentences) >= 5


def test_min_confidence_abstains_below_the_threshold_only(trained):
    _, result = trained
    texts = [json.loads(line)["text"] for line in (FIXTURES / "labelled.jsonl").read_text().splitlines()]
    confidence = StanceClassifier.from_pretrained(result["model_dir"]).predict_proba(texts).max(axis=1)
    low, high = int(confidence.argmin()), int(confidence.argmax())
    assert confidence[high] > confidence[low]
    threshold = float(confidence[low] + confidence[high]) / 2
    clf = StanceClassifier.from_pretrained(result["model_dir"], min_confidence=threshold)
    plain = StanceClassifier.from_pretrained(result["model_dir"])
    assert clf.predict([texts[low], texts[high]]) == ["uncertain", plain.predict(texts[high])]


def test_evaluate_cli_function_on_prepared_split_and_external_file(trained, tmp_path):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    cfg, result = trained
    base = [f"{k}={v}" for k, v in (("model_dir", result["model_dir"]), ("data.output_dir", cfg.data.output_dir), ("output_root", cfg.output_root))]
    base.append("experiment=binary")  # the data settings the model was trained with
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        same = compose(
            config_name=PRIMARY_CONFIG,
            overrides=[
                *base,
                f"data.inputs=[{FIXTURES / 'labelled.jsonl'},{FIXTURES / 'articles'}]",
                "eval.plots=false",
                f"eval.output_dir={tmp_path / 'e1'}",
            ],
        )
        external = compose(
            config_name=PRIMARY_CONFIG,
            overrides=[
                *base,
                f"data.inputs=[{FIXTURES / 'labelled.csv'}]",
                "data.columns.text=sentence",
                "data.columns.label=stance",
                "eval.plots=false",
                f"eval.output_dir={tmp_path / 'e2'}",
                f"eval.raw_articles={FIXTURES / 'articles'}",
            ],
        )
    first = evaluate(same)
    assert first["metrics"]["split"] == "test"
    # the running-text yardstick is scored beside the split, as stance-train scores it
    assert first["running"]["n"] == 1526 and (tmp_path / "e1" / "running" / "report.md").exists()
    train_metrics = json.loads((Path(result["run_dir"]) / "eval-test" / "metrics.json").read_text())
    assert first["metrics"]["macro_f1"] == pytest.approx(train_metrics["macro_f1"])
    second = evaluate(external)
    assert second["metrics"]["split"] == "external"
    assert second["metrics"]["n"] == 7  # 8 CSV rows, one neutral dropped for a binary model
    assert second["metrics"]["documents"]["documents"] == 2


def test_an_evaluation_scores_each_sentence_once_though_the_articles_are_also_running_text(trained, tmp_path, monkeypatch):
    """The bundled raw articles are read as documents and as lines of the running-text yardstick: one scoring serves both."""
    from collections import Counter

    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG
    from stance.inference.classifier import StanceClassifier as Classifier

    cfg, result = trained
    scored: Counter[str] = Counter()
    score = Classifier._score_texts

    def counted(self, texts, previous):
        scored.update(texts)
        return score(self, texts, previous)

    monkeypatch.setattr(Classifier, "_score_texts", counted)
    overrides = [f"model_dir={result['model_dir']}", f"data.output_dir={cfg.data.output_dir}", f"output_root={cfg.output_root}"]
    overrides += ["experiment=binary", "eval.plots=false", "eval.explain_errors=0", f"eval.output_dir={tmp_path / 'e'}"]
    overrides.append(f"eval.raw_articles={ROOT / 'data' / 'raw_articles'}")
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        out = evaluate(compose(config_name=PRIMARY_CONFIG, overrides=overrides))
    assert out["metrics"]["documents"]["documents"] and out["running"]["n"] == 1526
    article_lines = {line.strip() for path in (ROOT / "data" / "raw_articles").glob("*.txt") for line in path.read_text().splitlines()}
    assert any(text in article_lines for text in scored), "the articles' sentences were scored"
    assert max(scored.values()) == 1, [t for t, n in scored.items() if n > 1][:3]


def test_predict_writes_jsonl_for_sentences_and_articles(trained, tmp_path):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    _, result = trained
    sentences = tmp_path / "in.txt"
    sentences.write_text("We are ready to talk.\n\nNever.\n")
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        a = compose(
            config_name=PRIMARY_CONFIG,
            overrides=[
                f"model_dir={result['model_dir']}",
                f"predict.input={sentences}",
                "predict.lines=true",
                f"predict.output={tmp_path / 'a.jsonl'}",
            ],
        )
        b = compose(
            config_name=PRIMARY_CONFIG,
            overrides=[
                f"model_dir={result['model_dir']}",
                f"predict.input={FIXTURES / 'articles'}",
                f"predict.output={tmp_path / 'b.csv'}",
            ],
        )
    predict(a)
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == ["We are ready to talk.", "Never."]
    assert all(r["label"] in ("conciliatory", "hardline") and abs(r["p_conciliatory"] + r["p_hardline"] - 1) < 1e-5 for r in rows)
    predict(b)
    table = list(csv.DictReader((tmp_path / "b.csv").open()))
    assert {r["doc_id"] for r in table if r["type"] == "document"} == {"wire_talks", "wire_ultimatum"}


def test_three_way_model_reports_the_binary_headline_and_the_three_way_view(smoke_config):
    cfg = smoke_config("data.splits.train=0.5", "data.splits.validation=0.25", "data.splits.test=0.25")
    result = train(cfg)
    clf = StanceClassifier.from_pretrained(result["model_dir"])
    assert clf.labels == ("conciliatory", "hardline", "neutral")
    settings = json.loads((Path(result["model_dir"]) / "stance.json").read_text())
    assert 0 < settings["no_side_threshold"] < 1 and clf.no_side_threshold == settings["no_side_threshold"]
    # the binary view's own temperature is saved with the model and applied by side_proba (below)
    assert settings["side_temperature"] > 0 and clf.side_temperature == settings["side_temperature"]
    # the smoke data has no real-prose rows: both were fitted on every validation row, and the run says so
    run_metrics = json.loads((Path(result["run_dir"]) / "metrics.json").read_text())["calibration"]
    assert "fewer than 30" in run_metrics["no_side_threshold_fitted_on"] and "fewer than 30" in run_metrics["side_temperature_fitted_on"]
    eval_dir = Path(result["run_dir"]) / "eval-test"
    metrics = json.loads((eval_dir / "metrics.json").read_text())
    # the headline: conciliatory vs hardline on the stance-bearing rows, from the renormalised binary view
    with (eval_dir / "predictions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["gold"] for r in rows} <= {"conciliatory", "hardline"} and len(metrics["confusion_matrix"]) == 2
    side = clf.side_proba([r["text"] for r in rows])
    # batch composition moves the tiny random model's logits by ~1e-5, which a side temperature below 1 magnifies
    np.testing.assert_allclose(side, [[float(r["p_conciliatory"]), float(r["p_hardline"])] for r in rows], atol=2e-4)
    gold = [("conciliatory", "hardline").index(r["gold"]) for r in rows]
    pos, neg = side[np.array(gold) == 1, 1], side[np.array(gold) == 0, 1]
    # the tiny random model scores some sentences within float noise of each other: compare only where no
    # positive-negative pair is that close, else a different batch composition can reorder the pair
    if len(pos) and len(neg) and np.min(np.abs(pos[:, None] - neg[None, :])) > 2e-4:
        assert metrics["roc_auc"] == pytest.approx(roc_auc_score(gold, side[:, 1]), abs=1e-5)
    # the three-way view: predict's own labels against every row, neutral ones included
    with (eval_dir / "predictions_three_way.csv").open() as handle:
        three = list(csv.DictReader(handle))
    assert [r["prediction"] for r in three] == clf.predict([r["text"] for r in three])
    no_side = metrics["no_side"]
    neutral = [r for r in three if r["gold"] == "neutral"]
    assert no_side["n"] == len(three) and no_side["no_side_sentences"] == len(neutral)
    assert no_side["no_side_given_a_side"] == pytest.approx(sum(r["prediction"] != "neutral" for r in neutral) / len(neutral))
    assert no_side["macro_f1"] == pytest.approx(
        f1_score([r["gold"] for r in three], [r["prediction"] for r in three], average="macro", labels=list(clf.labels), zero_division=0)
    )
    doc = clf.predict_document("We reject the ultimatum. We remain open to talks. The meeting is on Monday.")
    assert "neutral" not in doc.shares


def test_balanced_class_weights_train(smoke_config):
    cfg = smoke_config("experiment=balanced", "trainer.gradient_accumulation_steps=2")
    result = train(cfg)
    history = result["metrics"]["history"]
    losses = [h["loss"] for h in history if "loss" in h]
    assert losses and all(np.isfinite(losses))
    assert result["metrics"]["train"]["global_batch_size"] == 8 * 2
