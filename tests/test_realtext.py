"""The real-text set: pre-1900 addresses only, split by address, the development part never trained on."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from stance.errors import StanceError
from stance.train import train

REALTEXT = Path(__file__).resolve().parents[1] / "data" / "realtext"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (REALTEXT / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _year(doc_id: str) -> int:
    return int(doc_id.split("-")[1])


def test_only_addresses_before_1900_and_split_by_address():
    train_rows, dev_rows, unlabelled = _rows("train.jsonl"), _rows("dev.jsonl"), _rows("unlabelled.jsonl")
    for rows in (train_rows, dev_rows, unlabelled):
        assert max(_year(r["doc_id"]) for r in rows) <= 1899
    train_docs, dev_docs = {r["doc_id"] for r in train_rows}, {r["doc_id"] for r in dev_rows}
    assert not train_docs & dev_docs
    assert {r["doc_id"] for r in unlabelled} <= train_docs, "the unlabelled remainder comes from training addresses only"
    assert len(train_docs | dev_docs) >= 40
    dev_labels = Counter(r["label"] for r in dev_rows)
    assert dev_labels["conciliatory"] + dev_labels["hardline"] >= 300
    binary = sum(1 for r in train_rows + dev_rows if r["label"] != "neutral")
    assert binary >= 600 and dev_labels["neutral"] > 0


def test_running_text_passages_come_from_development_addresses_before_1900_only():
    train_docs, dev_docs = {r["doc_id"] for r in _rows("train.jsonl")}, {r["doc_id"] for r in _rows("dev.jsonl")}
    passages = {r["doc_id"] for r in _rows("running.jsonl") if r["origin"] == "real"}
    assert len(passages) >= 10
    for doc_id in passages:
        # a passage's document is named for its address: running-<year>-<president>-<n> for sotu-<year>-<president>-<n>
        address = "sotu-" + doc_id.removeprefix("running-")
        assert _year(address) <= 1899, doc_id
        assert address in dev_docs and address not in train_docs, f"{doc_id} is not a development address"


@pytest.mark.parametrize(
    ("agreement", "labelled", "minimum"),
    [
        ("realtext/agreement.jsonl", ["realtext/dev.jsonl"], 0.75),
        ("realtext/agreement_passages.jsonl", [], 0.80),
        ("realtext/running_agreement.jsonl", ["realtext/running.jsonl"], 0.80),
        ("news/agreement.jsonl", ["news/articles.jsonl"], 0.80),
        ("probes/agreement.jsonl", ["probes/constructions.jsonl"], 0.80),
    ],
)
def test_two_independent_passes_agree_and_every_label_is_the_adjudicated_one(agreement, labelled, minimum):
    data = REALTEXT.parent
    rows = [json.loads(line) for line in (data / agreement).read_text(encoding="utf-8").splitlines() if line.strip()]
    kappa = cohen_kappa_score([r["first_pass"] for r in rows], [r["second_pass"] for r in rows])
    assert kappa >= minimum, f"kappa before adjudication {kappa:.3f}"
    assert all(r.get("reason") for r in rows if r["first_pass"] != r["second_pass"]), "every disagreement adjudicated with a reason"
    final = {r["id"]: r["adjudicated"] for r in rows}
    for name in labelled:
        for row in (json.loads(line) for line in (data / name).read_text(encoding="utf-8").splitlines() if line.strip()):
            assert final[row["id"]] == row["label"]


def test_the_training_part_is_the_adjudicated_labels_of_training_addresses_each_with_its_previous_sentence():
    final = {r["id"]: r["adjudicated"] for r in _rows("agreement.jsonl") + _rows("agreement_passages.jsonl")}
    train_rows = _rows("train.jsonl")
    assert len(train_rows) >= 566 + 2000
    assert all(final[r["id"]] == r["label"] for r in train_rows)
    assert all("previous" in r for r in train_rows) and sum(bool(r["previous"]) for r in train_rows) > 0.95 * len(train_rows)


def test_the_default_data_trains_on_the_real_training_part_and_never_on_the_development_set(tmp_path):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG, options
    from stance.data.cleaning import dedup_key
    from stance.data.dataset import load_prepared, prepare_dataset

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=PRIMARY_CONFIG, overrides=[f"data.output_dir={tmp_path / 'prepared'}"])
    assert cfg.eval.real_dev.endswith("dev.jsonl") and not any("dev.jsonl" in i for i in cfg.data.inputs)
    prepare_dataset(options(cfg, "data"))
    dataset = load_prepared(tmp_path / "prepared")
    texts = {dedup_key(t) for split in dataset.values() for t in split["text"]}
    assert not texts & {dedup_key(r["text"]) for r in _rows("dev.jsonl")}
    probe = REALTEXT.parent / "probes" / "constructions.jsonl"
    probe_texts = {dedup_key(json.loads(line)["text"]) for line in probe.read_text(encoding="utf-8").splitlines()}
    assert not texts & probe_texts, "the construction probe is never trained on"
    assert {dedup_key(r["text"]) for r in _rows("train.jsonl") if r["label"] != "neutral"} <= texts
    assert "real" in set(dataset["train"]["origin"]) and "bundled" in set(dataset["train"]["origin"])
    assert "contrast" in set(dataset["train"]["origin"]), "the contrast pairs are trained on"
    assert "contrast" not in set(dataset["validation"]["origin"]) | set(dataset["test"]["origin"]), "and never scored"


def test_training_reports_the_real_text_development_set_beside_the_test_split(smoke_config, tmp_path, capsys):
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(r) + "\n" for r in _rows("dev.jsonl")[:40]), encoding="utf-8")
    result = train(smoke_config(f"eval.real_dev={dev}"))
    out = capsys.readouterr().out
    assert "real-text dev macro-F1" in out and "never trained on" in out
    assert result["metrics"]["evaluations"]["real_dev"]["n"] == sum(1 for r in _rows("dev.jsonl")[:40] if r["label"] != "neutral")
    report = Path(result["run_dir"]) / "eval-realdev" / "report.md"
    assert report.exists()


def test_a_development_set_that_overlaps_the_training_data_is_refused(smoke_config):
    fixtures = Path(__file__).parent / "fixtures" / "labelled.jsonl"
    with pytest.raises(StanceError, match="never be trained on"):
        train(smoke_config(f"eval.real_dev={fixtures}"))
