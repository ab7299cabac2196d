"""`stance-aggregate`: mean ± std of every headline metric over the runs of a multirun folder.

    stance-train -m seed=1,2,3
    stance-aggregate outputs/multirun/<timestamp>            # aggregate.md and aggregate.json there
    stance-aggregate --trials outputs/multirun/<timestamp>   # an Optuna sweep's trials, best first

A Hydra app like the other commands (`stance-aggregate aggregate.folder=... aggregate.trials=true`);
the folder may also be given as the first word and `--trials` as a flag.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from stance.cli import run_hydra_app
from stance.config import options
from stance.errors import StanceError


def aggregate(cfg: DictConfig) -> str:
    """Summarise `aggregate.folder`; return the markdown table it wrote."""
    from stance.runs.aggregation import write_aggregate

    opts = options(cfg, "aggregate")
    if not opts.folder:
        raise StanceError("no folder given", where="aggregate.folder", fix="stance-aggregate outputs/multirun/<timestamp>")
    markdown = write_aggregate(Path(opts.folder), opts.trials)
    print(markdown)
    return markdown


_app = run_hydra_app(aggregate)


def main(argv: list[str] | None = None) -> Any:
    """`stance-aggregate [--trials] <folder> [overrides]`: the folder and flag become aggregate.folder= and aggregate.trials=true."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--trials" in args:
        args.remove("--trials")
        args.append("aggregate.trials=true")
    if args and "=" not in args[0] and not args[0].startswith("-"):
        args[0] = f"aggregate.folder={args[0]}"
    sys.argv = [sys.argv[0], *args]
    return _app()


if __name__ == "__main__":
    main()
