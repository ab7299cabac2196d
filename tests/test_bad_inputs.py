"""Every kind of bad input gives one line naming where and the fix, a non-zero exit, no half output."""

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from stance.cli import guarded
from stance.config import CONFIG_DIR, PRIMARY_CONFIG
from stance.predict import predict
from stance.prepare import prepare

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = [{"text": f"Sentence {i} about the talks.", "label": "conciliatory" if i % 2 else "hardline", "doc_id": f"d{i}"} for i in range(12)]


def cfg_for(tmp_path, *overrides):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(
            config_name=PRIMARY_CONFIG, overrides=[f"data.output_dir={tmp_path / 'out'}", f"output_root={tmp_path / 'outputs'}", *overrides]
        )


def run_stage(stage, cfg, capsys):
    with pytest.raises(SystemExit) as exit_info:
        guarded(stage)(cfg)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert exit_info.value.code == 2, "bad input exits with status 2"
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("stance: error: ") and "-> fix:" in lines[0]
    if os.environ.get("STANCE_ERROR_LOG"):
        # collects the real messages for docs/errors.md
        with open(os.environ["STANCE_ERROR_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps({"test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0], "message": lines[0]}) + "\n")
    return lines[0]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def prepare_error(tmp_path, capsys, inputs, *overrides):
    cfg = cfg_for(tmp_path, f"data.inputs=[{','.join(str(i) for i in inputs)}]", *overrides)
    line = run_stage(prepare, cfg, capsys)
    assert not (tmp_path / "out").exists(), "no output may be written"
    assert not list(tmp_path.glob(".out.tmp-*"))
    return line


def test_missing_file(tmp_path, capsys):
    line = prepare_error(tmp_path, capsys, [tmp_path / "nope.csv"])
    assert "nope.csv" in line and "no such file" in line


