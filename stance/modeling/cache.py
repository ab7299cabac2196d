"""Folders the package builds once and keeps in `$STANCE_CACHE`: built by one process, checked before use.

A folder counts as cached only when its completion record (written last, listing every file and
its size) matches what is on disk. Anything else found under the name (a half-copied folder, a
file deleted by hand, the leftovers of a killed build) is removed and rebuilt, never trusted.
Builders of the same folder take turns through a file lock, so ranks that start together build
it once and the others wait for it.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from stance.runs.atomic import apply_umask

COMPLETE_FILE = ".stance-complete.json"


def cache_root() -> Path:
    return Path(os.environ.get("STANCE_CACHE", Path.home() / ".cache" / "stance")).expanduser()


def is_complete(folder: Path) -> bool:
    """True when `folder` holds exactly what its completion record lists."""
    try:
        record = json.loads((folder / COMPLETE_FILE).read_text(encoding="utf-8"))
        files = record["files"]
        return bool(files) and all((folder / name).stat().st_size == size for name, size in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def cached_folder(name: str, build: Callable[[Path], None], extra: dict | None = None) -> Path:
    """`$STANCE_CACHE/<name>`, built by `build(empty_folder)` unless a complete copy is there."""
    folder = cache_root() / name
    if is_complete(folder):
        return folder
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / f".{name}.lock")):
        if is_complete(folder):  # another process finished it while this one waited
            return folder
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        tmp = folder.parent / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            build(tmp)
            files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
            (tmp / COMPLETE_FILE).write_text(json.dumps({"files": files, **(extra or {})}, indent=2) + "\n", encoding="utf-8")
            apply_umask(tmp)
            os.rename(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return folder
