"""Data-parallel training on two CPU processes (torchrun, gloo) with the tiny model."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


def test_torchrun_two_cpu_processes_share_the_work(tmp_path, tiny_model_dir):
    args = [
        f"model.name_or_path={tiny_model_dir}",
        f"output_root={tmp_path / 'outputs'}",
        f"data.output_dir={tmp_path / 'prepared'}",
        f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]",
        "trainer.epochs=1",
        "trainer.batch_size=4",
        "trainer.early_stopping_patience=0",
        "trainer.freeze_embeddings=false",
        "trainer.freeze_layers=0",
        "trainer.device=cpu",  # two ranks on one machine: on a GPU machine both would otherwise take the same GPU
        "eval.real_dev=null",
        "eval.bootstrap_resamples=50",
        "eval.plots=false",
    ]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone", "-m", "stance.train", *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    runs = list((tmp_path / "outputs" / "runs").iterdir())
    assert len(runs) == 1, "only rank 0 writes a run folder"
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    train = metrics["train"]
    assert train["world_size"] == 2
    assert train["global_batch_size"] == 2 * 4
    # both ranks consumed data: one epoch takes half the steps a single process would need
    assert train["steps"] == math.ceil(train["sentences"] / (2 * 4))
    assert (runs[0] / "model" / "model.safetensors").exists()
    assert (tmp_path / "outputs" / "latest").resolve() == runs[0].resolve()
