import json
from pathlib import Path

import pytest
from datasets import ClassLabel, load_from_disk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.data.dataset import DataOptions, SplitRatios, prepare_dataset
from stance.data.readers import Columns
from stance.errors import StanceError
from stance.evaluation.rows import read_labelled

FIXTURES = Path(__file__).parent / "fixtures"
META = ["kind", "speaker", "counterpart", "region", "topic", "date"]


def options(tmp_path, inputs, **kw):
    defaults = dict(
        inputs=[str(p) for p in inputs],
        output_dir=str(tmp_path / "out"),
        labels=["conciliatory", "hardline"],
        drop_labels=["neutral"],
        metadata=META,
        splits=SplitRatios(0.6, 0.2, 0.2),
    )
    defaults.update(kw)
    return DataOptions(**defaults)


def test_prepare_writes_a_grouped_stratified_datasetdict(tmp_path):
    result = prepare_dataset(options(tmp_path, [FIXTURES / "labelled.jsonl", FIXTURES / "articles"]))
    ds = load_from_disk(str(result.path))
    assert set(ds) == {"train", "validation", "test", "unlabelled"}
    assert isinstance(ds["train"].features["label"], ClassLabel)
    assert ds["train"].features["label"].names == ["conciliatory", "hardline"]
    labelled = sum(len(ds[s]) for s in ("train", "validation", "test"))
    # 36 fixture rows, 11 of them neutral and dropped in the binary label set
    assert labelled == 25
    assert result.stats["dropped"] == {"label_not_in_set:neutral": 11}
    docs = {s: set(ds[s]["doc_id"]) for s in ("train", "validation", "test")}
    assert not docs["train"] & docs["validation"] and not docs["train"] & docs["test"] and not docs["validation"] & docs["test"]
    assert set(ds["unlabelled"]["doc_id"]) == {"wire_talks", "wire_ultimatum"}
    assert all(v == -1 for v in ds["unlabelled"]["label"])
    stats = json.loads((result.path / "stats.json").read_text())
    assert stats["splits"]["train"]["sentences"] == len(ds["train"])
    assert stats["splits"]["train"]["words"]["max"] >= stats["splits"]["train"]["words"]["p50"]
    assert (result.path / "splits.jsonl").exists()


def test_three_way_keeps_neutral(tmp_path):
    result = prepare_dataset(options(tmp_path, [FIXTURES / "labelled.jsonl"], labels=["conciliatory", "hardline", "neutral"], drop_labels=[]))
    ds = load_from_disk(str(result.path))
    assert sum(len(ds[s]) for s in ds) == 36
    assert ds["train"].features["label"].names == ["conciliatory", "hardline", "neutral"]


def test_same_inputs_give_byte_identical_split_assignment(tmp_path):
    a = prepare_dataset(options(tmp_path / "a", [FIXTURES / "labelled.jsonl"]))
    b = prepare_dataset(options(tmp_path / "b", [FIXTURES / "labelled.jsonl"]))
    assert (a.path / "splits.jsonl").read_bytes() == (b.path / "splits.jsonl").read_bytes()
    assert a.stats["fingerprint"] == b.stats["fingerprint"]


def _splits(result) -> dict[str, str]:
    return {r["doc_id"]: r["split"] for r in map(json.loads, (result.path / "splits.jsonl").read_text().splitlines())}


def test_an_earlier_split_assignment_is_kept_and_only_new_documents_are_placed(tmp_path):
    first = prepare_dataset(options(tmp_path / "a", [FIXTURES / "labelled.jsonl"]))
    earlier = _splits(first)
    # an assignment the splitter would not make: two documents of different splits swapped, one left out (new), one gone
    train_doc = next(d for d, s in sorted(earlier.items()) if s == "train")
    test_doc = next(d for d, s in sorted(earlier.items()) if s == "test")
    pinned = {**earlier, train_doc: "test", test_doc: "train", "a-document-no-longer-there": "validation"}
    new_doc = next(d for d in sorted(earlier) if d not in (train_doc, test_doc))
    del pinned[new_doc]
    path = tmp_path / "splits.jsonl"
    path.write_text("".join(json.dumps({"doc_id": d, "split": s}) + "\n" for d, s in pinned.items()))

    second = prepare_dataset(options(tmp_path / "b", [FIXTURES / "labelled.jsonl"], splits_from=str(path)))
    now = _splits(second)
    assert {d: now[d] for d in pinned if d in now} == {d: s for d, s in pinned.items() if d in earlier}
    assert new_doc in now
    assert second.stats["splits_from"] == {
        "file": str(path),
        "documents_kept": len(earlier) - 1,
        "documents_placed_new": 1,
        "documents_listed_but_absent": 1,
        "train_only_listed_elsewhere": 0,
    }
    assert second.stats["input_signature"] != first.stats["input_signature"], "a changed splits file means the data must be prepared again"


