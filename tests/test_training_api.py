"""Training from Python without Hydra: plain option dataclasses in, a finished run folder and its summary out."""

from pathlib import Path

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
