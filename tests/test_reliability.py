"""Reproducibility, resume after SIGKILL, offline operation, atomic outputs."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from stance.config import CONFIG_DIR, PRIMARY_CONFIG
from stance.train import train

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


def overrides(tmp_path, tiny_model_dir, *extra):
    return [
        f"model.name_or_path={tiny_model_dir}",
        f"output_root={tmp_path / 'outputs'}",
        f"data.output_dir={tmp_path / 'prepared'}",
        f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]",
        "trainer.batch_size=4",
        "trainer.epochs=6",
        "trainer.learning_rate=1e-3",
        "trainer.early_stopping_patience=0",
        "trainer.freeze_embeddings=false",
        "trainer.freeze_layers=0",
        "eval.real_dev=null",
        "eval.bootstrap_resamples=50",
        "eval.plots=false",
        *extra,
    ]


def compose_with(args):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=PRIMARY_CONFIG, overrides=args)


def test_two_runs_with_the_same_seed_are_identical(tmp_path, tiny_model_dir):
    a = train(compose_with(overrides(tmp_path / "a", tiny_model_dir, "trainer.epochs=2")))
    b = train(compose_with(overrides(tmp_path / "b", tiny_model_dir, "trainer.epochs=2")))
    pa = (Path(a["run_dir"]) / "eval-test" / "predictions.csv").read_text()
    pb = (Path(b["run_dir"]) / "eval-test" / "predictions.csv").read_text()
    assert pa == pb
    ma, mb = a["metrics"]["evaluations"]["test"], b["metrics"]["evaluations"]["test"]
    assert ma == mb
    assert json.loads((Path(a["run_dir"]) / "provenance.json").read_text())["dataset_fingerprint"] == a["metrics"]["dataset"]["fingerprint"]


def test_sigkill_mid_training_then_resume_matches_uninterrupted(tmp_path, tiny_model_dir):
    # many short epochs, a checkpoint after each: the kill lands after a few, mid-way through another
    args = overrides(tmp_path / "killed", tiny_model_dir, "trainer.epochs=40")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "stance.train", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    checkpoints = tmp_path / "killed" / "outputs" / "checkpoints"
    deadline = time.time() + 240
    try:
        while time.time() < deadline:
            found = list(checkpoints.glob("*/checkpoint-*/trainer_state.json"))
            if len(found) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail("training finished before it could be killed: " + proc.stdout.read().decode()[-2000:])
            time.sleep(0.05)
        else:
            pytest.fail("no checkpoint appeared in time")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # the killed run left no finished run behind and `latest` does not exist yet
    assert not (tmp_path / "killed" / "outputs" / "latest").exists()
    resumed = train(compose_with([*args, "trainer.resume=true"]))
    resumed_from = resumed["metrics"]["train"]["resumed_from"]
    assert resumed_from and Path(resumed_from).name.startswith("checkpoint-"), "the run continued from a checkpoint, not from scratch"
    killed_at = int(Path(resumed_from).name.split("-")[1])
    assert 0 < killed_at < resumed["metrics"]["train"]["steps"]
    fresh = train(compose_with(overrides(tmp_path / "fresh", tiny_model_dir, "trainer.epochs=40")))
    assert fresh["metrics"]["train"]["resumed_from"] is None
    assert resumed["metrics"]["train"]["steps"] == fresh["metrics"]["train"]["steps"]
    assert abs(resumed["metrics"]["evaluations"]["test"]["macro_f1"] - fresh["metrics"]["evaluations"]["test"]["macro_f1"]) <= 0.005
    assert (tmp_path / "killed" / "outputs" / "latest").resolve() == Path(resumed["run_dir"]).resolve()


def test_prepare_train_predict_work_with_sockets_forbidden(tmp_path, tiny_model_dir, monkeypatch):
    from stance.inference.classifier import StanceClassifier

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] or kwargs)  # a swallowed OSError must not hide an attempt
        raise OSError("network access attempted during an offline run")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = train(compose_with(overrides(tmp_path, tiny_model_dir, "trainer.epochs=1", "trainer.max_steps=2")))
    clf = StanceClassifier.from_pretrained(result["model_dir"])
    assert clf.predict(["We are ready to talk."])[0] in clf.labels
    assert attempts == [], f"network access was attempted: {attempts[:3]}"


def test_ctrl_c_saves_a_checkpoint_and_says_how_to_resume(tmp_path, tiny_model_dir):
    args = overrides(tmp_path, tiny_model_dir, "trainer.epochs=400", "trainer.logging_steps=1")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stance.train", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 240
    checkpoints = tmp_path / "outputs" / "checkpoints"
    while time.time() < deadline and not list(checkpoints.glob("*/checkpoint-*/trainer_state.json")):
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "trainer.resume=true" in lines[0] and "Traceback" not in stderr
    assert "saving a checkpoint" in stdout
    states = list(checkpoints.glob("*/checkpoint-*/trainer_state.json"))
    assert states
    assert not (tmp_path / "outputs" / "runs").exists(), "an interrupted run publishes nothing"