def test_documents_of_a_train_only_origin_are_always_trained_on_and_leave_the_other_documents_where_they_were(tmp_path):
    extra = tmp_path / "pairs.jsonl"
    pairs = [("pair-1", "We are ready to talk.", "conciliatory"), ("pair-1", "We are ready to strike.", "hardline")]
    pairs += [(f"pair-{i}", f"Pair {i} says talks can resume next week.", "conciliatory") for i in range(2, 12)]
    extra.write_text("".join(json.dumps({"doc_id": d, "text": t, "label": label, "origin": "contrast"}) + "\n" for d, t, label in pairs))
    inputs = [FIXTURES / "labelled.jsonl", extra]
    before = prepare_dataset(options(tmp_path / "a", [FIXTURES / "labelled.jsonl"]))
    after = prepare_dataset(options(tmp_path / "b", inputs, metadata=[*META, "origin"], train_only_origins=["contrast"]))

    placed = _splits(after)
    assert {placed[f"pair-{i}"] for i in range(1, 12)} == {"train"}, "never in validation or test"
    assert {d: s for d, s in placed.items() if not d.startswith("pair-")} == _splits(before), "the other documents keep their split"
    assert after.stats["train_only"] == {"origins": ["contrast"], "documents": 11, "sentences": 12}
    assert after.stats["splits"]["train"]["sentences"] == before.stats["splits"]["train"]["sentences"] + 12
    placed_anyway = prepare_dataset(options(tmp_path / "c", inputs, metadata=[*META, "origin"], train_only_origins=[]))
    assert {s for d, s in _splits(placed_anyway).items() if d.startswith("pair-")} != {"train"}, "without the setting they are placed"

    # an earlier splits.jsonl lists the train-only documents too: they are present, not "listed but absent"
    train_only = dict(metadata=[*META, "origin"], train_only_origins=["contrast"])
    again = options(tmp_path / "d", inputs, splits_from=str(after.path / "splits.jsonl"), **train_only)
    assert prepare_dataset(again).stats["splits_from"]["documents_listed_but_absent"] == 0
    # one made without the setting placed some pairs in validation or test: they go to train, and the count says so
    moved = sum(1 for d, s in _splits(placed_anyway).items() if d.startswith("pair-") and s != "train")
    redo = options(tmp_path / "e", inputs, splits_from=str(placed_anyway.path / "splits.jsonl"), **train_only)
    result = prepare_dataset(redo)
    assert result.stats["splits_from"]["train_only_listed_elsewhere"] == moved > 0
    assert {_splits(result)[f"pair-{i}"] for i in range(1, 12)} == {"train"}


def test_a_train_only_origin_without_a_train_split_is_refused_in_one_line(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"doc_id": "pair-1", "text": "We are ready to talk.", "label": "conciliatory", "origin": "contrast"}) + "\n")
    data = options(tmp_path, [FIXTURES / "labelled.jsonl", pairs], metadata=[*META, "origin"], splits=SplitRatios(0.0, 0.5, 0.5))
    with pytest.raises(StanceError, match=r"1 documents have a train-only origin \(contrast\) but data.splits.train is 0"):
        prepare_dataset(data)
    assert not (tmp_path / "out").exists(), "nothing half-written"


