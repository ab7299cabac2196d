"""The JSON files stance keeps beside a model's weights (`stance.json`: temperature, max length, label set)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stance.errors import StanceError

SETTINGS_FILE = "stance.json"


def read_settings(folder: Path) -> dict[str, Any]:
    return read_optional_json(folder / SETTINGS_FILE, fix="delete it or restore it from the run")


def saved_context_budget(settings: dict[str, Any]) -> int:
    """Tokens of the previous sentence a saved model reads before each sentence (0: it reads sentences alone)."""
    return int(settings.get("context_tokens") or 0) if settings.get("context") == "previous" else 0


def read_optional_json(path: Path, fix: str) -> dict[str, Any]:
    """A JSON file written next to a model, or {} when it is absent."""
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise StanceError(f"cannot parse {path.name} ({err})", where=str(path), fix=fix) from None


def write_settings(folder: Path, settings: dict[str, Any]) -> None:
    (folder / SETTINGS_FILE).write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
