"""Build data/news/articles.jsonl, the written news articles labelled sentence by sentence, from their two labelling passes.

`data/news/raw/*.txt` holds 48 news articles written for this project (invented events in real
places, saved as a scraper would save them: datelines, bylines, credits and boilerplate included).
`stance-prepare` reads them like any raw article; the sentences it keeps were labelled three-way by
two independent annotators and adjudicated: `data/news/agreement.jsonl` holds both passes, the
adjudicated label, the tags and, where the passes differed, the reason. This script turns that file
into the labelled training rows (`origin: written_news`), each with the sentence before it, and
checks that the sentences are exactly the ones the reader takes from the raw files.

    python scripts/news_build.py
"""

from __future__ import annotations

import json
from pathlib import Path

from stance.data.segmentation import article_sentences

NEWS = Path(__file__).resolve().parents[1] / "data" / "news"


def main() -> None:
    rows = [json.loads(line) for line in (NEWS / "agreement.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    by_doc: dict[str, list[dict]] = {}
    for row in rows:
        by_doc.setdefault(row["doc_id"], []).append(row)
    for doc, members in by_doc.items():
        read = article_sentences((NEWS / "raw" / f"{doc}.txt").read_text(encoding="utf-8"))
        if read != [r["text"] for r in members]:
            raise SystemExit(f"{doc}: the labelled sentences are not the ones stance-prepare reads from raw/{doc}.txt; relabel the changed ones")
    out = [
        {
            "doc_id": r["doc_id"],
            "kind": "news_article",
            "register": "news",
            "origin": "written_news",
            "text": r["text"],
            "previous": r["previous"],
            "label": r["adjudicated"],
            "tags": r["tags"],
            "id": r["id"],
        }
        for r in rows
    ]
    (NEWS / "articles.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    counts = {lab: sum(r["label"] == lab for r in out) for lab in ("conciliatory", "hardline", "neutral")}
    print(f"{len(out)} sentences in {len(by_doc)} articles {counts} -> {NEWS / 'articles.jsonl'}")


if __name__ == "__main__":
    main()