def test_held_out_files_are_read_whole_when_the_training_data_has_an_earlier_split_or_train_only_origins(tmp_path):
    # stance-train reads the dev and running-text files with the training data's options; an earlier
    # assignment of train and validation documents, or its train-only origins, must not be applied to
    # them (it failed before)
    first = prepare_dataset(options(tmp_path / "a", [FIXTURES / "labelled.jsonl"]))
    held_out = tmp_path / "held_out.jsonl"
    fixture_rows = [json.loads(line) for line in (FIXTURES / "labelled.jsonl").read_text().splitlines()]
    documents = sorted({r["doc_id"] for r in fixture_rows})
    origin = {d: "contrast" if i % 2 else "real" for i, d in enumerate(documents)}  # half the documents of a train-only origin
    held_out.write_text("".join(json.dumps({**r, "origin": origin[r["doc_id"]]}) + "\n" for r in fixture_rows))
    data = options(tmp_path / "b", [FIXTURES / "labelled.jsonl"], splits_from=str(first.path / "splits.jsonl"), train_only_origins=["contrast"])
    data.metadata = [*META, "origin"]
    rows = read_labelled(data, [str(held_out)], ("conciliatory", "hardline", "neutral"))
    assert len(rows.texts) == 36, "every row of the held-out file, none kept back for train or validation"


def test_a_splits_file_naming_an_unknown_split_is_refused_in_one_line(tmp_path):
    path = tmp_path / "splits.jsonl"
    path.write_text(json.dumps({"doc_id": "d1", "split": "dev"}) + "\n")
    with pytest.raises(StanceError, match=r"row 1: field 'split' is 'dev' for doc_id 'd1', not one of test, train, validation"):
        prepare_dataset(options(tmp_path, [FIXTURES / "labelled.jsonl"], splits_from=str(path)))
    assert not (tmp_path / "out").exists(), "nothing half-written"
    path.write_text(json.dumps({"split": "train"}) + "\n")
    with pytest.raises(StanceError, match=r"row 1: field 'doc_id' is None, not a document id"):
        prepare_dataset(options(tmp_path, [FIXTURES / "labelled.jsonl"], splits_from=str(path)))


def test_csv_with_column_mapping_and_label_synonyms(tmp_path):
    opts = options(
        tmp_path,
        [FIXTURES / "labelled.csv"],
        columns=Columns(text="sentence", label="stance", doc_id="document"),
        splits=SplitRatios(0.5, 0.25, 0.25),
    )
    result = prepare_dataset(opts)
    ds = load_from_disk(str(result.path))
    rows = {t: ds[s].features["label"].int2str(i) for s in ds for t, i in zip(ds[s]["text"], ds[s]["label"])}
    assert rows["Any further incursion will be met with force."] == "hardline"  # HAWKISH
    assert rows["Both sides agreed to exchange prisoners before the holiday."] == "conciliatory"  # dovish


def test_duplicates_are_dropped_and_conflicts_reported(tmp_path):
    src = tmp_path / "dups.jsonl"
    rows = (
        [
            {"text": "We are ready to talk.", "label": "conciliatory", "doc_id": "a"},
            {"text": "We are ready to talk.", "label": "conciliatory", "doc_id": "b"},
            {"text": "we are READY to talk!", "label": "conciliatory", "doc_id": "c"},
            {"text": "Why not?", "label": "conciliatory", "doc_id": "d"},
            {"text": "Why not?", "label": "hardline", "doc_id": "e"},
        ]
        + [{"text": f"Sentence number {i} rejects the offer.", "label": "hardline", "doc_id": f"h{i}"} for i in range(6)]
        + [{"text": f"Sentence number {i} welcomes the offer.", "label": "conciliatory", "doc_id": f"c{i}"} for i in range(6)]
    )
    src.write_text("\n".join(json.dumps(r) for r in rows))
    result = prepare_dataset(options(tmp_path, [src]))
    assert result.stats["dropped"]["exact_duplicate"] == 1
    assert result.stats["dropped"]["normalised_duplicate"] == 1
    assert result.stats["dropped"]["label_conflict"] == 2
    assert "Why not?" in (result.path / "conflicts.csv").read_text()


def test_failed_prepare_leaves_previous_output_intact(tmp_path):
    good = prepare_dataset(options(tmp_path, [FIXTURES / "labelled.jsonl"]))
    before = (good.path / "stats.json").read_bytes()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "label": "conciliatory"}\n{"text": "x", "label": "angry"}\n')
    with pytest.raises(StanceError, match="unknown label 'angry'"):
        prepare_dataset(options(tmp_path, [FIXTURES / "labelled.jsonl", bad]))
    assert (good.path / "stats.json").read_bytes() == before
    assert not [p for p in good.path.parent.iterdir() if p.name.startswith(".")]


@st.composite
def labelled_corpora(draw):
    docs = draw(st.integers(min_value=3, max_value=25))
    rows = []
    for d in range(docs):
        for s in range(draw(st.integers(min_value=1, max_value=5))):
            label = draw(st.sampled_from(["conciliatory", "hardline", "neutral"]))
            rows.append({"text": f"Document {d} sentence {s} says something.", "label": label, "doc_id": f"doc{d}"})
    return rows


