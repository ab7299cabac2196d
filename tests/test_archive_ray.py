"""Archive scoring on Ray Data: the labels local stance-predict gives, Parquet parts that survive a kill, and bad inputs in one line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from stance.config import CONFIG_DIR, PRIMARY_CONFIG
from stance.errors import StanceError
from stance.predict import predict

ray = pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray of 2 CPUs, started by the test and shut down after."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from stance.modeling.settings import write_settings

    torch.manual_seed(2)
    labels = {0: "conciliatory", 1: "hardline", 2: "neutral"}
    model = AutoModelForSequenceClassification.from_pretrained(
        str(tiny_model_dir), num_labels=3, id2label=labels, label2id={v: k for k, v in labels.items()}
    )
    folder = tmp_path_factory.mktemp("archive") / "model"
    model.save_pretrained(folder, safe_serialization=True)
    AutoTokenizer.from_pretrained(str(tiny_model_dir)).save_pretrained(folder)
    write_settings(folder, {"temperature": 1.3, "max_length": 64, "labels": list(labels.values()), "no_side_threshold": 0.34})
    return folder


def config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=PRIMARY_CONFIG, overrides=list(overrides))


def read_parts(folder: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("part-*.parquet"))], ignore_index=True)


def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    (folder / "articles").mkdir(parents=True)
    for article in (FIXTURES / "articles").glob("*.txt"):
        shutil.copy(article, folder / "articles" / article.name)
    rows = [json.loads(line) for line in (FIXTURES / "labelled.jsonl").read_text().splitlines() if line.strip()]
    pd.DataFrame(
        {"statement": [r["text"] for r in rows], "doc_id": [r.get("doc_id") for r in rows], "date": "2024-03-01", "label": [r["label"] for r in rows]}
    ).to_csv(folder / "statements.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def scored(local_ray, model_dir, tmp_path_factory):
    """One Ray run over two articles (a part each) and a table, as the tests below read it."""
    tmp = tmp_path_factory.mktemp("scored")
    source = archive(tmp)
    common = [f"model_dir={model_dir}", "predict.text_column=statement", "predict.ray.articles_per_part=1"]
    result = predict(config(*common, "predict.engine=ray", f"predict.input={source}", f"predict.output={tmp / 'scored'}"))
    return source, tmp / "scored", result, common


def test_ray_gives_the_labels_of_local_scoring_with_the_input_columns(scored, model_dir, tmp_path):
    source, out, result, common = scored
    local_articles = predict(config(*common, f"predict.input={source / 'articles'}", f"predict.output={tmp_path / 'a.jsonl'}"))["records"]
    local_table = predict(config(*common, f"predict.input={source / 'statements.csv'}", f"predict.output={tmp_path / 't.jsonl'}"))["records"]
    parts = read_parts(out)
    assert result["parts"] == 3 and result["kept"] == 0  # two articles (one per part) and the table
    expected = {(r["doc_id"], r["text"]): r["label"] for r in local_articles + local_table if r["type"] == "sentence"}
    got = {(d, t): label for d, t, label in zip(parts["doc_id"], parts["text"], parts["label"])}
    assert got == expected, "the same sentences, the same labels"
    removed = sum((Counter(r["removed"]) for r in local_articles if r["type"] == "document"), Counter())
    assert result["removed"] == dict(removed) and removed["boilerplate"] == 8, "what cleaning took out is counted as locally"
    table = parts[parts["source"] == "statements.csv"]
    assert set(table["date"]) == {"2024-03-01"} and "input_label" in table, "the input's columns pass through, a clashing one renamed"
    assert {"confidence", "p_conciliatory", "p_hardline", "p_neutral", "sentence_index"} <= set(parts.columns)
    article = parts[parts["doc_id"] == "wire_talks"].sort_values("sentence_index")
    assert list(article["sentence_index"]) == list(range(1, len(article) + 1))
    again = predict(config(*common, "predict.engine=ray", f"predict.input={source}", f"predict.output={out}"))
    assert again["parts"] == 0 and again["kept"] == 3, "a rerun skips the finished parts"
    with pytest.raises(StanceError, match="other settings .*min_confidence"):
        predict(config(*common, "predict.engine=ray", f"predict.input={source}", f"predict.output={out}", "predict.min_confidence=0.9"))


def test_stance_trend_reads_the_parquet_parts(scored, model_dir, tmp_path):
    from stance.trend import trend

    _, out, _, _ = scored
    parts = read_parts(out)
    statements = sorted(set(parts.loc[parts["source"] == "statements.csv", "doc_id"]))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "file,speaker,counterpart,date\nwire_talks.txt,Norway,Russia,2024-01-15\nwire_ultimatum.txt,Norway,Russia,2024-05-02\n"
        + "".join(f"{doc},China,Japan,2024-03-01\n" for doc in statements)
    )
    result = trend(
        config(
            f"model_dir={model_dir}",
            f"trend.inputs=[{out}]",
            f"trend.manifest={manifest}",
            f"trend.output_dir={tmp_path / 'trend'}",
            "trend.explain=false",
        )
    )
    articles = parts[parts["source"] != "statements.csv"]
    assert sum(r["sentences"] for r in result["rows"] if r["actor"] == "Norway") == len(articles)
    assert {r["period"] for r in result["rows"] if r["actor"] == "Norway"} == {"2024-Q1", "2024-Q2"}


def test_a_run_killed_midway_keeps_its_parts_and_the_rerun_finishes_the_rest(local_ray, model_dir, tmp_path):
    source = tmp_path / "many"
    source.mkdir()
    text = (FIXTURES / "articles" / "wire_talks.txt").read_text()
    for i in range(40):  # long enough articles that a part takes a moment, so the kill lands mid-run
        (source / f"a{i:03d}.txt").write_text("\n\n".join(text.replace("Oslo", f"Oslo {i}-{k}") for k in range(12)))
    out = tmp_path / "scored"
    args = [f"model_dir={model_dir}", "predict.engine=ray", f"predict.input={source}", f"predict.output={out}", "predict.ray.articles_per_part=1"]
    # the killed driver joins the test's local Ray as a cluster would be joined (predict.ray.address), so one
    # Ray serves the whole module; killing a driver ends its job and its actors, not the cluster
    address = ray.get_runtime_context().gcs_address
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stance.predict", *args, f"predict.ray.address={address}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 240
    try:
        while time.time() < deadline and len(list(out.glob("part-*.parquet"))) < 3:
            if proc.poll() is not None:
                pytest.fail("the run finished before it could be killed: " + proc.stdout.read().decode()[-2000:])
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the driver, mid-run
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    written = sorted(out.glob("part-*.parquet"))
    assert 3 <= len(written) < 40, "killed midway"
    before = {p.name: len(pd.read_parquet(p)) for p in written}  # every part on disk is whole
    rerun = predict(config(*args))  # the same command again, from this process
    assert rerun["kept"] >= len(written) and rerun["kept"] + rerun["parts"] == 40, "every part the killed run finished is kept"
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == 40 and not list(out.glob(".part-*"))
    assert all(len(pd.read_parquet(out / name)) == n for name, n in before.items()), "no finished part was rewritten"
    assert read_parts(out)["doc_id"].nunique() == 40


def test_ray_errors_are_one_line(model_dir, tmp_path, monkeypatch):
    source = archive(tmp_path)
    common = [f"model_dir={model_dir}", "predict.engine=ray", f"predict.input={source}"]
    with pytest.raises(StanceError, match="predict.output"):
        predict(config(*common))
    with pytest.raises(StanceError, match=r"nothing answers at the Ray cluster address 127\.0\.0\.1:9 .*predict\.ray\.address"):
        predict(config(*common, f"predict.output={tmp_path / 'o1'}", "predict.ray.address=127.0.0.1:9"))
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(StanceError, match=r"Ray is not installed .*pip install 'stance\[ray\]'"):
        predict(config(*common, f"predict.output={tmp_path / 'o2'}"))


def test_a_corrupt_input_stops_the_run_by_name_or_is_skipped_on_request(local_ray, model_dir, tmp_path):
    source = tmp_path / "inputs"
    source.mkdir()
    shutil.copy(FIXTURES / "articles" / "wire_talks.txt", source / "wire_talks.txt")
    (source / "broken.parquet").write_bytes(b"PAR1 this is not a parquet file")
    common = [f"model_dir={model_dir}", "predict.engine=ray", f"predict.input={source}", "predict.ray.actors=1"]
    with pytest.raises(StanceError, match=r"broken\.parquet: cannot be read as Parquet .*; or set predict\.on_error=skip"):
        predict(config(*common, f"predict.output={tmp_path / 'stop'}"))
    result = predict(config(*common, f"predict.output={tmp_path / 'skip'}", "predict.on_error=skip"))
    assert len(result["failed"]) == 1 and "broken.parquet" in result["failed"][0]
    assert result["parts"] == 1, "the article is scored"
