"""The sentence before: a context model reads each sentence after the previous one of its document, at every stage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stance import StanceClassifier
from stance.train import train

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def context_model(tmp_path_factory, tiny_model_dir):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    root = tmp_path_factory.mktemp("context")
    overrides = [
        "debug=smoke",
        f"output_root={root / 'outputs'}",
        f"data.output_dir={root / 'prepared'}",
        f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]",
        "model.context=previous",
        "model.context_tokens=12",
        "trainer.max_steps=20",
        "trainer.learning_rate=5e-4",
        "trainer.probe_epochs=0",  # a probed tiny random encoder answers near 1/3 for every input, and the pair would not visibly move it
    ]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        result = train(compose(config_name=PRIMARY_CONFIG, overrides=overrides))
    return Path(result["model_dir"]), root / "prepared"


def test_the_model_folder_records_the_context_and_the_classifier_applies_it(context_model):
    folder, prepared = context_model
    settings = json.loads((folder / "stance.json").read_text())
    assert settings["context"] == "previous" and settings["context_tokens"] == 12
    clf = StanceClassifier.from_pretrained(folder)
    assert clf.context == "previous" and clf.context_tokens == 12
    texts = ["We accept.", "We accept."]
    scored = clf.predict_proba(texts, previous=["The offer of talks was made on Monday.", "They fired on our border posts again."])
    assert not np.allclose(scored[0], scored[1]), "the previous sentence changes the input"
    np.testing.assert_allclose(clf.predict_proba(["We accept."]), clf.predict_proba(["We accept."], previous=[""]), atol=1e-6)
    assert "text_pair" in (folder / "README.md").read_text(), "the model card tells pipeline users how to call it"


def test_the_prepared_data_keeps_each_sentence_before_it_in_document_order(context_model):
    from datasets import load_from_disk

    _, prepared = context_model
    dataset = load_from_disk(str(prepared))
    rows = [json.loads(line) for line in (FIXTURES / "labelled.jsonl").read_text().splitlines() if line.strip()]
    before = {}
    last: dict[str, str] = {}
    for r in rows:
        before[r["text"]] = last.get(r["doc_id"], "")
        last[r["doc_id"]] = r["text"]
    for split in ("train", "validation", "test"):
        for text, previous in zip(dataset[split]["text"], dataset[split]["previous"]):
            assert previous == before[text]


def test_the_pipeline_called_with_a_pair_gives_the_classifiers_label(context_model):
    from transformers import pipeline

    folder, _ = context_model
    clf = StanceClassifier.from_pretrained(folder)
    pipe = pipeline("text-classification", model=str(folder), device="cpu", top_k=None)
    pairs = [("The offer of talks was made on Monday.", "We accept."), ("", "Never."), ("They fired on our posts.", "We will answer.")]
    ours = clf.predict_proba([b for _, b in pairs], previous=[a for a, _ in pairs])
    for (before, text), p in zip(pairs, ours):
        scores = {d["label"]: d["score"] for d in pipe({"text": before, "text_pair": text})}
        raw = np.array([scores[n] for n in clf.labels])
        assert raw.argmax() == p.argmax(), "same label; the pipeline skips the temperature"


def test_predict_document_passes_each_sentence_its_previous_one(context_model, monkeypatch):
    folder, _ = context_model
    clf = StanceClassifier.from_pretrained(folder)
    seen = {}
    original = StanceClassifier.predict_sentences

    def spy(self, texts, previous=None):
        seen["previous"] = list(previous)
        return original(self, texts, previous)

    monkeypatch.setattr(StanceClassifier, "predict_sentences", spy)
    doc = clf.predict_document("Talks resume in Geneva.\n\nWe are ready. They are not.")
    assert seen["previous"] == ["", "Talks resume in Geneva.", "We are ready."]
    assert len(doc.sentences) == 3