def test_empty_file(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    assert "is empty" in prepare_error(tmp_path, capsys, [tmp_path / "empty.csv"])


def test_unsupported_extension(tmp_path, capsys):
    (tmp_path / "labels.xlsx").write_bytes(b"PK\x03\x04")
    line = prepare_error(tmp_path, capsys, [tmp_path / "labels.xlsx"])
    assert "unsupported file type '.xlsx'" in line and ".csv" in line


def test_csv_without_text_column_lists_columns_and_override(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("sentence,label\nWe talk.,conciliatory\n")
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.csv"])
    assert "columns present: sentence, label" in line and "data.columns.text=" in line


def test_csv_without_label_column(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("text,stance\nWe talk.,conciliatory\n")
    assert "data.columns.label=" in prepare_error(tmp_path, capsys, [tmp_path / "a.csv"])


@pytest.mark.parametrize("cell", ["", "NaN"])
def test_empty_or_nan_label(tmp_path, capsys, cell):
    (tmp_path / "a.csv").write_text(f"text,label\nWe talk.,conciliatory\nWe refuse.,{cell}\n")
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.csv"])
    assert "row 2" in line and "'label' is empty" in line


def test_unknown_label_lists_allowed_and_synonym_setting(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("text,label\nWe talk.,conciliatory\nWe refuse.,Angry\n")
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.csv"])
    assert "row 2" in line and "'Angry'" in line and "conciliatory, hardline" in line and "data.synonyms.Angry=" in line


def test_whitespace_only_text(tmp_path, capsys):
    (tmp_path / "a.csv").write_text('text,label\n"   ",hardline\n')
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.csv"])
    assert "row 1" in line and "'text' is empty" in line


def test_non_utf8_bytes_name_the_line(tmp_path, capsys):
    (tmp_path / "a.csv").write_bytes(b"text,label\nWe talk.,conciliatory\nCaf\xe9 diplomacy fails.,hardline\n")
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.csv"])
    assert "line 3" in line and "UTF-8" in line


def test_bom_and_windows_line_endings_just_work(tmp_path):
    rows = "\r\n".join(f'"{r["text"]}",{r["label"]},{r["doc_id"]}' for r in GOOD)
    (tmp_path / "a.csv").write_bytes(("\ufefftext,label,doc_id\r\n" + rows + "\r\n").encode("utf-8"))
    result = prepare(cfg_for(tmp_path, f"data.inputs=[{tmp_path / 'a.csv'}]"))
    assert sum(s["sentences"] for s in result["stats"]["splits"].values()) == 12


def test_one_megabyte_line(tmp_path, capsys):
    write_jsonl(tmp_path / "a.jsonl", [*GOOD, {"text": "word " * 210_000, "label": "hardline"}])
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.jsonl"])
    assert "row 13" in line and "data.max_chars" in line


def test_jsonl_with_a_broken_line(tmp_path, capsys):
    path = write_jsonl(tmp_path / "a.jsonl", GOOD)
    path.write_text(path.read_text() + '{"text": "unterminated, "label": "hardline"}\n')
    line = prepare_error(tmp_path, capsys, [path])
    assert "line 13" in line and "not valid JSON" in line


def test_parquet_with_non_string_text(tmp_path, capsys):
    pd.DataFrame({"text": [1, 2, 3], "label": ["hardline"] * 3}).to_parquet(tmp_path / "a.parquet")
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.parquet"])
    assert "'text' has type int64" in line


def test_single_class_only(tmp_path, capsys):
    write_jsonl(tmp_path / "a.jsonl", [{**r, "label": "hardline"} for r in GOOD])
    assert "only one label present (hardline)" in prepare_error(tmp_path, capsys, [tmp_path / "a.jsonl"])


def test_fewer_rows_than_the_splits_need(tmp_path, capsys):
    write_jsonl(tmp_path / "a.jsonl", GOOD[:2])
    assert "only 2 document(s) for 3 splits" in prepare_error(tmp_path, capsys, [tmp_path / "a.jsonl"])


def test_same_sentence_two_labels_is_an_error_when_asked(tmp_path, capsys):
    write_jsonl(tmp_path / "a.jsonl", [*GOOD, {"text": "Sentence 1 about the talks!", "label": "hardline"}])
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.jsonl"], "data.on_conflict=error")
    assert "labelled 'conciliatory' here and 'hardline'" in line


def test_document_split_across_files_with_different_metadata(tmp_path, capsys):
    write_jsonl(tmp_path / "a.jsonl", [{**r, "kind": "speech"} for r in GOOD])
    write_jsonl(tmp_path / "b.jsonl", [{"text": "More from document zero.", "label": "hardline", "doc_id": "d0", "kind": "interview"}])
    line = prepare_error(tmp_path, capsys, [tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert "document 'd0' has kind='interview'" in line and "a.jsonl row 1" in line


def test_model_that_exists_neither_locally_nor_offline(tmp_path, capsys, monkeypatch):
    from stance.train import train

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = cfg_for(tmp_path, f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]", "model.name_or_path=nobody/no-such-model", "debug=smoke")
    line = run_stage(train, cfg, capsys)
    assert "nobody/no-such-model" in line and "offline" in line and "model.name_or_path=" in line
    assert not (tmp_path / "outputs" / "runs").exists()


@pytest.fixture(scope="module")
def trained_copy(tmp_path_factory, tiny_model_dir):
    """A small trained model folder to damage."""
    from stance.train import train

    root = tmp_path_factory.mktemp("victim")
    cfg = cfg_for(
        root,
        f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]",
        f"model.name_or_path={tiny_model_dir}",
        "debug=smoke",
        "experiment=binary",
        "trainer.max_steps=2",
        "eval.baselines=false",
    )
    return Path(train(cfg)["model_dir"])


def copy_model(tmp_path, trained_copy) -> Path:
    """A private copy of the trained model folder, to damage."""
    broken = tmp_path / "model"
    shutil.copytree(trained_copy, broken)
    return broken


def predict_error(tmp_path, capsys, model_dir, text="We talk.\n"):
    """Run stance-predict on `text` with `model_dir`; return its one error line."""
    (tmp_path / "in.txt").write_text(text)
    cfg = cfg_for(tmp_path, f"model_dir={model_dir}", f"predict.input={tmp_path / 'in.txt'}", f"predict.output={tmp_path / 'pred.jsonl'}")
    return run_stage(predict, cfg, capsys)


def test_model_folder_without_id2label(tmp_path, capsys, trained_copy):
    broken = copy_model(tmp_path, trained_copy)
    config = json.loads((broken / "config.json").read_text())
    config.pop("id2label"), config.pop("label2id")
    (broken / "config.json").write_text(json.dumps(config))
    line = predict_error(tmp_path, capsys, broken)
    assert "id2label" in line and not (tmp_path / "pred.jsonl").exists()


def test_model_labels_differ_from_data(tmp_path, capsys, trained_copy):
    from stance.evaluate import evaluate

    cfg = cfg_for(tmp_path, f"model_dir={trained_copy}", f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]")
    prepare(cfg)
    line = run_stage(evaluate, cfg, capsys)
    assert "differ from the model's" in line


def test_truncated_safetensors(tmp_path, capsys, trained_copy):
    broken = copy_model(tmp_path, trained_copy)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])
    line = predict_error(tmp_path, capsys, broken)
    assert "model.safetensors" in line and "corrupted" in line


def test_pickle_weights_are_refused_unless_allowed(tmp_path, capsys, trained_copy):
    broken = copy_model(tmp_path, trained_copy)
    (broken / "model.safetensors").rename(broken / "pytorch_model.bin")
    line = predict_error(tmp_path, capsys, broken)
    assert "pickle" in line and "model.allow_pickle_weights=true" in line


def test_predict_on_empty_input(tmp_path, capsys, trained_copy):
    line = predict_error(tmp_path, capsys, trained_copy, text="\n  \n")
    assert "no sentences" in line and not (tmp_path / "pred.jsonl").exists()


def test_predict_before_any_model_is_trained_says_where_smoke_runs_go(tmp_path, capsys):
    sentences = tmp_path / "in.txt"
    sentences.write_text("We are ready to talk.\n", encoding="utf-8")
    line = run_stage(predict, cfg_for(tmp_path, f"predict.input={sentences}"), capsys)
    assert "outputs/latest/model" in line and "model folder not found" in line and "outputs/debug/latest/model" in line


def trend_error(tmp_path, capsys, rows, *overrides):
    from stance.trend import trend

    table = tmp_path / "statements.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    cfg = cfg_for(tmp_path, f"trend.inputs=[{table}]", f"trend.output_dir={tmp_path / 'trend'}", *overrides)
    line = run_stage(trend, cfg, capsys)
    assert not (tmp_path / "trend").exists(), "no output may be written"
    return line


STATEMENTS = [{"text": "We are ready to talk.", "date": "2024-01-05", "speaker": "Norway", "counterpart": "Russia", "doc_id": "d1"}]


def test_trend_table_without_the_actor_column(tmp_path, capsys):
    line = trend_error(tmp_path, capsys, [{k: v for k, v in STATEMENTS[0].items() if k != "speaker"}])
    assert "no 'speaker' column" in line and "trend.columns.actor=" in line and "statements.csv" in line


def test_trend_date_that_does_not_parse(tmp_path, capsys):
    line = trend_error(tmp_path, capsys, [*STATEMENTS, {**STATEMENTS[0], "date": "last Tuesday"}])
    assert "statements.csv row 2" in line and "'last Tuesday'" in line and "YYYY-MM-DD" in line


def test_trend_actor_with_no_sentences(tmp_path, capsys):
    line = trend_error(tmp_path, capsys, STATEMENTS, "trend.actors=[Narnia]")
    assert "actor 'Narnia' has no sentences" in line and "Norway" in line


def test_trend_with_nothing_to_read(tmp_path, capsys):
    from stance.trend import trend

    line = run_stage(trend, cfg_for(tmp_path), capsys)
    assert "trend.inputs" in line
    line = trend_error(tmp_path, capsys, [{**STATEMENTS[0], "text": " "}])
    assert "no sentences" in line


def test_trend_unknown_period(tmp_path, capsys):
    line = trend_error(tmp_path, capsys, STATEMENTS, "trend.period=week")
    assert "unknown period 'week'" in line and "month, quarter, year" in line


def test_annotate_import_with_an_unknown_label_names_the_row(tmp_path, capsys):
    from stance.annotate import annotate

    tasks = tmp_path / "tasks.csv"
    tasks.write_text("id,text,label\na1,We are ready.,conciliatory\na2,Never.,furious\n", encoding="utf-8")
    cfg = cfg_for(tmp_path, "annotate.action=import", f"annotate.tasks={tasks}", f"annotate.labelled={tmp_path / 'labelled.jsonl'}")
    line = run_stage(annotate, cfg, capsys)
    assert "tasks.csv row 2" in line and "unknown label 'furious'" in line and "conciliatory, hardline, neutral" in line
    assert not (tmp_path / "labelled.jsonl").exists(), "nothing is appended when one row is bad"


def test_annotate_import_without_the_label_column(tmp_path, capsys):
    from stance.annotate import annotate

    tasks = tmp_path / "tasks.csv"
    tasks.write_text("id,text\na1,We are ready.\n", encoding="utf-8")
    line = run_stage(annotate, cfg_for(tmp_path, "annotate.action=import", f"annotate.tasks={tasks}"), capsys)
    assert "no 'label' column" in line and "tasks.csv" in line


def test_annotate_select_when_nothing_is_left_to_label(tmp_path, capsys):
    from stance.annotate import annotate

    pool = tmp_path / "pool.csv"
    pool.write_text("text\nWe are ready to talk.\n", encoding="utf-8")
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(json.dumps({"id": "x", "text": "We are ready to talk.", "label": "conciliatory", "doc_id": "d"}) + "\n")
    cfg = cfg_for(tmp_path, "annotate.action=select", f"annotate.inputs=[{pool}]", f"annotate.labelled={labelled}")
    line = run_stage(annotate, cfg, capsys)
    assert "nothing left to select" in line
    line = run_stage(annotate, cfg_for(tmp_path, "annotate.action=select", f"annotate.inputs=[{pool}]", "annotate.n=0"), capsys)
    assert "annotate.n=0 selects nothing" in line


def test_a_missing_bundled_resource_met_while_the_config_resolves_is_one_line(tmp_path, capsys):
    from stance.train import train

    line = run_stage(train, cfg_for(tmp_path, "data.inputs=[${stance_resource:nothing_here}]"), capsys)
    assert "bundled resource 'nothing_here' is missing" in line


def test_trend_mapped_actor_column_missing_names_the_key_to_fix(tmp_path, capsys):
    line = trend_error(tmp_path, capsys, STATEMENTS, "trend.columns.actor=minister")
    assert "no 'minister' column" in line and "trend.columns.actor=" in line


def test_resume_without_a_checkpoint_says_to_run_without_resume(tmp_path, capsys, tiny_model_dir):
    from stance.train import train

    fixtures = [f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]", f"model.name_or_path={tiny_model_dir}", "debug=smoke"]
    line = run_stage(train, cfg_for(tmp_path, *fixtures, "trainer.resume=true"), capsys)
    assert "no checkpoint to resume from" in line and "without trainer.resume=true" in line
    assert not (tmp_path / "outputs" / "debug" / "runs").exists(), "nothing is published"


@pytest.mark.parametrize(
    ("stage_name", "override", "key"),
    [
        ("train", "model.context=both", "model.context"),
        ("train", "model.context=previous model.context_tokens=500", "model.context_tokens"),
        ("predict", "predict.engine=spark", "predict.engine"),
        ("predict", "predict.on_error=ignore", "predict.on_error"),
        ("predict", "predict.ray.actors=0", "predict.ray.actors"),
        ("trend", "trend.min_documents=0", "trend.min_documents"),
        ("trend", "trend.date_format=%Q", "trend.date_format"),
    ],
)
def test_a_bad_value_of_a_new_option_names_its_key(tmp_path, capsys, trained_copy, tiny_model_dir, stage_name, override, key):
    from stance.train import train
    from stance.trend import trend

    (tmp_path / "in.txt").write_text("We talk.\n")
    statements = tmp_path / "statements.csv"
    pd.DataFrame({"text": ["We talk.", "We refuse."], "date": ["2024-01-01", "2024-02-01"], "speaker": "Norway", "doc_id": ["a", "b"]}).to_csv(
        statements, index=False
    )
    common = {
        "train": [f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]", f"model.name_or_path={tiny_model_dir}", "debug=smoke"],
        "predict": [f"model_dir={trained_copy}", f"predict.input={tmp_path / 'in.txt'}", f"predict.output={tmp_path / 'pred'}"],
        "trend": [f"model_dir={trained_copy}", f"trend.inputs=[{statements}]", f"trend.output_dir={tmp_path / 'trend'}"],
    }[stage_name]
    stage = {"train": train, "predict": predict, "trend": trend}[stage_name]
    line = run_stage(stage, cfg_for(tmp_path, *common, *override.split()), capsys)
    assert f"{key}" in line, line
    assert not (tmp_path / "pred").exists() and not (tmp_path / "trend").exists() and not (tmp_path / "outputs" / "debug" / "runs").exists()


def test_trend_names_a_broken_json_lines_file_and_a_manifest_that_is_not_there(tmp_path, capsys):
    from stance.trend import trend

    broken = tmp_path / "scored.jsonl"
    broken.write_text('{"text": "We talk.", "date": "2024-01-01", "speaker": "Norway"}\n{"text": "We refuse.",\n', encoding="utf-8")
    line = run_stage(trend, cfg_for(tmp_path, f"trend.inputs=[{broken}]", f"trend.output_dir={tmp_path / 'trend'}"), capsys)
    assert "scored.jsonl" in line and "line 2 is not valid JSON" in line
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "We talk.", "date": "2024-01-01", "speaker": "Norway"}\n', encoding="utf-8")
    missing = tmp_path / "manifest.csv"
    line = run_stage(
        trend, cfg_for(tmp_path, f"trend.inputs=[{good}]", f"trend.manifest={missing}", f"trend.output_dir={tmp_path / 'trend'}"), capsys
    )
    assert "manifest.csv: no such manifest" in line and "trend.manifest" in line
    assert not (tmp_path / "trend").exists()


def test_a_raw_articles_folder_without_its_manifest_fails_before_training(tmp_path, capsys, tiny_model_dir):
    from stance.train import train

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.txt").write_text("We talk.\n", encoding="utf-8")
    cfg = cfg_for(
        tmp_path,
        f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]",
        f"model.name_or_path={tiny_model_dir}",
        "debug=smoke",
        f"eval.raw_articles={articles}",
    )
    line = run_stage(train, cfg, capsys)
    assert "no labels.csv manifest" in line
    assert not (tmp_path / "outputs" / "debug" / "checkpoints").exists(), "refused before any training step"


def test_an_articles_manifest_with_padded_header_names_lists_its_articles(tmp_path):
    from stance.evaluation.evaluator import document_manifest

    (tmp_path / "a.txt").write_text("We talk.\n", encoding="utf-8")
    (tmp_path / "labels.csv").write_text(" file , doc_stance \na.txt,conciliatory\n", encoding="utf-8")
    assert document_manifest(tmp_path) == [{"file": "a.txt", "doc_stance": "conciliatory"}]


def _leave_the_head_stuck(monkeypatch, bias: list[float]) -> None:
    """What an unlucky seed leaves: after training, a head that gives every sentence the same probabilities (`bias`)."""
    import torch

    import stance.modeling.fine_tuning as fine_tuning

    real_fine_tune = fine_tuning.fine_tune

    def stuck(*args, **kwargs):
        outcome = real_fine_tune(*args, **kwargs)
        torch.nn.init.zeros_(outcome.model.classifier.weight)
        outcome.model.classifier.bias.data = torch.tensor(bias)
        return outcome

    monkeypatch.setattr(fine_tuning, "fine_tune", stuck)


def test_a_model_that_learned_nothing_is_not_published_and_latest_stays(tmp_path, capsys, monkeypatch, tiny_model_dir, three_label_rows):
    """A run stuck at its start (one answer for every sentence) stops in one line instead of becoming `latest`."""
    from stance.train import train

    _leave_the_head_stuck(monkeypatch, [0.0, 0.0, 4.0])  # answers 'neutral' whatever it reads
    cfg = cfg_for(
        tmp_path,
        f"data.inputs=[{three_label_rows}]",
        f"model.name_or_path={tiny_model_dir}",
        "debug=smoke",
        "debug_run=null",  # the smoke recipe, but judged as a real run (a debug run is not meant to learn)
        "data.splits.train=0.5",
        "data.splits.validation=0.3",
        "data.splits.test=0.2",
    )
    line = run_stage(train, cfg, capsys)
    assert "the model did not learn" in line and "answers 'neutral' for 100%" in line and "is unchanged" in line
    assert "seed=" in line and "trainer.learning_rate" in line
    debug = tmp_path / "outputs" / "debug"
    assert not (debug / "latest").exists(), "latest must not point at a model that learned nothing"
    assert not (debug / "runs").exists() or not any((debug / "runs").iterdir()), "no run folder is published"


def test_a_context_run_that_learned_nothing_is_pointed_at_the_rate_that_trains_with_context(
    tmp_path, capsys, monkeypatch, tiny_model_dir, three_label_rows
):
    """With the sentence before, runs at the default's rate stalled (two of five); the fix names experiment=context's 4e-5."""
    from stance.train import train

    _leave_the_head_stuck(monkeypatch, [0.0, 0.0, 4.0])
    cfg = cfg_for(
        tmp_path,
        f"data.inputs=[{three_label_rows}]",
        f"model.name_or_path={tiny_model_dir}",
        "debug=smoke",
        "debug_run=null",
        "model.context=previous",
        "data.splits.train=0.5",
        "data.splits.validation=0.3",
        "data.splits.test=0.2",
    )
    line = run_stage(train, cfg, capsys)
    assert "the model did not learn" in line and "experiment=context uses 4e-5" in line and "seed=" in line
    # the message restates experiment/context.yaml's rate: the two must not drift apart
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        rate = compose(config_name=PRIMARY_CONFIG, overrides=["experiment=context"]).trainer.learning_rate
    assert float(line.split("experiment=context uses ")[1].split(":")[0]) == rate


def test_a_debug_run_that_learned_nothing_is_still_published(tmp_path, monkeypatch, tiny_model_dir, three_label_rows):
    """`debug=smoke` checks the plumbing with six steps of a random model: learning nothing is expected there."""
    from stance.train import train

    _leave_the_head_stuck(monkeypatch, [0.0, 0.0, 0.0])  # the uniform answer
    splits = ["data.splits.train=0.5", "data.splits.validation=0.3", "data.splits.test=0.2"]
    inputs = f"data.inputs=[{three_label_rows}]"
    result = train(cfg_for(tmp_path, inputs, f"model.name_or_path={tiny_model_dir}", "debug=smoke", *splits))
    assert Path(result["model_dir"]).is_dir() and (tmp_path / "outputs" / "debug" / "latest").exists()
