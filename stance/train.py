"""`stance-train`: prepare (if needed), fine-tune, calibrate, evaluate; one finished run folder.

The command maps its config onto the library's options and calls `stance.runs.training.train_model`,
which does the work and is callable from Python without Hydra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from stance.cli import run_hydra_app
from stance.config import options


def train(cfg: DictConfig) -> dict[str, Any]:
    """Train per `cfg`; return the run summary and artifact paths (`run_dir`, `model_dir`, `report`), or `{"rank": n}` on other ranks."""
    import os

    from stance.runs.training import train_model

    result = train_model(
        options(cfg, "data"),
        options(cfg, "model"),
        options(cfg, "trainer"),
        options(cfg, "eval"),
        options(cfg, "distill"),
        name=cfg.name,
        seed=cfg.seed,
        run_root=cfg.run_root,
        run_dir=_multirun_dir(),
        debug_run=cfg.debug_run,
        config=OmegaConf.to_container(cfg, resolve=True),
    )
    if result is None:
        return {"rank": int(os.environ.get("RANK", "0"))}
    return {
        "run_dir": str(result.run_dir),
        "model_dir": str(result.model_dir),
        "report": str(result.report),
        "metrics": result.metrics,
        "validation_macro_f1": result.validation_macro_f1,
    }


def _multirun_dir() -> Path | None:
    """Under `-m`, each job's run goes into Hydra's job folder (so a sweep's runs stay together); None otherwise."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return Path(HydraConfig.get().runtime.output_dir) / "run"
    return None


def _hydra_main(cfg: DictConfig) -> float | None:
    """Hydra returns this value to sweepers: validation macro-F1 of the best epoch."""
    return train(cfg).get("validation_macro_f1")


main = run_hydra_app(_hydra_main)

if __name__ == "__main__":
    main()
