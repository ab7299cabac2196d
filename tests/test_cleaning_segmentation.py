from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from stance.data.cleaning import BoilerplateFilter, dedup_key, normalise_text
from stance.data.segmentation import article_sentences, split_sentences

RAW = Path(__file__).resolve().parents[1] / "data" / "raw_articles"


def test_abbreviations_and_quotes_do_not_break_sentences():
    text = (
        'The U.S. and N. Korea met on Jan. 5 in St. Petersburg. "We are ready. We have always been ready," she said. '
        "Gen. J. R. Smith arrived at 3 p.m. on Friday. Is it over?"
    )
    assert split_sentences(text) == [
        "The U.S. and N. Korea met on Jan. 5 in St. Petersburg.",
        '"We are ready. We have always been ready," she said.',
        "Gen. J. R. Smith arrived at 3 p.m. on Friday.",
        "Is it over?",
    ]


def test_boilerplate_lines_are_removed_and_prose_kept():
    bp = BoilerplateFilter()
    for line in [
        "- Advertisement -",
        "ADVERTISEMENT",
        "Sign up for our daily newsletter",
        "Share this article",
        "Photo: AFP/Getty Images",
        "Read more: Talks collapse",
        "Copyright 2024 Wire. All rights reserved.",
        "Story continues below advertisement",
        "5 min read",
        "(Photo by Ana Ruiz / Reuters)",
    ]:
        assert bp.is_boilerplate(line), line
    for line in [
        "The minister said the advertisement campaign was hostile.",
        "Share prices fell after the sanctions.",
        "We will never accept this ultimatum.",
    ]:
        assert not bp.is_boilerplate(line), line


def test_bundled_raw_articles_lose_their_boilerplate():
    files = sorted(RAW.glob("*.txt"))
    assert len(files) >= 30
    markers = ("advertisement", "newsletter", "share this", "all rights reserved", "photo:", "subscribe")
    total = 0
    for path in files:
        sentences = article_sentences(path.read_text(encoding="utf-8-sig"))
        total += len(sentences)
        for s in sentences:
            low = s.lower()
            assert not (len(s.split()) < 9 and any(m in low for m in markers)), (path.name, s)
    assert total > 30 * 10


def test_crlf_bom_and_nbsp_are_normalised():
    assert normalise_text("\ufeffWe\u00a0are\tready.\r\n") == "We are ready."
    assert article_sentences("\ufeffTitle\r\n\r\nWe are ready. They are not.\r\n") == ["Title", "We are ready.", "They are not."]


def test_dedup_key_ignores_case_quotes_and_punctuation():
    assert dedup_key("“We are READY,” she said.") == dedup_key('"We are ready" she said')


@given(st.text(max_size=300))
@settings(deadline=None)
def test_normalise_is_idempotent(text):
    once = normalise_text(text)
    assert normalise_text(once) == once


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80), max_size=8))
@settings(deadline=None)
def test_article_cleaning_is_idempotent(lines):
    bp = BoilerplateFilter()
    text = "\n".join(lines)
    once = bp.clean_article(text)
    assert bp.clean_article("\n\n".join(once)) == once
