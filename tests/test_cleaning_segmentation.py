from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stance.data.cleaning import BoilerplateFilter, dedup_key, is_news_line, normalise_text, strip_news_furniture
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


def test_abbreviations_pysbd_does_not_list_do_not_end_a_sentence():
    text = (
        "The missiles fell at approx. 7:40 a.m. local time. The forum drew approx. 17,000 participants, incl. "
        "delegations from Brazil. She flew in on Wed. evening. Turkey must pay approx. $1.5 billion. "
        "They cited Art. 5 and para. 3 of the treaty. Amb. Linda Thomas-Greenfield and Pres. Ruto spoke."
    )
    assert split_sentences(text) == [
        "The missiles fell at approx. 7:40 a.m. local time.",
        "The forum drew approx. 17,000 participants, incl. delegations from Brazil.",
        "She flew in on Wed. evening.",
        "Turkey must pay approx. $1.5 billion.",
        "They cited Art. 5 and para. 3 of the treaty.",
        "Amb. Linda Thomas-Greenfield and Pres. Ruto spoke.",
    ]


def test_an_enumeration_stays_one_sentence():
    text = "Officials said the talks covered (i) the hotline; (ii) aid of approx. 2.5 million tonnes over 3 yrs.; and (iii) remains."
    assert split_sentences(text) == [text]


def test_a_sentence_that_ends_in_a_word_still_ends_before_a_number():
    assert split_sentences("The talks ended in Geneva. 17 people were arrested outside.") == [
        "The talks ended in Geneva.",
        "17 people were arrested outside.",
    ]


@pytest.mark.parametrize(("close", "open_"), [("\u201d", "\u201c"), ('"', '"')])
def test_a_quotation_that_opens_after_one_that_ended_is_its_own_sentence(close, open_):
    text = f"He called the plan {open_}a grave threat.{close} {open_}Egypt will not accept it, today or ever,{close} he said."
    assert split_sentences(text) == [
        f"He called the plan {open_}a grave threat.{close}",
        f"{open_}Egypt will not accept it, today or ever,{close} he said.",
    ]
    within = f"{open_}We are ready. We have always been ready,{close} she said."
    assert split_sentences(within) == [within], "sentences inside one quotation stay with their attribution"


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


NEWS_LINES = [
    "SEOUL, Jan. 16 (Hanbit Wire) — By Park Ji-won and Daniel R. Hale",
    "MOSCOW, Feb 9 — By Anna Petrova",
    "WASHINGTON (Reuters) -",
    "KYIV, Ukraine —",
    "LAGOS, March 3, 2025 | By Chidi Okafor | 4 min read",
    "QUITO — Andean Wire — August 7, 2024",
    "NEW DELHI/ISLAMABAD, Sept. 20 (Subcontinent Press Agency)",
    "BRASÍLIA, June 5 (Southern Cone Press) — World Environment Day",
    "By Anna Petrova and Tom Reed, Reuters",
    "By STAFF REPORTER",
    "By Tom Reed | Foreign Correspondent",
    "(Photo: AFP/Getty Images)",
    "Photo: Lee Sang-hoon / Hanbit Wire",
    "AP Photo/Efrem Lukatsky",
    "Image courtesy of the Foreign Ministry",
    "Video: Protesters gather outside the embassy",
    "Credit: Reuters",
    "Reporting by Park Ji-won; Editing by Miriam O'Connell",
    "Writing by Tom Reed; Editing by Alex Richardson",
    "Additional reporting by Lena Park in Tokyo",
    "Updated: 14:32 GMT",
    "Updated on March 3, 2024",
    "Related: Separated families running out of time, Red Cross warns",
    "RELATED COVERAGE: Talks stall in Geneva",
    "Click here for live updates",
    "Follow Anna Petrova on X @apetrova",
    "Listen to this article • 6 min read",
    "Accept all | Reject all | Manage preferences",
]
CONTENT_LINES = [
    "Moscow said on Friday it would not attend the talks.",
    "BRUSSELS has refused to negotiate.",
    "Paris, which hosted the talks, said it would try again.",
    "By refusing the offer, Beijing has closed the door.",
    "By Tuesday, both sides had agreed to a ceasefire.",
    "By contrast, Ankara welcomed the plan.",
    "Related talks will continue next week.",
    "Updated proposals were sent to Ankara on Monday.",
    "The photo of the summit was widely shared.",
    "Credit for the deal goes to the mediators.",
    "NATO — the alliance said — will not be drawn in.",
    "NATO Allies Back Kyiv",
    "EU, US Agree On Steel Tariffs",
    "Kyiv, the capital, was quiet.",
    "AP reported that the talks had failed.",
    "Click by click, the negotiators rebuilt the text.",
    "Contact with Moscow on the matter has been suspended.",
    "Follow through on these commitments at once.",
    "Updated on its position, Moscow rejected the offer.",
    "More - much more - must be done to punish the aggressor.",
    "Published at last, the report blames both sides.",
]


@pytest.mark.parametrize("line", NEWS_LINES)
def test_news_furniture_of_many_agencies_is_recognised(line):
    assert is_news_line(line) or BoilerplateFilter().is_boilerplate(line), line
    article = f"Headline of the day\n{line}\nThe two ministers met in Vienna."
    assert article_sentences(article) == ["Headline of the day", "The two ministers met in Vienna."]


@pytest.mark.parametrize("line", CONTENT_LINES)
def test_content_lines_that_look_like_furniture_stay(line):
    assert not is_news_line(line), line
    assert line in article_sentences(line) or normalise_text(line) in " ".join(article_sentences(line))


def test_an_opening_dateline_and_inline_credits_are_cut_from_the_sentence_which_stays():
    assert strip_news_furniture("MOSCOW, Feb 9 (Reuters) - Russia said it would not attend.") == "Russia said it would not attend."
    assert strip_news_furniture("KYIV, Ukraine — Ukraine said talks were possible.") == "Ukraine said talks were possible."
    assert strip_news_furniture("The minister (Photo: AFP) arrived in Geneva.") == "The minister arrived in Geneva."
    assert strip_news_furniture("NATO - the alliance will not be drawn in.") == "NATO - the alliance will not be drawn in."
    bp = BoilerplateFilter()
    text = "Talks resume\nGENEVA, May 2 (Alpine Wire) — Both sides agreed to meet again. [Photo: Reuters/Denis Balibouse]\nPhoto: Reuters"
    assert article_sentences(text, bp) == ["Talks resume", "Both sides agreed to meet again."]
    assert sum(bp.removed.values()) == 2 and bp.removed["dateline_or_credit_cut"] == 1, bp.removed
