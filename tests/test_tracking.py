"""Experiment tracking: MLflow (local file store) when switched on."""

from pathlib import Path

import pytest

from stance.train import train

FIXTURES = Path(__file__).parent / "fixtures"


def test_mlflow_logs_params_metrics_and_report(tmp_path, tiny_model_dir, monkeypatch, smoke_config):
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = smoke_config(f"model.name_or_path={tiny_model_dir}", "trainer.report_to=[tensorboard,mlflow]")
    result = train(cfg)
    mlflow.set_tracking_uri((Path(cfg.run_root) / "mlruns").resolve().as_uri())
    runs = mlflow.search_runs(experiment_names=["stance"], output_format="list")
    assert len(runs) == 1
    run = runs[0]
    assert run.data.params["trainer.learning_rate"] == str(cfg.trainer.learning_rate)
    assert "test_macro_f1" in run.data.metrics and "eval_macro_f1" in run.data.metrics
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"config.yaml", "metrics.json", "eval-test"} <= artifacts
    assert Path(result["run_dir"]).name == run.info.run_name
