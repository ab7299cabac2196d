"""Shared plumbing for the Hydra entry points: one-line errors and warnings, override checks, which model was used."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from stance.config import CONFIG_DIR, PRIMARY_CONFIG
from stance.errors import StanceError

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
    warnings.showwarning = _one_line_warning


def _one_line_warning(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    """Our warnings (a cut sentence, ...) as one `stance: warning:` line; other libraries' warnings as they come."""
    if category.__module__.startswith("stance"):
        print(f"stance: warning: {message}", file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line), file=sys.stderr, end="")


def fail(message: str, code: int = 2) -> None:
    print(f"stance: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def dict_setting_overrides(argv: list[str]) -> list[str]:
    """`group.key={a:1}` for a dict setting (data.synonyms, trainer.explicit_class_weights) as Hydra can apply it.

    Hydra merges a dict override into the existing dict, which struct mode refuses for new keys
    ("Could not override"); `++` sets it. Only exact names of dict settings are rewritten, so a
    misspelled key still fails at composition.
    """
    import dataclasses
    import typing

    from stance.config import GROUPS

    names = set()
    for group, kind in GROUPS.items():
        hints = typing.get_type_hints(kind)
        names |= {f"{group}.{f.name}" for f in dataclasses.fields(kind) if typing.get_origin(hints[f.name]) is dict}
    return [f"++{a}" if a.split("=", 1)[0] in names and "=" in a else a for a in argv]


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
        sys.argv[1:] = dict_setting_overrides(sys.argv[1:])
        check_overrides(sys.argv[1:])
        return app()

    return main


def announce_model(model_dir: str | Path) -> Path:
    """Say on stderr which model folder a command scored with, and warn when a debug config trained it (after success, so errors stay one line)."""
    from stance.modeling.settings import read_settings

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
