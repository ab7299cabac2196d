"""Training from Python without Hydra: plain option dataclasses in, a finished run folder and its summary out."""

from pathlib import Path

import numpy as np

from stance import StanceClassifier, train_model
from stance.data.dataset import DataOptions
from stance.evaluation.evaluator import EvalOptions
from stance.modeling.fine_tuning import TrainOptions
from stance.modeling.loading import ModelOptions

FIXTURES = Path(__file__).parent / "fixtures"


def test_train_model_takes_plain_options_and_scores_validation_once(tmp_path, tiny_model_dir, monkeypatch):
    validation_calls = []
    original = StanceClassifier.logits

    def counting(self, texts, previous=None):
        validation_calls.append(len(texts))
        return original(self, texts, previous)

    monkeypatch.setattr(StanceClassifier, "logits", counting)
    result = train_model(
        DataOptions(inputs=[str(FIXTURES / "labelled.jsonl")], output_dir=str(tmp_path / "prepared")),
        ModelOptions(name_or_path=str(tiny_model_dir)),
        TrainOptions(max_steps=4, batch_size=8, report_to=[], freeze_embeddings=False, freeze_layers=0, early_stopping_patience=0),
        EvalOptions(real_dev=None, running=None, plots=False, baselines=False, bootstrap_resamples=50, explain_errors=0),
        name="api",
        seed=3,
        run_root=tmp_path / "outputs",
    )
    assert result.run_dir.parent == tmp_path / "outputs" / "runs" and result.run_dir.name.endswith("_api_seed3")
    assert (result.model_dir / "model.safetensors").exists() and result.report.exists()
    assert result.metrics["primary"] == "test" and result.metrics["evaluations"]["test"]["n"] > 0
    assert (tmp_path / "outputs" / "latest").resolve() == result.run_dir.resolve()
    config = (result.run_dir / "config.yaml").read_text()
    assert "name: api" in config and "max_steps: 4" in config, "the options are saved as the run's config"
    validation_size = result.metrics["dataset"]["splits"]["validation"]["sentences"]
    test_size = result.metrics["dataset"]["splits"]["test"]["sentences"]
    # the validation split is scored once (calibration and the report's validation ECE share it), the test split once
    assert sorted(validation_calls) == sorted([validation_size, test_size])
    assert StanceClassifier.from_pretrained(result.model_dir).temperature == result.metrics["calibration"]["temperature"]


def test_a_run_trained_in_bf16_is_calibrated_and_scored_as_it_is_saved(tmp_path, tiny_model_dir, monkeypatch):
    # bf16 mixed precision wraps the model's forward in autocast during training; the figures of the run
    # (calibration, reports) must come from the fp32 model that is saved and served, not from that wrapper
    scored = []
    original = StanceClassifier.logits

    def recording(self, texts, previous=None):
        out = original(self, texts, previous)
        scored.append((list(texts), out))
        return out

    monkeypatch.setattr(StanceClassifier, "logits", recording)
    result = train_model(
        DataOptions(inputs=[str(FIXTURES / "labelled.jsonl")], output_dir=str(tmp_path / "prepared")),
        ModelOptions(name_or_path=str(tiny_model_dir)),
        TrainOptions(
            max_steps=4, batch_size=8, report_to=[], freeze_embeddings=False, freeze_layers=0, early_stopping_patience=0, mixed_precision="bf16"
        ),
        EvalOptions(real_dev=None, running=None, plots=False, baselines=False, bootstrap_resamples=50, explain_errors=0),
        name="bf16",
        run_root=tmp_path / "outputs",
    )
    monkeypatch.setattr(StanceClassifier, "logits", original)
    texts, in_the_run = scored[0]  # the validation split, which fitted the temperature
    served = StanceClassifier.from_pretrained(result.model_dir).logits(texts)
    np.testing.assert_allclose(in_the_run, served, rtol=0, atol=1e-6)
