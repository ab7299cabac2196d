"""Hydra multirun: seeds aggregated into mean ± std, and an Optuna sweep turned into a trials table."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stance.aggregate import main as aggregate_main

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


def base(tmp_path, tiny_model_dir):
    return [
        f"model.name_or_path={tiny_model_dir}",
        f"output_root={tmp_path / 'outputs'}",
        f"data.output_dir={tmp_path / 'prepared'}",
        f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]",
        "debug=smoke",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
    ]


def run_multirun(args):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "stance.train", "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_seed_multirun_and_aggregate(tmp_path, tiny_model_dir, capsys):
    run_multirun([*base(tmp_path, tiny_model_dir), "seed=1,2", f"eval.real_dev={ROOT / 'data' / 'realtext' / 'dev.jsonl'}"])
    sweep = tmp_path / "sweep"
    assert (sweep / "0" / "run" / "metrics.json").exists() and (sweep / "1" / "run" / "metrics.json").exists()
    aggregate_main([str(sweep)])  # the folder as the first word, as the README shows it
    table = json.loads((sweep / "aggregate.json").read_text())["metrics"]
    assert table["macro_f1"]["n"] == 2
    values = table["macro_f1"]["values"]
    assert table["macro_f1"]["mean"] == pytest.approx(sum(values) / 2)
    assert "tfidf_lr_macro_f1" in table
    # the other sets the runs were scored on are aggregated too: a recipe is chosen on more than its test split
    dev = [json.loads((sweep / i / "run" / "metrics.json").read_text())["evaluations"]["real_dev"] for i in ("0", "1")]
    assert table["real_dev.macro_f1"]["values"] == [d["macro_f1"] for d in dev]
    assert "n" not in table and "real_dev.n" not in table and "ci_level" not in table, "sizes are not figures"
    # and each hard-case tag of a set, so seeds are compared tag by tag (issue 20's "each hard tag" target)
    assert table["real_dev.tags.lexical_trap.macro_f1"]["values"] == [d["tags"]["lexical_trap"]["macro_f1"] for d in dev]
    assert "real_dev.tags.lexical_trap.n" not in table
    markdown = (sweep / "aggregate.md").read_text()
    assert "| macro_f1 |" in markdown and "| real_dev.macro_f1 |" in markdown


def test_optuna_sweep_and_trials_table(tmp_path, tiny_model_dir):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    run_multirun([*base(tmp_path, tiny_model_dir), "hparams_search=optuna", "hydra.sweeper.n_trials=3", "trainer.max_steps=3"])
    sweep = tmp_path / "sweep"
    assert (sweep / "optimization_results.yaml").exists()
    aggregate_main(["--trials", str(sweep)])
    rows = json.loads((sweep / "trials.json").read_text())
    assert len(rows) == 3
    scores = [r["validation_macro_f1"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert len({r["learning_rate"] for r in rows}) == 3, "the sampler tried different learning rates"
