"""Inference internals: length-sorted windows, parallel backends, ONNX export and near-tie re-scoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stance import StanceClassifier

TEXTS = [
    "We are ready to talk.",
    "Any attack will be met with a swift and decisive response.",
    "",
    "The minister said the door to dialogue remains open, provided both sides respect the ceasefire line agreed last spring.",
    "No.",
    "Sanctions will stay until the troops leave.",
    "Both delegations welcomed the progress made in Geneva and agreed to meet again next month.",
]


@pytest.fixture(scope="module")
def tiny_classifier_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    labels = {0: "conciliatory", 1: "hardline"}
    model = AutoModelForSequenceClassification.from_pretrained(
        str(tiny_model_dir), num_labels=2, id2label=labels, label2id={v: k for k, v in labels.items()}
    )
    folder = tmp_path_factory.mktemp("tiny-classifier")
    model.save_pretrained(folder, safe_serialization=True)
    AutoTokenizer.from_pretrained(str(tiny_model_dir)).save_pretrained(folder)
    return folder


def one_at_a_time(clf: StanceClassifier, texts: list[str]) -> np.ndarray:
    return np.concatenate([clf.logits([t]) for t in texts])


class ParallelWrapper:
    """Counts the calls of a backend run on the classifier's thread pool."""

    def __init__(self, inner):
        self.inner, self.workers, self.calls = inner, 2, 0

    def __call__(self, batch):
        self.calls += 1
        return self.inner(batch)


def test_sorted_windows_give_the_logits_of_unpadded_single_sentences(tiny_classifier_dir, monkeypatch):
    import torch

    import stance.inference.classifier

    clf = StanceClassifier.from_pretrained(tiny_classifier_dir, batch_size=3)
    alone = one_at_a_time(clf, TEXTS)
    monkeypatch.setattr(stance.inference.classifier, "SORT_WINDOW", 4)  # windows of 4 and 3 sentences: batches of 3, 1 and 3
    threads = torch.get_num_threads()
    for workers in (1, 2):
        clf.backend.workers = workers
        np.testing.assert_allclose(clf.logits(TEXTS), alone, atol=1e-5)
        assert torch.get_num_threads() == threads  # one thread per batch only while scoring
    clf.backend = ParallelWrapper(clf.backend)
    np.testing.assert_allclose(clf.logits(TEXTS), alone, atol=1e-5)
    assert clf.backend.calls == 3
    assert clf.logits([]).shape == (0, 2)


class CountingBackend:
    """Counts the sentences a backend is asked to score."""

    def __init__(self, inner):
        self.inner, self.rows = inner, 0

    def __call__(self, batch):
        self.rows += len(batch["input_ids"])
        return self.inner(batch)


def test_a_sentence_is_scored_once_per_call_and_once_per_remembering_block(tiny_classifier_dir):
    clf = StanceClassifier.from_pretrained(tiny_classifier_dir, batch_size=3)
    alone = one_at_a_time(clf, TEXTS)
    clf.backend = CountingBackend(clf.backend)
    np.testing.assert_allclose(clf.logits(TEXTS + TEXTS[:3]), np.concatenate([alone, alone[:3]]), atol=1e-5)
    assert clf.backend.rows == len(TEXTS), "a repeated sentence is scored once"
    clf.backend.rows = 0
    with clf.remembering():
        clf.logits(TEXTS[:4])
        np.testing.assert_allclose(clf.logits(TEXTS), alone, atol=1e-5)
        assert clf.backend.rows == len(TEXTS), "inside the block, a sentence scored before is not scored again"
    clf.logits(TEXTS[:4])
    assert clf.backend.rows == len(TEXTS) + 4, "nothing is kept after the block"
    clf.context, clf.context_tokens, clf.backend.rows = "previous", 16, 0
    clf.logits(["No.", "No.", "No."], ["We will talk.", "Never.", "Never."])
    assert clf.backend.rows == 2, "for a context model the same sentence after another one is another input"


