"""Data files that ship inside the package: the bundled corpus and raw articles."""

from __future__ import annotations

import json
from pathlib import Path

from stance.errors import StanceError

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def resource_path(name: str) -> Path:
    """Path of a bundled resource (`corpus`, `raw_articles`)."""
    path = PACKAGE_DIR / "resources" / name
    if not path.exists():
        raise StanceError(f"bundled resource '{name}' is missing", where=str(path), fix="reinstall the stance package")
    return path


def bundled_corpus_texts() -> list[str]:
    """The sentences of the bundled corpus, file by file in name order."""
    texts: list[str] = []
    for path in sorted(resource_path("corpus").glob("*.jsonl")):
        texts.extend(json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return texts


def corpus_sample(n: int) -> list[str]:
    """`n` sentences spread evenly over the bundled corpus (the sentences ONNX export checks labels on)."""
    texts = bundled_corpus_texts()
    return texts[:: max(1, len(texts) // n)][:n]
