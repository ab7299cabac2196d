"""The annotation guidelines teach with training material only: no example is close to a held-out sentence."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDELINES = ROOT / "data" / "GUIDELINES.md"
HELD_OUT = (ROOT / "data" / "realtext" / "dev.jsonl", ROOT / "data" / "realtext" / "running.jsonl")
MIN_WORDS = 5  # shorter quotations are stock phrases ("our just rights", "has reason to believe"), not paraphrases of one sentence
MAX_DISTANCE = 0.4  # word edits per example word: at or under this, the example is a paraphrase


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def guideline_examples(text: str) -> list[str]:
    """Quoted examples ("...") and the sentence column of the worked-examples table."""
    quoted = re.findall(r'"([^"\n]+(?:\n[^"\n]+)?)"', text)
    table = [m.group(1).strip() for m in re.finditer(r"^\| ([^|]+) \| (?:conciliatory|hardline|neutral) \|", text, re.M)]
    return [" ".join(e.split()) for e in quoted + table if len(_words(e)) >= MIN_WORDS]


def _edit_distance(a: list[str], b: list[str]) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def closeness(example: str, sentence: str) -> float:
    """Word edits per example word between the example and the closest stretch of the sentence (0 = contained verbatim)."""
    e, s = _words(example), _words(sentence)
    if not set(e) & set(s):
        return 1.0
    best = len(e)
    for size in range(max(1, len(e) - 2), len(e) + 3):
        for start in range(0, max(1, len(s) - size + 1)):
            best = min(best, _edit_distance(e, s[start : start + size]))
    return best / len(e)


def close_pairs(examples: list[str], sentences: list[str]) -> list[tuple[str, str, float]]:
    out = []
    for example in examples:
        words = set(_words(example))
        for sentence in sentences:
            if len(words & set(_words(sentence))) < len(words) * (1 - MAX_DISTANCE):
                continue  # too few shared words to be within the distance
            score = closeness(example, sentence)
            if score <= MAX_DISTANCE:
                out.append((example, sentence, score))
    return out


def _held_out_sentences() -> list[str]:
    sentences = []
    for path in HELD_OUT:
        assert path.exists(), f"{path} is missing"
        sentences += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sentences


def test_the_closeness_measure_catches_a_paraphrase_and_passes_an_unrelated_sentence():
    dev = "With the Barbary Powers we continue in harmony, with the exception of an unjustifiable proceeding of the Dey of Algiers."
    assert close_pairs(["With the Barbary Powers we continue in harmony, save an unjustifiable act of the Dey"], [dev])
    assert not close_pairs(["We will not negotiate under threat."], [dev])


def test_no_guideline_example_is_close_to_a_development_or_running_text_sentence():
    examples = guideline_examples(GUIDELINES.read_text(encoding="utf-8"))
    assert len(examples) > 60, "the example extractor found too few examples: the guidelines' format changed"
    found = close_pairs(examples, _held_out_sentences())
    assert not found, "\n".join(f"{score:.2f}  {e!r}  ~  {s[:120]!r}" for e, s, score in found)