def test_near_ties_are_scored_again_with_the_exact_backend():
    from stance.inference.onnx_backend import NearTieRescorer

    class Fixed:
        workers = 1
        path = Path("fixed")

        def __init__(self, logits):
            self.logits, self.seen = np.asarray(logits, dtype=np.float32), []

        def __call__(self, batch):
            rows = batch["input_ids"][:, 0]
            self.seen.append(rows.tolist())
            return self.logits[rows].copy()

    fast = Fixed([[0.0, 0.1], [2.0, -1.0], [0.3, 0.0], [-1.0, 1.0]])
    exact = Fixed([[9.0, 0.0], [9.0, 0.0], [0.0, 9.0], [9.0, 0.0]])
    batch = {"input_ids": np.arange(4)[:, None], "attention_mask": np.ones((4, 1), dtype=np.int64)}
    out = NearTieRescorer(fast, exact, margin=0.5)(batch)
    assert exact.seen == [[0, 2]]  # only the rows whose int8 top-two gap is under the margin
    np.testing.assert_array_equal(out, [[9.0, 0.0], [2.0, -1.0], [0.0, 9.0], [-1.0, 1.0]])


def test_onnx_export_measures_int8_noise_and_the_backend_uses_it(tiny_classifier_dir, tmp_path):
    import shutil

    from stance.inference.onnx_backend import FP32_FILE, INT8_FILE, REPORT_FILE, NearTieRescorer, OnnxBackend
    from stance.inference.onnx_export import MAX_RESCORED_SHARE, export_onnx

    folder = tmp_path / "model"
    shutil.copytree(tiny_classifier_dir, folder)
    texts = TEXTS * 20
    report = export_onnx(folder, quantize=True, check_texts=texts, rescore_quantile=0.9)
    assert report["files"] == [FP32_FILE, INT8_FILE]
    assert report["label_agreement_model.onnx"] == 1.0
    assert report["rescore_margin"] > 0 and 0 <= report["rescored_share"] <= 1
    assert report["label_agreement_int8_rescored"] >= report["label_agreement_model.int8.onnx"]
    assert report["int8_used"] == (report["rescored_share"] <= MAX_RESCORED_SHARE)

    def set_int8_used(used: bool) -> None:
        saved = json.loads((folder / REPORT_FILE).read_text())
        (folder / REPORT_FILE).write_text(json.dumps({**saved, "int8_used": used}))

    set_int8_used(True)
    torch_clf = StanceClassifier.from_pretrained(folder)
    onnx_clf = StanceClassifier.from_pretrained(folder, backend="onnx")
    assert isinstance(onnx_clf.backend, NearTieRescorer)
    bare = StanceClassifier.from_pretrained(folder, backend="onnx", onnx_rescore=False)
    assert isinstance(bare.backend, OnnxBackend) and bare.backend.path.name == INT8_FILE
    set_int8_used(False)  # export found int8 too noisy to save time: the fp32 graph runs
    noisy = StanceClassifier.from_pretrained(folder, backend="onnx")
    assert isinstance(noisy.backend, OnnxBackend) and noisy.backend.path.name == FP32_FILE
    assert onnx_clf.labels == torch_clf.labels
    # fp32 ONNX reproduces torch's logits, batch by batch, through the parallel path
    fp32 = StanceClassifier(OnnxBackend(folder / FP32_FILE, workers=2), torch_clf.tokenizer, torch_clf.labels)
    np.testing.assert_allclose(fp32.logits(texts), torch_clf.logits(texts), atol=1e-4)


def test_export_refuses_a_rescore_quantile_outside_0_1(smoke_config):
    from stance.errors import StanceError
    from stance.export import export

    with pytest.raises(StanceError, match="export.rescore_quantile=1.5 is not a quantile"):
        export(smoke_config("export.rescore_quantile=1.5"))
