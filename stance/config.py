"""Structured-config schemas for the Hydra command-line layer.

Only the CLI modules (`stance.prepare`, `stance.train`, ...) use these; the library functions take
plain typed arguments. Registering the dataclasses with Hydra's ConfigStore makes a misspelled key
fail at composition time, before any work starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
PRIMARY_CONFIG = "stance"


@dataclass
class ColumnsConfig:
    text: str = "text"
    label: str = "label"
    doc_id: str = "doc_id"
    tags: str = "tags"


@dataclass
class SplitConfig:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1


@dataclass
class DataConfig:
    name: str = "diplomatic"
    inputs: list[str] = field(default_factory=list)
    output_dir: str | None = None
    columns: ColumnsConfig = field(default_factory=ColumnsConfig)
    metadata: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=lambda: ["conciliatory", "hardline"])
    drop_labels: list[str] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    splits: SplitConfig = field(default_factory=SplitConfig)
    seed: int = 13
    on_conflict: str = "drop"
    min_chars: int = 2
    max_chars: int = 2000
    boilerplate_patterns: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)


@dataclass
class ModelConfig:
    name_or_path: str = "sentence-transformers/all-mpnet-base-v2"
    revision: str | None = None
    max_length: int = 128
    allow_pickle_weights: bool = False


@dataclass
class TrainerConfig:
    epochs: float = 2.0
    max_steps: int = -1
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 4e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    gradient_accumulation_steps: int = 1
    group_by_length: bool = True
    class_weights: str = "none"
    explicit_class_weights: dict[str, float] = field(default_factory=dict)
    early_stopping_patience: int = 2
    mixed_precision: str = "auto"
    resume: bool = False
    keep_checkpoints: bool = False
    logging_steps: int = 25
    report_to: list[str] = field(default_factory=lambda: ["tensorboard"])
    num_threads: int | None = None
    freeze_embeddings: bool = True
    freeze_layers: int = 6


@dataclass
class EvalConfig:
    split: str = "test"
    bootstrap_resamples: int = 1000
    confidence_level: float = 0.95
    calibration_bins: int = 15
    target_accuracy: float = 0.9
    baselines: bool = True
    plots: bool = True
    batch_size: int = 64
    output_dir: str | None = None
    raw_articles: str | None = None
    real_dev: str | None = None
    explain_errors: int = 10


@dataclass
class PredictConfig:
    input: str | None = None
    output: str | None = None
    format: str = "jsonl"
    text_column: str = "text"
    min_confidence: float | None = None
    backend: str = "torch"
    onnx_rescore: bool = True
    batch_size: int = 64
    explain: bool = False


@dataclass
class ExportConfig:
    quantize: bool = True
    opset: int = 17
    check_sentences: int = 400
    rescore_quantile: float = 0.95


@dataclass
class DistillConfig:
    teacher: str | None = None
    alpha: float = 0.5
    temperature: float = 2.0
    unlabelled: list[str] = field(default_factory=list)
    max_unlabelled: int | None = 4000
    augment_copies: int = 0
    feature_weight: float = 0.0
    cache: bool = True
    batch_size: int = 64


@dataclass
class TrendColumnsConfig:
    text: str = "text"
    date: str = "date"
    actor: str = "speaker"
    counterpart: str = "counterpart"
    doc_id: str = "doc_id"


@dataclass
class TrendConfig:
    inputs: list[str] = field(default_factory=list)
    manifest: str | None = None
    columns: TrendColumnsConfig = field(default_factory=TrendColumnsConfig)
    period: str = "quarter"
    actors: list[str] = field(default_factory=list)
    bootstrap_resamples: int = 1000
    confidence_level: float = 0.95
    top_k: int = 3
    explain: bool = True
    output_dir: str | None = None


@dataclass
class AnnotateConfig:
    action: str = "select"
    inputs: list[str] = field(default_factory=list)
    n: int = 50
    strategy: str = "margin"
    pool_factor: int = 5
    labelled: str = "data/annotations/labelled.jsonl"
    tasks: str | None = None
    output_dir: str | None = None


@dataclass
class StanceConfig:
    name: str = "default"
    seed: int = 42
    output_root: str = "outputs"
    run_root: str = "${output_root}"
    debug_run: str | None = None
    model_dir: str = "${run_root}/latest/model"
    verbose: bool = False
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    predict: PredictConfig = field(default_factory=PredictConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    trend: TrendConfig = field(default_factory=TrendConfig)
    annotate: AnnotateConfig = field(default_factory=AnnotateConfig)


def _resource(name: str) -> str:
    from stance.data.bundled import resource_path

    return str(resource_path(name))


def register_configs() -> None:
    """Register the schema and the `stance_resource` resolver (idempotent)."""
    if not OmegaConf.has_resolver("stance_resource"):
        OmegaConf.register_new_resolver("stance_resource", _resource)
    cs = ConfigStore.instance()
    cs.store(name="stance_schema", node=StanceConfig)


def to_plain(node: Any) -> Any:
    """Resolve a DictConfig node into plain Python containers for the library layer."""
    return OmegaConf.to_container(node, resolve=True)


register_configs()
