"""Distillation: the loss, the transfer set (never a held-out document), and a student trained end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from stance.data.augmentation import perturbed_copies
from stance.data.transfer import transfer_sentences
from stance.modeling.distillation import IGNORE, cached_teacher_outputs, distillation_loss, feature_loss, mean_pooled
from stance.train import train

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_loss_is_cross_entropy_at_alpha_0_and_zero_when_the_student_matches_the_teacher_at_alpha_1():
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.3], [-1.0, 1.0]])
    gold = torch.tensor([0, IGNORE, 1])
    ce = torch.nn.functional.cross_entropy(logits[[0, 2]], gold[[0, 2]])
    assert torch.isclose(distillation_loss(logits, gold, logits * 3, alpha=0.0, temperature=2.0), ce)
    assert distillation_loss(logits, gold, logits.clone(), alpha=1.0, temperature=2.0).abs() < 1e-6
    far = distillation_loss(logits, gold, -logits, alpha=1.0, temperature=2.0)
    assert far > 0.1, "a teacher that disagrees pulls the student"


def test_the_feature_loss_is_zero_for_the_teachers_own_vectors_and_grows_with_the_angle():
    teacher = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]), dim=-1)
    identity = torch.nn.Identity()
    assert feature_loss(teacher, teacher, identity).abs() < 1e-6
    assert feature_loss(-teacher, teacher, identity) > 1.9
    pooled = mean_pooled(torch.tensor([[[2.0, 0.0], [0.0, 2.0], [9.0, 9.0]]]), torch.tensor([[1, 1, 0]]))
    assert torch.allclose(pooled, torch.tensor([[0.7071, 0.7071]]), atol=1e-4), "padding is left out of the mean"


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_transfer_sentences_skip_held_out_documents_and_known_texts(tmp_path):
    rows = [
        {"doc_id": "train-doc", "text": "We are ready to talk at any time."},
        {"doc_id": "test-doc", "text": "This sentence belongs to a test document."},
        {"doc_id": "train-doc", "text": "A sentence already in the train split."},
        {"doc_id": "train-doc", "text": "We are ready to talk at any time!"},
    ]
    source = _jsonl(tmp_path / "u.jsonl", rows)
    known = ["A sentence already in the train split."]
    pairs = transfer_sentences([str(source), str(FIXTURES / "articles")], held_out_docs={"test-doc"}, skip_texts=known)
    texts = [text for text, _ in pairs]
    assert "We are ready to talk at any time." in texts
    assert not any("test document" in t or "already in the train" in t for t in texts)
    assert sum("ready to talk at any time" in t for t in texts) == 1, "normalised duplicates count once"
    assert len(texts) > 3, "article sentences are segmented in"
    assert len(transfer_sentences([str(source)], max_sentences=1, seed=3)) == 1


def test_each_transfer_sentence_keeps_the_sentence_before_it_in_its_document(tmp_path):
    rows = [
        {"doc_id": "a", "text": "We are ready to talk at any time."},
        {"doc_id": "b", "text": "The delegation arrived on Monday."},
        {"doc_id": "a", "text": "A sentence already in the train split."},
        {"doc_id": "a", "text": "Talks could begin next week."},
    ]
    source = _jsonl(tmp_path / "u.jsonl", rows)
    pairs = dict(transfer_sentences([str(source), str(FIXTURES / "articles")], skip_texts=["A sentence already in the train split."]))
    assert pairs["We are ready to talk at any time."] == "", "the first sentence of a document has none"
    assert pairs["The delegation arrived on Monday."] == "", "another document's sentence is not the one before"
    assert pairs["Talks could begin next week."] == "A sentence already in the train split.", "a skipped sentence still comes before"
    article = [(text, before) for text, before in transfer_sentences([str(FIXTURES / "articles")]) if before]
    assert article, "sentences of a raw article after its first keep the one before them"


def test_perturbed_copies_are_seeded_distinct_and_never_a_known_sentence():
    texts = [
        "We will not accept any preconditions for talks with the other side.",
        "The minister welcomed the resumption of dialogue and called for restraint.",
        "No.",
    ]
    known = ["We will accept any preconditions for talks with the other side."]
    made = perturbed_copies(texts, 5, seed=1, skip_texts=known)
    assert made == perturbed_copies(texts, 5, seed=1, skip_texts=known)
    assert made != perturbed_copies(texts, 5, seed=2, skip_texts=known)
    assert [source for source, _ in made] == [0] * 5 + [1] * 5, "five of each sentence of four words or more, each with its sentence's index"
    copies = [copy for _, copy in made]
    assert len(set(copies)) == len(copies)
    assert not set(copies) & set(texts + known)
    assert perturbed_copies(texts, 0) == []


def test_teacher_logits_are_cached_per_teacher_and_sentences(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "config.json").write_text("{}")
    calls: list[list[str]] = []

    def score(texts: list[str], previous: list[str] | None):
        calls.append(list(texts))
        return {"logits": np.arange(2 * len(texts), dtype=np.float32).reshape(-1, 2), "features": np.ones((len(texts), 3))}

    first = cached_teacher_outputs(score, teacher, ["a", "b"])
    again = cached_teacher_outputs(score, teacher, ["a", "b"])
    assert set(again) == {"logits", "features"} and len(calls) == 1, "the same teacher and sentences are scored once"
    assert np.array_equal(first["logits"], again["logits"]) and again["logits"].shape == (2, 2)
    cached_teacher_outputs(score, teacher, ["a", "c"])
    (teacher / "config.json").write_text('{"retrained": true}')
    cached_teacher_outputs(score, teacher, ["a", "b"])
    assert len(calls) == 3, "other sentences or a changed teacher are scored afresh"
    cached_teacher_outputs(score, teacher, ["a", "b"], previous=["", "a"])
    cached_teacher_outputs(score, teacher, ["a", "b"], previous=["", "z"])
    cached_teacher_outputs(score, teacher, ["a", "b"], previous=["", "z"])
    assert len(calls) == 5, "a context teacher's outputs are kept per sentence before, too"


def test_a_student_trains_on_its_teachers_probabilities_and_names_it(smoke_config, tmp_path, capsys):
    teacher = train(smoke_config())
    student = train(
        smoke_config(
            f"distill.teacher={teacher['model_dir']}",
            f"distill.unlabelled=[{FIXTURES / 'articles'}]",
            "distill.alpha=0.7",
            "distill.augment_copies=2",
            "distill.feature_weight=1.0",
        )
    )
    out = capsys.readouterr().out
    assert "the teacher scores" in out and "unlabelled sentences" in out
    copies = int(out.split(" perturbed copies")[0].rsplit(" ", 1)[1])
    assert copies > 0, out
    model_dir = Path(student["model_dir"])
    assert json.loads((model_dir / "stance.json").read_text())["teacher"] == str(Path(teacher["model_dir"]).resolve())
    card = (model_dir / "README.md").read_text()
    assert "Distilled from the teacher" in card and f"{copies:,} perturbed copies" in card and "alpha 0.7" in card
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), "pt") as saved:
        assert not [k for k in saved.keys() if "projection" in k], "the feature projection is training-only"
    from transformers import pipeline

    assert pipeline("text-classification", model=str(model_dir))("We are ready to talk.")[0]["label"] in ("conciliatory", "hardline", "neutral")


def test_a_teacher_with_context_teaches_what_it_reads_after_the_sentence_before(smoke_config, monkeypatch):
    from stance.config import options
    from stance.data.dataset import load_prepared
    from stance.inference.classifier import StanceClassifier
    from stance.modeling import distillation
    from stance.modeling.distillation import teacher_outputs
    from stance.modeling.fine_tuning import transfer_split
    from stance.modeling.loading import load_trained

    teacher = train(smoke_config("model.context=previous"))
    # the student is trained by the command itself; the signal it was taught with is kept as training made it
    signals = []
    make_signal = distillation.teacher_signal
    monkeypatch.setattr(distillation, "teacher_signal", lambda *args, **kwargs: signals.append(make_signal(*args, **kwargs)) or signals[-1])
    cfg = smoke_config(f"distill.teacher={teacher['model_dir']}", f"distill.unlabelled=[{FIXTURES / 'articles'}]", "distill.augment_copies=1")
    train(cfg)
    (signal,) = signals
    dataset = load_prepared(options(cfg, "data").prepared_dir)
    texts, previous = list(dataset["train"]["text"]), list(dataset["train"]["previous"])
    assert sum(1 for p in previous if p) > len(previous) // 2
    served = StanceClassifier.from_pretrained(teacher["model_dir"])
    model, tokenizer, _ = load_trained(Path(teacher["model_dir"]))
    alone = teacher_outputs(model, tokenizer, texts, features=False)["logits"]
    # a tiny random model's logits differ by ~1e-4 between inputs, and by ~1e-7 for the same input batched otherwise
    served_gap = np.abs(signal.train_logits - served.logits(texts, previous)).max()
    alone_gap = np.abs(signal.train_logits - alone).max()
    assert served_gap < alone_gap / 20, "the student learns the teacher as it is served: each sentence after the one before it, not alone"
    assert len(signal.transfer_previous) == len(signal.transfer_texts) and any(signal.transfer_previous)
    split = transfer_split(signal, with_previous=True)["transfer"]
    assert list(split["previous"]) == signal.transfer_previous, "a student with context reads transfer sentences after theirs"
    assert "previous" not in transfer_split(signal, with_previous=False)["transfer"].column_names


def test_a_teacher_with_other_labels_is_refused(smoke_config):
    from stance.errors import StanceError

    teacher = train(smoke_config("data.splits.train=0.5", "data.splits.validation=0.25", "data.splits.test=0.25"))  # three-way
    with pytest.raises(StanceError, match="teacher's labels"):
        train(smoke_config("experiment=binary", f"distill.teacher={teacher['model_dir']}"))
