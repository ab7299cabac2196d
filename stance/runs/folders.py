"""Run directories: naming, provenance (versions, git commit, data fingerprint) and `latest`."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from stance.runs.atomic import point_symlink

TRACKED_PACKAGES = ("stance", "torch", "transformers", "datasets", "scikit-learn", "hydra-core", "numpy", "tokenizers", "safetensors")


TIMESTAMP = "%Y-%m-%d_%H-%M-%S"  # the one format of every timestamped output folder


def timestamped(parent: str | Path, suffix: str = "") -> Path:
    """`<parent>/<timestamp>[_<suffix>]`: where a command's output goes when the user names no folder."""
    stamp = time.strftime(TIMESTAMP)
    return Path(parent) / (f"{stamp}_{suffix}" if suffix else stamp)


def run_folder(parent: str | Path, name: str, seed: int) -> Path:
    """`<parent>/<timestamp>_<name>_seed<seed>`: one training run."""
    return timestamped(parent, f"{name}_seed{seed}")


def config_key(config: dict[str, Any], ignore: tuple[str, ...] = ("trainer.resume", "verbose")) -> str:
    """Short hash of a resolved config, used to find the checkpoints of 'the same run' again."""
    flat = json.loads(json.dumps(config, sort_keys=True, default=str))
    for dotted in ignore:
        node = flat
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.get(p, {})
        node.pop(leaf, None)
    return hashlib.sha256(json.dumps(flat, sort_keys=True).encode()).hexdigest()[:12]


def provenance(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    versions = {}
    for package in TRACKED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": git_commit(),
        "command": " ".join(sys.argv),
        **(extra or {}),
    }


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def mark_latest(output_root: Path, run_dir: Path) -> None:
    """Point `<output_root>/latest` at a finished run (atomic symlink swap)."""
    point_symlink(output_root / "latest", run_dir)
