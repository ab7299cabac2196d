"""The active-learning loop from the README on raw articles: select -> label -> import -> train -> select again."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from stance.annotate import annotate
from stance.annotation.selection import margins, select
from stance.train import train

FIXTURES = Path(__file__).parent / "fixtures"
GOLD = {json.loads(line)["text"]: json.loads(line)["label"] for line in (FIXTURES / "labelled.jsonl").read_text().splitlines()}


def compose_cfg(tmp_path: Path, *overrides: str):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    base = [
        f"output_root={tmp_path / 'outputs'}",
        f"data.output_dir={tmp_path / 'prepared'}",
        f"annotate.labelled={tmp_path / 'labelled.jsonl'}",
        f"model.name_or_path={FIXTURES.parent.parent / 'nonexistent'}",
    ]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=PRIMARY_CONFIG, overrides=[*base, *overrides])


def label_by_script(tasks_csv: Path, out: Path, rule) -> int:
    """A stand-in annotator: fills the label column of some rows (others stay empty)."""
    with tasks_csv.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["label"] = rule(row["text"]) or ""
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return sum(1 for r in rows if r["label"])


def keyword_annotator(text: str) -> str | None:
    lowered = text.lower()
    if any(w in lowered for w in ("reject", "never", "ultimatum", "warn", "condemn", "retaliat")):
        return "hardline"
    if any(w in lowered for w in ("talk", "ready", "welcome", "dialogue", "agree")):
        return "conciliatory"
    return "neutral" if len(text) > 40 else None


def test_selection_picks_uncertain_sentences_from_different_clusters():
    rng = np.random.default_rng(0)
    embeddings = np.concatenate([np.eye(4)[c] + rng.normal(0, 0.05, (20, 4)) for c in (0, 1, 2)])  # three directions
    proba = np.full((60, 2), 0.5)
    proba[:, 0] = np.linspace(0.5, 1.0, 60)  # row 0 most uncertain, the first cluster the most uncertain overall
    proba[:, 1] = 1 - proba[:, 0]
    picks = select(3, 0, embeddings, proba, "margin_diverse", pool_factor=20)
    assert {p // 20 for p in picks} == {0, 1, 2}, "one per cluster"
    assert select(3, 0, embeddings, proba, "margin") == [0, 1, 2]
    assert sorted(select(3, 0, embeddings, None)) != [0, 1, 2] and len({p // 20 for p in select(3, 0, embeddings, None)}) == 3
    assert margins(np.array([[0.5, 0.5], [0.9, 0.1]])).tolist() == pytest.approx([0.0, 0.8])


def test_the_loop_select_label_import_train_select_again(tmp_path, tiny_model_dir, capsys):
    articles = tmp_path / "articles"
    shutil.copytree(FIXTURES / "articles", articles)
    # round 1: no model yet -> a diverse seed sample embedded by the base encoder
    seed = annotate(
        compose_cfg(
            tmp_path,
            "annotate.action=select",
            f"annotate.inputs=[{articles}]",
            "annotate.n=6",
            f"annotate.output_dir={tmp_path / 'round1'}",
            f"model.name_or_path={tiny_model_dir}",
        )
    )
    tasks = Path(seed["csv"])
    # the fixture articles' web lines, byline and dateline are never offered as tasks, and that is said
    assert "(never offered as tasks): 8 web boilerplate line(s) removed; 1 dateline(s)" in capsys.readouterr().err
    header = tasks.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header == ["id", "text", "before", "after", "doc_id", "source", "model_guess", "model_confidence", "label"]
    ls = json.loads(Path(seed["labelstudio"]).read_text())
    assert len(ls) == 6 and {t["data"]["source"] for t in ls} <= {"wire_talks.txt", "wire_ultimatum.txt"}
    assert '<Choice value="neutral"/>' in Path(seed["labelstudio_config"]).read_text()

    labelled_csv = tmp_path / "labelled1.csv"
    n = label_by_script(tasks, labelled_csv, keyword_annotator)
    first = annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={labelled_csv}"))
    assert first["added"] == n > 0
    again = annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={labelled_csv}"))
    assert again["added"] == 0 and again["duplicates"] == n, "importing the same file twice adds nothing"
    stored = [json.loads(line) for line in (tmp_path / "labelled.jsonl").read_text().splitlines()]
    assert len(stored) == n and all(r["doc_id"] in ("wire_talks", "wire_ultimatum") for r in stored)

    # train on the fixture corpus plus the new labels (document ids keep the grouped split), then select again with the model
    result = train(
        compose_cfg(
            tmp_path,
            "debug=smoke",
            f"model.name_or_path={tiny_model_dir}",
            f"data.inputs=[{FIXTURES / 'labelled.jsonl'},{tmp_path / 'labelled.jsonl'}]",
        )
    )
    second = annotate(
        compose_cfg(
            tmp_path,
            "annotate.action=select",
            f"annotate.inputs=[{articles}]",
            "annotate.n=5",
            f"model_dir={result['model_dir']}",
            f"annotate.output_dir={tmp_path / 'round2'}",
        )
    )
    assert not set(second["selected"]) & {r["id"] for r in stored}, "never a sentence already labelled"
    with Path(second["csv"]).open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    from stance.inference.classifier import StanceClassifier

    calls = StanceClassifier.from_pretrained(result["model_dir"]).predict_sentences([r["text"] for r in rows], [r["before"] for r in rows])
    assert [r["model_guess"] for r in rows] == [c.label for c in calls]
    assert [float(r["model_confidence"]) for r in rows] == pytest.approx([c.confidence for c in calls], abs=1e-3), (
        "the task shows the model's own call"
    )
    assert Path(seed["csv"]).exists(), "round 1's tasks are kept"

    # a conflicting relabel is reported, not applied
    with labelled_csv.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    flipped = next(r for r in rows if r["label"])
    flipped["label"] = "conciliatory" if flipped["label"] != "conciliatory" else "hardline"
    conflict_csv = tmp_path / "conflict.csv"
    with conflict_csv.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(flipped)
    outcome = annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={conflict_csv}"))
    assert outcome["added"] == 0 and len(outcome["conflicts"]) == 1


def test_label_studio_exports_are_read_back(tmp_path):
    export = [
        {
            "data": {"text": "We are ready to talk.", "stance_id": "a1", "doc_id": "d1", "source": "x.txt"},
            "annotations": [{"result": [{"from_name": "stance", "value": {"choices": ["conciliatory"]}}]}],
        },
        {"data": {"text": "Not yet labelled.", "stance_id": "a2"}, "annotations": []},
        {"data": {"text": "Cancelled.", "stance_id": "a3"}, "annotations": [{"was_cancelled": True, "result": []}]},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    out = annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={path}"))
    assert out["added"] == 1 and json.loads((tmp_path / "labelled.jsonl").read_text())["label"] == "conciliatory"


def test_label_studio_json_min_export_is_read_back(tmp_path):
    # JSON-MIN, as label-studio-converter writes it: one flat record per annotation, a single choice as its string
    export = [
        {
            "id": 7,
            "text": "We are ready to talk.",
            "stance_id": "b1",
            "doc_id": "d1",
            "source": "x.txt",
            "stance": "conciliatory",
            "annotator": 1,
            "annotation_id": 11,
        },
        {
            "id": 8,
            "text": "We reject the ultimatum.",
            "stance_id": "b2",
            "doc_id": "d1",
            "stance": {"choices": ["hardline"]},
            "annotator": 1,
            "annotation_id": 12,
        },
    ]
    path = tmp_path / "export_min.json"
    path.write_text(json.dumps(export))
    out = annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={path}"))
    stored = {r["text"]: r["label"] for r in map(json.loads, (tmp_path / "labelled.jsonl").read_text().splitlines())}
    assert out["added"] == 2 and stored == {"We are ready to talk.": "conciliatory", "We reject the ultimatum.": "hardline"}


def test_two_annotators_who_disagree_on_a_task_are_a_conflict_not_a_silent_winner(tmp_path, capsys):
    def vote(choice, who):
        return {"completed_by": who, "result": [{"from_name": "stance", "value": {"choices": [choice]}}]}

    export = [
        {"data": {"text": "We will consider the proposal.", "stance_id": "c1"}, "annotations": [vote("conciliatory", 1), vote("neutral", 2)]},
        {"data": {"text": "We reject the ultimatum.", "stance_id": "c2"}, "annotations": [vote("hardline", 1), vote("hardline", 2)]},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    out = annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={path}"))
    assert out["added"] == 1 and [c["id"] for c in out["export_conflicts"]] == ["c1"]
    assert "labelled differently in this export" in capsys.readouterr().err
    assert "We will consider" not in (tmp_path / "labelled.jsonl").read_text()


def test_a_spreadsheet_resaved_in_a_legacy_encoding_is_decoded_and_said_so(tmp_path, capsys):
    tasks = tmp_path / "tasks.csv"
    text = (
        "id,text,label\n"
        "t1,Le ministre a déclaré que la réunion était reportée à l'été prochain.,neutral\n"
        "t2,We reject the ultimatum – never.,hardline\n"
    )
    tasks.write_bytes(text.encode("cp1252"))
    out = annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={tasks}"))
    assert out["added"] == 2 and out["encoding"].replace("_", "").lower() in ("cp1252", "windows1252")
    assert "déclaré" in (tmp_path / "labelled.jsonl").read_text(encoding="utf-8")
    assert "not UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize(
    "header",
    ["id;text;label", "id , text , label "],
    ids=["semicolons", "padded header names"],
)
def test_a_spreadsheet_saved_with_semicolons_or_padded_header_names_is_imported(tmp_path, header):
    sep = ";" if ";" in header else ","
    tasks = tmp_path / "tasks.csv"
    tasks.write_text(f'{header}\nt1{sep}"We will not yield, and we will not wait."{sep}hardline\nt2{sep}Talks resume on Monday.{sep}neutral\n')
    out = annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={tasks}"))
    assert out["added"] == 2
    labelled = [json.loads(line) for line in (tmp_path / "labelled.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(r["text"], r["label"]) for r in labelled} >= {("We will not yield, and we will not wait.", "hardline")}


def test_bytes_no_detector_can_read_are_refused_in_one_line(tmp_path):
    from stance.errors import StanceError

    tasks = tmp_path / "tasks.csv"
    tasks.write_bytes(b"id,text,label\n" + bytes(range(128, 256)) * 4 + b",hardline\n")
    with pytest.raises(StanceError, match=r"not UTF-8 .* re-save the file as UTF-8"):
        annotate(compose_cfg(tmp_path, "annotate.action=import", f"annotate.tasks={tasks}"))


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("t1,Zürich talks: the ministers agreed to meet again.,conciliatory", "cp1252"),
        ("t1,Ministr zahraničí řekl, že Česká republika je připravena jednat.,conciliatory", "cp1250"),
    ],
)
def test_a_legacy_spreadsheet_is_read_in_a_windows_code_page_not_a_dos_one(tmp_path, text, encoding):
    """The detector alone reads cp1252 'Zürich' as cp775 'Z³rich'; a spreadsheet never saves a DOS code page."""
    from stance.annotation.tasks import decode_export

    tasks = tmp_path / "tasks.csv"
    tasks.write_bytes(f"id,text,label\n{text}\n".encode(encoding))
    decoded, _ = decode_export(tasks)
    assert text in decoded