@given(labelled_corpora(), st.integers(0, 1000))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_prepare_never_loses_duplicates_or_straddles(tmp_path, rows, seed):
    labels = {r["label"] for r in rows}
    src = tmp_path / f"in-{seed}.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows))
    opts = options(tmp_path / f"run-{seed}", [src], labels=["conciliatory", "hardline", "neutral"], drop_labels=[], seed=seed)
    if len(labels) < 2:
        with pytest.raises(StanceError):
            prepare_dataset(opts)
        return
    ds = load_from_disk(str(prepare_dataset(opts).path))
    texts = [t for split in ds for t in ds[split]["text"]]
    assert sorted(texts) == sorted(r["text"] for r in rows), "every sentence exactly once"
    owners = {}
    for split in ds:
        for doc in ds[split]["doc_id"]:
            assert owners.setdefault(doc, split) == split, "a document straddles splits"


@pytest.mark.parametrize("kind", ["parquet", "tsv", "json", "semicolon.csv"])
def test_prepare_reads_parquet_tsv_a_json_array_and_a_semicolon_csv_like_jsonl(tmp_path, kind):
    import pandas as pd

    rows = [json.loads(line) for line in (FIXTURES / "labelled.jsonl").read_text().splitlines() if line.strip()]
    table = pd.DataFrame(rows)
    path = tmp_path / f"labelled.{kind}"
    if kind == "parquet":
        table.to_parquet(path)
    elif kind == "tsv":
        table.assign(tags=table["tags"].map(";".join)).to_csv(path, sep="\t", index=False)
    elif kind == "semicolon.csv":
        # as a spreadsheet in a locale whose decimal mark is the comma saves "CSV"
        table.assign(tags=table["tags"].map("|".join)).to_csv(path, sep=";", index=False)
    else:
        path.write_text(json.dumps(rows))
    reference = prepare_dataset(options(tmp_path / "jsonl", [FIXTURES / "labelled.jsonl"]))
    result = prepare_dataset(options(tmp_path / kind, [path]))
    a, b = load_from_disk(str(reference.path)), load_from_disk(str(result.path))
    for split in ("train", "validation", "test"):
        assert a[split]["text"] == b[split]["text"] and a[split]["label"] == b[split]["label"] and a[split]["tags"] == b[split]["tags"]


def test_the_header_line_alone_decides_a_csv_separator(tmp_path):
    from stance.data.readers import csv_delimiter

    csv_path, tsv_path = tmp_path / "a.csv", tmp_path / "a.tsv"
    assert csv_delimiter(csv_path, "text;label\nWe refuse; never.;hardline\n") == ";"
    assert csv_delimiter(csv_path, "text\tlabel\nhello\tneutral\n") == "\t"
    # a comma file whose cells hold semicolons stays a comma file, and so does a one-column file
    assert csv_delimiter(csv_path, 'text,label\n"We refuse; we will not yield.",hardline\n') == ","
    assert csv_delimiter(csv_path, "text\nWe refuse; we will not yield.\n") == ","
    assert csv_delimiter(tsv_path, "text;label\n") == "\t"


def test_inputs_are_files_folders_or_glob_patterns_each_found_once(tmp_path):
    from stance.data.readers import discover

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".hidden").mkdir()
    for name in ("a/x.csv", "a/y.jsonl", "a/notes.md", "a/_run.json", "a/.hidden/z.csv", "b.csv", "c.txt"):
        (tmp_path / name).write_text("text,label\nhello,neutral\n")
    exclude = ("*.md", "_*")
    found = discover([str(tmp_path / "a"), str(tmp_path / "*.csv"), str(tmp_path / "a" / "x.csv"), str(tmp_path / "**" / "*.txt")], exclude)
    # the folder's readable files (not notes, run records or hidden folders), the pattern's match, once each
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/x.csv", "a/y.jsonl", "b.csv", "c.txt"]
    with pytest.raises(StanceError, match=r"predict\.input.*quote it"):
        discover([str(tmp_path / "*.parquet")], setting="predict.input")
    with pytest.raises(StanceError, match="no readable file"):
        discover([str(tmp_path / "a" / "*.md")], exclude)
