"""Optional MLflow tracking around a training run (TensorBoard needs no set-up: the Trainer writes it)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stance.errors import StanceError


@contextlib.contextmanager
def mlflow_run(enabled: bool, run_root: Path, run_name: str, params: dict[str, Any]) -> Iterator[Any]:
    """Open an MLflow run that the Trainer's MLflowCallback logs into; yields the mlflow module or None.

    Without MLFLOW_TRACKING_URI the store is a local folder, `<run_root>/mlruns` (outputs/mlruns,
    or outputs/debug/mlruns for debug runs), so nothing leaves the machine unless the user points it elsewhere.
    """
    if not enabled or int(os.environ.get("RANK", "0")) != 0:
        yield None
        return
    try:
        import mlflow
    except ImportError:
        raise StanceError(
            "mlflow is not installed", where="trainer.report_to", fix="pip install 'stance[tracking]' or drop mlflow from trainer.report_to"
        ) from None
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        # MLflow 3 keeps the plain-folder store only on request; it is the one that needs no server or database
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        mlflow.set_tracking_uri((run_root.resolve() / "mlruns").as_uri())
    mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME", "stance"))
    with mlflow.start_run(run_name=run_name):
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        yield mlflow


def log_run_folder(tracker: Any, run_dir: Path) -> None:
    """Log the run's resolved config, metrics and evaluation report as MLflow artifacts."""
    if tracker is None:
        return
    for name in ("config.yaml", "metrics.json", "provenance.json"):
        if (run_dir / name).exists():
            tracker.log_artifact(str(run_dir / name))
    for folder in run_dir.glob("eval-*"):
        tracker.log_artifacts(str(folder), artifact_path=folder.name)
    from stance.runs.summary import load_summary

    summary = load_summary(run_dir)
    for name, figures in summary["evaluations"].items():
        tracker.log_metrics({f"{name}_{k}": float(v) for k, v in figures.items() if isinstance(v, (int, float))})
