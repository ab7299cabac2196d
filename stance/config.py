"""The config schema: the library's own option dataclasses, one per config group, registered with Hydra.

There is one definition of every setting: the group's dataclass in the library module it configures
(`data` -> `stance.data.dataset.DataOptions`, `trainer` -> `stance.modeling.fine_tuning.TrainOptions`,
...). Registering them with Hydra's ConfigStore makes a misspelled key fail at composition, before
any work starts, and `options(cfg, group)` turns a composed group back into that dataclass, with
nothing dropped on the way. The YAML files under `configs/` state the same defaults with a comment per
key; a test holds the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from stance.analysis.trend_inputs import TrendOptions
from stance.annotation.tasks import AnnotateOptions
from stance.data.dataset import DataOptions
from stance.evaluation.evaluator import EvalOptions
from stance.inference.onnx_export import ExportOptions
from stance.inference.scoring import PredictOptions
from stance.modeling.distillation import DistillOptions
from stance.modeling.fine_tuning import TrainOptions
from stance.modeling.loading import ModelOptions
from stance.runs.aggregation import AggregateOptions

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
PRIMARY_CONFIG = "stance"
GROUPS = {
    "data": DataOptions,
    "model": ModelOptions,
    "trainer": TrainOptions,
    "eval": EvalOptions,
    "predict": PredictOptions,
    "export": ExportOptions,
    "distill": DistillOptions,
    "trend": TrendOptions,
    "annotate": AnnotateOptions,
    "aggregate": AggregateOptions,
}


@dataclass
class StanceConfig:
    name: str = "default"
    seed: int = 42
    output_root: str = "outputs"
    run_root: str = "${output_root}"
    debug_run: str | None = None
    model_dir: str = "${run_root}/latest/model"
    verbose: bool = False
    data: DataOptions = field(default_factory=DataOptions)
    model: ModelOptions = field(default_factory=ModelOptions)
    trainer: TrainOptions = field(default_factory=TrainOptions)
    eval: EvalOptions = field(default_factory=EvalOptions)
    predict: PredictOptions = field(default_factory=PredictOptions)
    export: ExportOptions = field(default_factory=ExportOptions)
    distill: DistillOptions = field(default_factory=DistillOptions)
    trend: TrendOptions = field(default_factory=TrendOptions)
    annotate: AnnotateOptions = field(default_factory=AnnotateOptions)
    aggregate: AggregateOptions = field(default_factory=AggregateOptions)


def options(cfg: DictConfig, group: str) -> Any:
    """The composed `group` as its library dataclass (every key, interpolations resolved)."""
    return OmegaConf.to_object(cfg[group])


def _resource(name: str) -> str:
    from stance.data.bundled import resource_path

    return str(resource_path(name))


def register_configs() -> None:
    """Register the schema and the `stance_resource` resolver (idempotent)."""
    if not OmegaConf.has_resolver("stance_resource"):
        OmegaConf.register_new_resolver("stance_resource", _resource)
    ConfigStore.instance().store(name="stance_schema", node=StanceConfig)


register_configs()
