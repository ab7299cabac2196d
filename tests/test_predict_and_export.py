"""stance-predict and stance-export as users call them: stdin and stdout, tables with their columns, ONNX through the command."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from stance.config import CONFIG_DIR, PRIMARY_CONFIG
from stance.predict import predict

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SENTENCES = ["We are ready to talk without preconditions.", "Any incursion will be met with force.", "The meeting is on Monday."]


@pytest.fixture(scope="module")
def model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved classifier folder as stance-train writes it (weights, tokenizer, labels, stance.json)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from stance.modeling.settings import write_settings

    torch.manual_seed(1)
    labels = {0: "conciliatory", 1: "hardline"}
    model = AutoModelForSequenceClassification.from_pretrained(
        str(tiny_model_dir), num_labels=2, id2label=labels, label2id={v: k for k, v in labels.items()}
    )
    folder = tmp_path_factory.mktemp("predict") / "model"
    model.save_pretrained(folder, safe_serialization=True)
    AutoTokenizer.from_pretrained(str(tiny_model_dir)).save_pretrained(folder)
    write_settings(folder, {"temperature": 1.7, "max_length": 64, "labels": ["conciliatory", "hardline"]})
    return folder


def config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=PRIMARY_CONFIG, overrides=list(overrides))


def expected(model_dir: Path, texts: list[str]) -> list[str]:
    from stance import StanceClassifier

    return StanceClassifier.from_pretrained(model_dir).predict(texts)


def test_stdin_to_stdout_through_the_console_command(model_dir):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "stance.predict", "predict.input=-", f"model_dir={model_dir}"],
        input="\n".join(SENTENCES) + "\n\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["text"] for r in records] == SENTENCES, "one record per non-empty line, in order"
    assert [r["label"] for r in records] == expected(model_dir, SENTENCES)
    assert f"stance: model {model_dir.resolve()}" in out.stderr


def test_csv_rows_keep_their_columns_and_a_clashing_column_is_renamed(model_dir, tmp_path, capsys):
    table = tmp_path / "statements.csv"
    pd.DataFrame({"statement_id": ["s1", "s2", "s3"], "actor": ["A", "B", "A"], "body": SENTENCES, "label": ["gold1", "gold2", "gold3"]}).to_csv(
        table, index=False
    )
    predict(config(f"model_dir={model_dir}", f"predict.input={table}", "predict.text_column=body", f"predict.output={tmp_path / 'out.csv'}"))
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [r["statement_id"] for r in rows] == ["s1", "s2", "s3"] and [r["actor"] for r in rows] == ["A", "B", "A"]
    assert [r["input_label"] for r in rows] == ["gold1", "gold2", "gold3"], "the input's own label column is kept, renamed"
    assert [r["label"] for r in rows] == expected(model_dir, SENTENCES)
    assert "label -> input_label" in capsys.readouterr().err


def test_jsonl_rows_to_stdout_keep_their_fields(model_dir, tmp_path, capsys):
    table = tmp_path / "statements.jsonl"
    table.write_text("".join(json.dumps({"text": t, "date": f"2024-01-0{i}", "doc_id": "d1"}) + "\n" for i, t in enumerate(SENTENCES, 1)))
    predict(config(f"model_dir={model_dir}", f"predict.input={table}"))
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["date"] for r in records] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert all(r["doc_id"] == "d1" and r["type"] == "sentence" for r in records)


def test_a_missing_text_column_names_predict_text_column(model_dir, tmp_path):
    from stance.errors import StanceError

    table = tmp_path / "statements.csv"
    table.write_text("body\nWe are ready.\n")
    with pytest.raises(StanceError, match=r"no 'text' column .*predict\.text_column="):
        predict(config(f"model_dir={model_dir}", f"predict.input={table}"))


def test_an_article_txt_is_cleaned_segmented_and_summarised(model_dir, tmp_path, capsys):
    predict(config(f"model_dir={model_dir}", f"predict.input={FIXTURES / 'articles' / 'wire_talks.txt'}"))
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[-1]["type"] == "document" and records[-1]["doc_id"] == "wire_talks"
    sentences = [r for r in records if r["type"] == "sentence"]
    assert len(sentences) > 3 and not any("Advertisement" in r["text"] for r in sentences)


def test_what_cleaning_takes_out_of_an_article_is_reported_not_silent(model_dir, tmp_path, capsys):
    result = predict(
        config(f"model_dir={model_dir}", f"predict.input={FIXTURES / 'articles' / 'wire_talks.txt'}", f"predict.output={tmp_path / 'o.jsonl'}")
    )
    # the byline, six web lines (read time, advertisement, newsletter, photo credit, share, copyright) and the dateline
    assert result["records"][-1]["removed"] == {"boilerplate": 6, "dateline_or_credit_cut": 1, "news_line": 1}
    err = capsys.readouterr().err
    assert "cleaning took out of the raw articles (not scored): 6 web boilerplate line(s) removed; 1 dateline(s) or credit(s) cut" in err
    assert "1 news line(s) removed (datelines, bylines, credits, ...)" in err


def test_a_csv_output_gives_each_document_its_index_shares_and_what_cleaning_removed(model_dir, tmp_path):
    import csv

    article = FIXTURES / "articles" / "wire_talks.txt"
    records = predict(config(f"model_dir={model_dir}", f"predict.input={article}", f"predict.output={tmp_path / 'o.jsonl'}"))["records"]
    predict(config(f"model_dir={model_dir}", f"predict.input={article}", f"predict.output={tmp_path / 'o.csv'}"))
    rows = list(csv.DictReader((tmp_path / "o.csv").open(encoding="utf-8")))
    document, expected = rows[-1], records[-1]
    assert document["type"] == "document" and document["label"] == expected["label"]
    assert float(document["document_stance_index"]) == pytest.approx(expected["stance_index"])
    assert float(document["document_share_hardline"]) == pytest.approx(expected["share_hardline"])
    assert int(document["document_stance_bearing"]) == expected["stance_bearing"] and int(document["document_sentences"]) == expected["sentences"]
    assert json.loads(document["document_removed"]) == expected["removed"]
    assert all(r["document_stance_index"] == "" for r in rows[:-1]), "sentence rows leave the document columns empty"


def test_a_sentence_over_the_max_length_warns_how_much_was_cut(model_dir):
    from stance import StanceClassifier
    from stance.inference.classifier import TruncationWarning

    clf = StanceClassifier.from_pretrained(model_dir)  # max_length 64 from stance.json
    long = "We remain ready to talk about the border, the river, the fisheries and the airspace, " * 6
    with pytest.warns(TruncationWarning, match=r"1 sentence\(s\) longer than the model's 64 tokens .* had \d+ tokens"):
        clf.predict([long, "Short."])


def test_export_command_then_predict_with_the_onnx_backend(model_dir, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    import shutil

    from stance.export import export

    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    report = export(config(f"model_dir={folder}", "export.check_sentences=40"))
    out = capsys.readouterr().out
    assert (folder / "model.onnx").exists() and (folder / "model.int8.onnx").exists()
    assert report["label_agreement_model.onnx"] == 1.0 and "labels agree with torch" in out
    assert json.loads((folder / "onnx_export.json").read_text())["rescore_margin"] == report["rescore_margin"]
    text = tmp_path / "in.txt"
    text.write_text("\n".join(SENTENCES))
    predict(config(f"model_dir={folder}", f"predict.input={text}", "predict.lines=true", "predict.backend=onnx", "predict.format=csv"))
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["label"] for r in rows] == expected(model_dir, SENTENCES)


def test_a_folder_with_two_articles_of_one_name_keeps_them_apart(model_dir, tmp_path):
    for sub in ("oslo", "hanoi"):
        (tmp_path / "in" / sub).mkdir(parents=True)
        (tmp_path / "in" / sub / "statement.txt").write_text(f"The talks in {sub.title()} will resume.\n", encoding="utf-8")
    (tmp_path / "in" / "_run.json").write_text("{}", encoding="utf-8")  # a run record is not an input
    records = predict(config(f"model_dir={model_dir}", f"predict.input={tmp_path / 'in'}", f"predict.output={tmp_path / 'out.jsonl'}"))["records"]
    documents = sorted(r["doc_id"] for r in records if r["type"] == "document")
    assert documents == ["hanoi/statement", "oslo/statement"]


def test_a_glob_reads_the_files_it_matches_as_a_folder_would(model_dir, tmp_path):
    for sub in ("oslo", "hanoi"):
        (tmp_path / "in" / sub).mkdir(parents=True)
        (tmp_path / "in" / sub / "statement.txt").write_text(f"The talks in {sub.title()} will resume.\n", encoding="utf-8")
        (tmp_path / "in" / sub / "notes.md").write_text("not an input\n", encoding="utf-8")
    pattern = str(tmp_path / "in" / "**" / "*.txt")
    records = predict(config(f"model_dir={model_dir}", f"predict.input='{pattern}'", f"predict.output={tmp_path / 'out.jsonl'}"))["records"]
    assert sorted(r["doc_id"] for r in records if r["type"] == "document") == ["hanoi/statement", "oslo/statement"]


def test_a_glob_names_its_files_from_the_folder_before_the_wildcard_even_when_a_folder_shares_the_prefix(model_dir, tmp_path):
    (tmp_path / "in" / "news").mkdir(parents=True)  # "in/news" is a folder, but "in/news*.txt" matches files beside it
    for name in ("news_oslo", "news_hanoi"):
        (tmp_path / "in" / f"{name}.txt").write_text("The talks will resume next month.\n", encoding="utf-8")
    pattern = str(tmp_path / "in" / "news*.txt")
    records = predict(config(f"model_dir={model_dir}", f"predict.input='{pattern}'", f"predict.output={tmp_path / 'out.jsonl'}"))["records"]
    assert sorted(r["doc_id"] for r in records if r["type"] == "document") == ["news_hanoi", "news_oslo"]
