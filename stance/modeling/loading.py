"""Load tokenizers and sequence-classification models safely and offline-first through Auto* classes."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.modeling.sources import bundled_model_path

PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
DEFAULT_ENCODER = "sentence-transformers/all-mpnet-base-v2"


@dataclass
class ModelOptions:
    """Which pretrained encoder to fine-tune and how it reads a sentence: the `model` config group."""

    name_or_path: str = DEFAULT_ENCODER
    revision: str | None = None
    max_length: int = 128
    allow_pickle_weights: bool = False
    context: str = "none"
    context_tokens: int = 48

    def __post_init__(self) -> None:
        """Reject a bad context setting when the options are built, before any data is prepared."""
        from stance.errors import StanceError, check_setting
        from stance.modeling.encoding import CONTEXTS

        check_setting(self.max_length >= 16, "model.max_length", self.max_length, "16 tokens or more, e.g. 128")
        if self.context not in CONTEXTS:
            raise StanceError(f"unknown context '{self.context}'", where="model.context", fix=f"use {' or '.join(CONTEXTS)}")
        # the budget is read only with context: a short max_length alone is fine
        if self.context != "none" and not 0 < self.context_tokens <= self.max_length - 8:
            raise StanceError(
                f"model.context_tokens={self.context_tokens} leaves no room for the sentence in model.max_length={self.max_length}",
                where="model.context_tokens",
                fix=f"use a number from 1 to {self.max_length - 8}, e.g. {max(1, min(48, self.max_length - 8))}",
            )

    @property
    def context_budget(self) -> int:
        """Tokens of the previous sentence each input carries (0 without context)."""
        return 0 if self.context == "none" else self.context_tokens


SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")


def quiet_transformers() -> None:
    """Silence the per-load report tables and hub progress bars that transformers 5 prints."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def resolve_model_source(name_or_path: str, allow_pickle_weights: bool = False) -> str:
    """A local folder for `name_or_path`, or the hub id itself when it is not local.

    Bundled ids (the default MiniLM) resolve to the installed package's folder, so the default
    never touches the network.
    """
    local = Path(name_or_path).expanduser()
    if local.is_dir():
        check_weights(local, allow_pickle_weights)
        return str(local)
    bundled = bundled_model_path(name_or_path)
    if bundled is not None:
        return str(bundled)
    if local.exists() or name_or_path.startswith((".", "/", "~")) or os.sep + os.sep in name_or_path:
        raise StanceError(
            "model folder not found",
            where=f"model.name_or_path={name_or_path}",
            fix="point it at a folder with config.json and model.safetensors",
        )
    return name_or_path


def check_weights(folder: Path, allow_pickle_weights: bool) -> None:
    if not (folder / "config.json").exists():
        raise StanceError("model folder has no config.json", where=str(folder), fix="point at a folder written by save_pretrained")
    if any((folder / f).exists() for f in SAFE_WEIGHTS):
        return
    if any((folder / f).exists() for f in PICKLE_WEIGHTS):
        if allow_pickle_weights:
            return
        raise StanceError(
            "weights are a pickle file (pytorch_model.bin), which can run arbitrary code when loaded",
            where=str(folder),
            fix="convert them to safetensors, or, if you trust the source, set model.allow_pickle_weights=true",
        )
    raise StanceError("model folder has no weights (model.safetensors)", where=str(folder), fix="copy the weights file into it")


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def _load_error(source: str, err: Exception) -> StanceError:
    message = str(err).splitlines()[0] if str(err) else type(err).__name__
    message = re.sub(r"'?https?://\S+?'?(?=[\s,.;)]|$)", "the hub", message)
    if Path(source).is_dir():
        weights = next((Path(source) / f for f in SAFE_WEIGHTS if (Path(source) / f).exists()), Path(source))
        return StanceError(
            f"cannot load the model ({message[:200]})",
            where=str(weights),
            fix="the file is truncated or corrupted: copy it again or retrain",
        )
    return StanceError(
        f"'{source}' is not a local folder and cannot be loaded{' in offline mode' if _offline() else ''} ({message[:160]})",
        where="model.name_or_path",
        fix="download the model where the hub is reachable and set model.name_or_path=/path/to/folder",
    )


def load_tokenizer(source: str, revision: str | None = None):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(source, revision=revision, trust_remote_code=False)
    except Exception as err:  # hub and file errors come in many types
        raise _load_error(source, err) from None


def load_for_training(source: str, labels: tuple[str, ...], revision: str | None = None, allow_pickle_weights: bool = False) -> tuple[Any, Any]:
    """A fresh classification head over the pretrained encoder, with our label order."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    quiet_transformers()
    tokenizer = load_tokenizer(source, revision)
    try:
        config = AutoConfig.from_pretrained(
            source,
            revision=revision,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={name: i for i, name in enumerate(labels)},
            trust_remote_code=False,
        )
        model = AutoModelForSequenceClassification.from_pretrained(
            source,
            config=config,
            revision=revision,
            use_safetensors=None if allow_pickle_weights else True,
            trust_remote_code=False,
        )
    except Exception as err:
        raise _load_error(source, err) from None
    return model, tokenizer


def saved_labels(folder: Path) -> tuple[str, ...]:
    """The label order saved in a trained model folder (config.json id2label); never re-derived."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise StanceError(f"cannot read config.json ({err})", where=str(folder), fix="point model_dir at a trained model folder") from None
    id2label = config.get("id2label") or {}
    labels = tuple(id2label[k] for k in sorted(id2label, key=int))
    if not labels or all(re.fullmatch(r"LABEL_\d+", name) for name in labels):
        raise StanceError(
            "model has no label names (id2label is missing or only LABEL_0, LABEL_1, ...)",
            where=str(folder / "config.json"),
            fix="train it with stance-train, or add an id2label mapping to config.json",
        )
    return labels


def load_trained(folder: str | Path, allow_pickle_weights: bool = False) -> tuple[Any, Any, tuple[str, ...]]:
    """Load a fine-tuned classifier folder for inference."""
    from transformers import AutoModelForSequenceClassification

    quiet_transformers()
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise StanceError(
            "model folder not found",
            where=str(folder),
            fix="train a model first (stance-train) or set model_dir= (smoke runs are under outputs/debug/latest/model)",
        )
    check_weights(folder, allow_pickle_weights)
    labels = saved_labels(folder)
    tokenizer = load_tokenizer(str(folder))
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            str(folder), use_safetensors=None if allow_pickle_weights else True, trust_remote_code=False
        )
    except Exception as err:
        raise _load_error(str(folder), err) from None
    model.eval()
    return model, tokenizer, labels
