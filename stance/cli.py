"""Shared plumbing for the Hydra entry points: one-line errors, override checks, option builders."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import DictConfig, OmegaConf

from stance.config import CONFIG_DIR, PRIMARY_CONFIG
from stance.errors import StanceError

T = TypeVar("T")

HYDRA_FLAGS = (
    "-m",
    "--multirun",
    "--help",
    "-h",
    "--hydra-help",
    "--cfg",
    "-c",
    "--info",
    "--resolve",
    "--package",
    "-p",
    "--shell-completion",
    "--config-path",
    "-cp",
    "--config-name",
    "-cn",
    "--config-dir",
    "-cd",
    "--experimental-rerun",
)


def setup_environment() -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")


def fail(message: str, code: int = 2) -> None:
    print(f"stance: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def check_overrides(argv: list[str]) -> None:
    """Compose once with the command-line overrides so a typo is one line, not Hydra's page."""
    if any(a.split("=")[0] in HYDRA_FLAGS for a in argv):
        return
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    overrides = [a for a in argv if not a.startswith("hydra.") and not a.startswith("hydra/")]
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            compose(config_name=PRIMARY_CONFIG, overrides=overrides)
    except (HydraException, OmegaConfBaseException) as err:
        cause = err.__cause__ or err
        detail = next((ln.strip() for ln in str(cause).splitlines() if ln.strip()), type(err).__name__)
        fail(f"bad override in '{' '.join(overrides)}': {detail} -> fix: check the spelling; `--cfg job` prints every key")


def guarded(func: Callable[[DictConfig], Any]) -> Callable[[DictConfig], Any]:
    """Run a stage; user errors become one line and a non-zero exit (a traceback only if verbose)."""

    def wrapper(cfg: DictConfig) -> Any:
        from omegaconf.errors import OmegaConfBaseException

        from stance.modeling.fine_tuning import TrainingInterrupted

        try:
            return func(cfg)
        except StanceError as err:
            if cfg.get("verbose"):
                raise
            fail(str(err))
        except OmegaConfBaseException as err:
            # a resolver (e.g. a missing bundled resource) raised our error while the config resolved
            cause = _stance_error_in(err)
            if cause is None or cfg.get("verbose"):
                raise
            fail(str(cause))
        except TrainingInterrupted as err:
            fail(
                f"{err}; resume with the same command plus trainer.resume=true",
                code=130,
            )
        except KeyboardInterrupt:
            fail("interrupted; nothing was written", code=130)

    wrapper.__name__ = func.__name__
    return wrapper


def _stance_error_in(err: BaseException) -> StanceError | None:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, StanceError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def run_hydra_app(task: Callable[[DictConfig], Any]) -> Callable[[], Any]:
    """Build a console-script `main` that checks overrides, then runs `task` as a Hydra app."""
    import hydra

    setup_environment()

    @hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name=PRIMARY_CONFIG)
    def app(cfg: DictConfig) -> Any:
        return guarded(task)(cfg)

    def main() -> Any:
        check_overrides(sys.argv[1:])
        return app()

    return main


def announce_model(model_dir: str | Path) -> Path:
    """Say on stderr which model folder a command scored with, and warn when a debug config trained it (after success, so errors stay one line)."""
    from stance.inference.settings import read_settings

    folder = Path(model_dir).expanduser()
    resolved = folder.resolve()
    run = resolved.parent.name if (resolved.parent / "metrics.json").exists() else None
    print(f"stance: model {resolved}" + (f" (run {run})" if run else ""), file=sys.stderr)
    debug_run = read_settings(resolved).get("debug_run") if resolved.is_dir() else None
    if debug_run:
        print(
            f"stance: warning: this model was trained by the debug configuration '{debug_run}' (a few steps of a tiny random model); "
            "its scores mean nothing -> train a real model with stance-train, or set model_dir=",
            file=sys.stderr,
        )
    return folder


def data_output_dir(data: Any) -> Path:
    return Path(data.output_dir) if data.output_dir else Path("data/processed") / data.name


def label_scheme(data: Any):
    from stance.data.labels import LabelScheme

    try:
        return LabelScheme(tuple(data.labels), tuple(data.drop_labels), dict(data.synonyms))
    except ValueError as err:
        raise StanceError(str(err), where="data.labels", fix="list two or more distinct labels") from None


def prepare_options(data: Any):
    from stance.data.dataset import PrepareOptions
    from stance.data.readers import Columns

    return PrepareOptions(
        inputs=list(data.inputs),
        output_dir=data_output_dir(data),
        scheme=label_scheme(data),
        columns=Columns(**dict(data.columns)),
        metadata=list(data.metadata),
        ratios=dict(data.splits),
        seed=data.seed,
        on_conflict=data.on_conflict,
        min_chars=data.min_chars,
        max_chars=data.max_chars,
        boilerplate_patterns=list(data.boilerplate_patterns),
        exclude=list(data.exclude),
        name=data.name,
    )


def external_rows(data: Any, inputs: list[str], labels: tuple[str, ...]):
    """Every labelled row of `inputs`, read, cleaned and de-duplicated like stance-prepare, in a model's label set."""
    import tempfile

    from stance.data.dataset import load_prepared, prepare_dataset
    from stance.data.labels import LabelScheme
    from stance.evaluation.evaluator import LabelledRows

    popts = prepare_options(data)
    popts.inputs = [str(i) for i in inputs]
    drop = tuple(n for n in data.drop_labels if n not in labels) + tuple(n for n in data.labels if n not in labels)
    popts.scheme = LabelScheme(tuple(labels), drop, dict(data.synonyms))
    popts.ratios = {"train": 0.0, "validation": 0.0, "test": 1.0}
    with tempfile.TemporaryDirectory() as tmp:
        popts.output_dir = Path(tmp) / "external"
        prepare_dataset(popts)
        return LabelledRows.from_dataset(load_prepared(popts.output_dir)["test"])


def options_from(kind: type[T], section: dict[str, Any], **extra: Any) -> T:
    """Build a library options dataclass from the matching plain config section (same field names)."""
    names = {f.name for f in dataclasses.fields(kind)}
    return kind(**{k: v for k, v in section.items() if k in names}, **extra)


def eval_options(cfg: DictConfig):
    from stance.evaluation.evaluator import EvalOptions

    return options_from(EvalOptions, OmegaConf.to_container(cfg.eval, resolve=True), seed=cfg.seed)
