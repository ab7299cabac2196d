"""A working setup is never lost: the cached tiny model, smoke runs beside real ones, readable files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from stance.modeling.cache import COMPLETE_FILE, is_complete
from stance.predict import predict
from stance.train import train

ROOT = Path(__file__).resolve().parents[1]
BUILD_AND_LOAD = (
    "from transformers import AutoModel, AutoTokenizer\n"
    "import stance.modeling.sources as sources\n"
    "build = sources._build_tiny_random_bert\n"
    "sources._build_tiny_random_bert = lambda folder: (print('BUILT'), build(folder))\n"  # says when this process is the builder
    "folder = sources.tiny_random_bert()\n"
    "AutoModel.from_pretrained(str(folder)); AutoTokenizer.from_pretrained(str(folder))\n"
    "print('ok')\n"
)


def _start_builders(cache: Path, n: int = 2) -> list[subprocess.Popen]:
    env = {**os.environ, "STANCE_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    return [
        subprocess.Popen([sys.executable, "-c", BUILD_AND_LOAD], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(n)
    ]


def test_two_processes_started_together_build_the_tiny_model_once_and_completely(tmp_path):
    for round_ in range(5):
        cache = tmp_path / f"cache{round_}"
        procs = _start_builders(cache)
        outputs = [p.communicate(timeout=240)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert sum(o.count("BUILT") for o in outputs) == 1, f"exactly one process builds: {outputs}"
        folder = cache / "tiny-random-bert"
        assert is_complete(folder)
        for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
            assert (folder / name).exists(), name
        assert sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) == ["tiny-random-bert"], "no temporary folder left"


@pytest.mark.parametrize("damage", ["tokenizer_only", "truncated_weights", "no_completion_record"])
def test_a_partial_or_broken_cache_folder_is_rebuilt_not_trusted(tmp_path, monkeypatch, tiny_model_dir, damage):
    import shutil

    from transformers import AutoModel

    from stance.modeling.sources import tiny_random_bert

    monkeypatch.setenv("STANCE_CACHE", str(tmp_path))
    folder = tmp_path / "tiny-random-bert"
    if damage == "tokenizer_only":  # what the racing ranks left behind
        folder.mkdir()
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(tiny_model_dir / name, folder / name)
    else:
        shutil.copytree(tiny_model_dir, folder)
        if damage == "truncated_weights":
            weights = folder / "model.safetensors"
            weights.write_bytes(weights.read_bytes()[:1000])
        else:
            (folder / COMPLETE_FILE).unlink()
    assert not is_complete(folder)
    assert tiny_random_bert() == folder
    assert is_complete(folder)
    AutoModel.from_pretrained(str(folder))


def _real_config(tmp_path: Path, tiny_model_dir: Path, *extra: str):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    fixtures = Path(__file__).parent / "fixtures"
    overrides = [
        f"output_root={tmp_path / 'outputs'}",
        f"data.output_dir={tmp_path / 'prepared'}",
        f"data.inputs=[{fixtures / 'labelled.jsonl'}]",
        *extra,
    ]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=PRIMARY_CONFIG, overrides=overrides)


def test_a_smoke_run_after_a_real_run_leaves_latest_on_the_real_run(tmp_path, tiny_model_dir, capsys):
    # a "real" run (default name, no debug config): a local model folder and few steps keep it fast
    real = train(
        _real_config(
            tmp_path,
            tiny_model_dir,
            f"model.name_or_path={tiny_model_dir}",
            "trainer.max_steps=2",
            "trainer.report_to=[]",
            "eval.plots=false",
            "trainer.freeze_embeddings=false",
            "trainer.freeze_layers=0",
            "eval.real_dev=null",
        )
    )
    smoke = train(_real_config(tmp_path, tiny_model_dir, "debug=smoke"))
    outputs = tmp_path / "outputs"
    assert (outputs / "latest").resolve() == Path(real["run_dir"]).resolve()
    assert (outputs / "debug" / "latest").resolve() == Path(smoke["run_dir"]).resolve()
    assert Path(smoke["run_dir"]).parent == outputs / "debug" / "runs"
    assert "_smoke_seed" in Path(smoke["run_dir"]).name and "_default_seed" in Path(real["run_dir"]).name
    assert json.loads((Path(smoke["model_dir"]) / "stance.json").read_text())["debug_run"] == "smoke"

    sentences = tmp_path / "in.txt"
    sentences.write_text("We are ready to talk.\n", encoding="utf-8")
    capsys.readouterr()
    predict(_real_config(tmp_path, tiny_model_dir, f"predict.input={sentences}"))
    err = capsys.readouterr().err
    assert f"stance: model {Path(real['model_dir']).resolve()} (run {Path(real['run_dir']).name})" in err
    assert "warning" not in err
    predict(_real_config(tmp_path, tiny_model_dir, "debug=smoke", f"predict.input={sentences}"))
    err = capsys.readouterr().err
    assert f"(run {Path(smoke['run_dir']).name})" in err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "debug configuration 'smoke'" in warnings[0]


def test_every_file_a_run_writes_follows_the_umask(tmp_path, smoke_config, monkeypatch):
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))  # the cache is written by this run too
    old = os.umask(0o022)
    try:
        result = train(smoke_config())
    finally:
        os.umask(old)
    checked = 0
    for root in (Path(result["run_dir"]), tmp_path / "prepared", tmp_path / "cache" / "tiny-random-bert"):
        for path in [root, *root.rglob("*")]:
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o755 if path.is_dir() else 0o644), f"{path} has mode {oct(mode)}"
            checked += 1
    assert checked > 10
    assert stat.S_IMODE((Path(result["model_dir"]) / "model.safetensors").stat().st_mode) == 0o644
