"""Unicode and whitespace normalisation, removal of scraped web boilerplate and of news lines that are not content.

Two kinds of line never reach the model from a raw article: web boilerplate (advertisement markers,
share and newsletter prompts, cookie notices) and news furniture (datelines, bylines, photo and
video credits, "Reporting by ...; Editing by ...", "Updated: ...", "Related: ...", "Click here ...").
Such lines take no side, yet a classifier that must name a side gives them one, and then they vote in
the document's stance. A dateline that opens the first sentence ("MOSCOW, Feb 9 (Reuters) - Russia
said ...") and an inline credit ("(Photo: AFP)") are cut from the sentence, which is kept. Every
removal is counted by kind (`BoilerplateFilter.removed`) and reported (`removed_summary`): `stance-prepare`
prints the counts and keeps them in `stats.json` (`article_cleaning`); `stance-predict`, `stance-trend` and
`stance-annotate select` print them, and `predict_document` returns them with the document.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

_PAGE_CONTROL = r"(?:accept all|reject all|manage preferences|copy link|save article|gift article)"

# Lines a scraper picks up from news pages. Matched against a whole (stripped) line, case-insensitive.
BOILERPLATE_PATTERNS: tuple[str, ...] = (
    r"[-–—•*\s]*advertisement[-–—•*\s]*",
    r"story continues below(?: the)? advertisement",
    r"(?:sign up|subscribe)\b.*\b(?:newsletter|updates|alerts|briefing)\b.*",
    r"click here to (?:subscribe|sign up|read more).*",
    r"share (?:this|on|via)\b.*",
    r"(?:follow us|like us) on\b.*",
    r"(?:photo|image|picture|video)(?: credit)?s?\s*[:|].*",
    r"\(\s*(?:photo|image|picture) (?:by|credit|courtesy)\b.*\)",
    r"(?:read more|related|see also|watch|listen)\s*:.*",
    r"listen to this article.*",
    rf"{_PAGE_CONTROL}(?:\s*[|•·]\s*{_PAGE_CONTROL})*",
    r"vol\.?(?:\s*\d+)?",
    r"\d+\s*min(?:ute)?s? read",
    r"(?:updated|published|last updated)\b.{0,40}\b(?:gmt|utc|bst|cet|est|edt|pst|am|pm|\d{1,2}:\d{2})\b.*",
    r"(?:copyright|©)\s*.*",
    r"all rights reserved\.?",
    r"this (?:article|story) (?:was|has been) (?:originally )?(?:published|updated|amended)\b.*",
    r"reporting by\b.*",
    r"(?:writing|editing|additional reporting) by\b.*",
    r".*\b(?:we use cookies|accept (?:all )?cookies|cookie (?:policy|settings|preferences))\b.*",
    r"(?:email|print|comments?|tweet|whatsapp)\s*",
    r"(?:loading|advertisement)\.{0,3}",
)

_UP = "A-ZÀ-ÖØ-Þ"  # capital letters, accented ones included (BRASÍLIA)
_CAPS_PLACE = rf"[{_UP}][{_UP}.'’\-]{{2,}}(?:\s+[{_UP}][{_UP}.'’\-]+){{0,3}}(?:/[{_UP}][{_UP}.'’\-]{{2,}}(?:\s+[{_UP}][{_UP}.'’\-]+){{0,3}}){{0,3}}"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)\w*\b"
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})"
# the opening of a dateline: a city in capitals and at least one of a date, an agency in brackets or a region ("KYIV, Ukraine")
_DATELINE = (
    rf"(?-i:{_CAPS_PLACE})(?:,\s*{_DATE}(?:\s*\([^)]{{2,40}}\))?|\s*\([^)]{{2,40}}\)|,\s*(?-i:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)(?:,\s*{_DATE})?)"
)
# names and titles in capitals, whatever the case-insensitive flag of the whole pattern says
_NAME = r"(?-i:[A-Z][\w.'’\-]*(?:\s+(?:[A-Z][\w.'’\-]*|de|van|von|al|bin|da|del|la|le)){0,4})"
_TITLE = r"(?-i:[A-Z][\w.'’\-]*(?:\s+(?:[A-Z][\w.'’\-]*|in|of|and|for|at|&|staff|agencies|correspondents?|reporters?|desk)){0,5})"
_BYLINE = rf"by\s+{_NAME}(?:\s*(?:,|and|&)\s*{_NAME}){{0,3}}(?:\s*[,|;/\-–—]\s*{_TITLE})?"
# what a dateline line holds after the city: dates, the agency, the outlet's name, the byline, an update time, reading time
_STRONG_PART = rf"(?:{_DATE}|\([^)]{{2,40}}\)|{_BYLINE}|updated\s+[\w:., ]{{1,30}}|\d+\s*min(?:ute)?s?\s+read)"
_SEPARATOR = r"(?:\s*[,|•·\-–—]+\s*|\s+(?=\())"
# a whole dateline line: the city, then furniture only. An outlet's name counts only after a separator, so a
# headline that opens with an acronym ("NATO Allies Back Kyiv") is not taken for one
_DATELINE_LINE = rf"(?-i:{_CAPS_PLACE})(?:\s*,?\s*{_STRONG_PART}|{_SEPARATOR}{_TITLE})(?:{_SEPARATOR}(?:{_STRONG_PART}|{_TITLE}))*\s*[-–—]*"

# Lines of a news page that are not content, matched against a whole (stripped) line, case-insensitive
# except where the pattern itself insists on capitals (a dateline's city).
NEWS_LINE_PATTERNS: tuple[str, ...] = (
    _DATELINE_LINE,  # "SEOUL, Jan. 16 (Hanbit Wire) — By Park Ji-won and Daniel R. Hale", "QUITO — Andean Wire — August 7, 2024"
    _BYLINE,  # "By Anna Petrova and Tom Reed, Reuters"
    r"(?:photo|photograph|image|picture|video|graphic|illustration|footage)s?(?:\s+(?:credit|by|courtesy(?:\s+of)?))?\s*[:|/].*",
    r"(?:photo|image)s?\s+(?:by|courtesy(?:\s+of)?)\s+.{2,80}",
    r"(?:credit|source)s?\s*:.{0,80}",
    r"(?:reporting|writing|editing|additional reporting|compiled|translated|produced) by\b.*",
    # "Updated: ..." or "Published on 12 May" / "at 10:45": a date or time must follow on/at, so "Updated on its position, ..." stays
    rf"(?:updated|published|posted|last updated|first published)\s*(?::.{{0,80}}|(?:on|at)\s+(?:\d|{_DATE}|{_WEEKDAY}).{{0,70}})",
    r"(?:related|related coverage|read more|read also|see also|also read|recommended)\s*[:|\-–—]\s*.*",
    r"(?:more|watch|listen)\s*[:|]\s*.*",  # no dash: "More - much more - must be done" is a sentence
    r"click here\b.*",
    # a name in capitals whatever the pattern's flag: "Contact with Moscow on ..." and "Follow through on ..." stay
    r"(?:follow|contact)\s+(?:us|the author|the reporter|(?-i:[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,2}))\s+(?:on|at|via)\b.{0,60}",
    r"[(\[]?\s*(?:AFP|AP|Reuters|EPA|Getty Images|Xinhua|Anadolu|TASS)(?:\s+(?:photo|images?|video))?(?:\s*/\s*[\w .'’\-]+){0,3}\s*[)\]]?",
)
# a dateline that opens a sentence: cut, the sentence kept
_DATELINE_PREFIX = re.compile(rf"^{_DATELINE}\s*[-–—]+\s*(?=[A-Z\"“‘'(])")
# an inline credit in brackets: cut from the sentence
_INLINE_CREDIT = re.compile(
    r"\s*[(\[]\s*(?:(?:photo|photograph|image|picture|video|graphic|file photo)s?(?:\s+(?:credit|by|courtesy(?:\s+of)?))?\s*[:|/]?"
    r"|credit\s*:)[^)\]]{1,80}[)\]]",
    re.IGNORECASE,
)

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})


def normalise_text(text: str) -> str:
    """NFKC-normalise, drop control and zero-width characters, collapse whitespace to single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return " ".join(text.split())


def dedup_key(text: str) -> str:
    """Key under which two sentences count as the same: case, quotes, punctuation and spacing ignored."""
    text = normalise_text(text).translate(_QUOTES).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


_NEWS_LINE = re.compile("|".join(f"(?:{p})" for p in NEWS_LINE_PATTERNS), re.IGNORECASE)


def is_news_line(line: str) -> bool:
    """A dateline, byline, credit or other news furniture that takes no side (the whole line)."""
    line = normalise_text(line)
    if not line or len(line) > 160:
        return False
    return _NEWS_LINE.fullmatch(line) is not None or not strip_news_furniture(line)


def strip_news_furniture(sentence: str) -> str:
    """The sentence without an opening dateline or inline photo credits ("" when nothing else is left)."""
    text = _INLINE_CREDIT.sub("", sentence)
    text = _DATELINE_PREFIX.sub("", text)
    return normalise_text(text)


class BoilerplateFilter:
    """Recognises web boilerplate and news furniture by full-line regular expressions, and counts what it removes."""

    def __init__(self, extra_patterns: Iterable[str] = (), news_lines: bool = True) -> None:
        patterns = list(BOILERPLATE_PATTERNS) + list(extra_patterns)
        self._regex = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        self.news_lines = news_lines
        self.removed: Counter[str] = Counter()  # kind -> lines or pieces cut, over every article cleaned

    def is_boilerplate(self, line: str) -> bool:
        line = normalise_text(line)
        return bool(line) and self._regex.fullmatch(line) is not None

    def clean_article(self, text: str) -> list[str]:
        """Split an article into normalised paragraphs, boilerplate and news-furniture lines removed."""
        text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
        text = _CONTROL.sub("", text)
        paragraphs: list[str] = []
        for line in text.split("\n"):
            line = normalise_text(line)
            if not line:
                paragraphs.append("")
                continue
            if self.is_boilerplate(line):
                self.removed["boilerplate"] += 1
                continue
            if self.news_lines:
                if is_news_line(line):
                    self.removed["news_line"] += 1
                    continue
                stripped = strip_news_furniture(line)
                if stripped != line:
                    self.removed["dateline_or_credit_cut"] += 1
                    line = stripped
                    if not line:
                        continue
            if paragraphs and paragraphs[-1] and _is_wrapped_continuation(paragraphs[-1], line):
                paragraphs[-1] = f"{paragraphs[-1]} {line}"
            else:
                paragraphs.append(line)
        return [p for p in paragraphs if p]


# what each kind of `BoilerplateFilter.removed` counts, as the commands print it after the count
REMOVAL_KINDS = {
    "boilerplate": "web boilerplate line(s) removed",
    "news_line": "news line(s) removed (datelines, bylines, credits, ...)",
    "dateline_or_credit_cut": "dateline(s) or credit(s) cut from a sentence",
}


def removed_summary(removed: Mapping[str, int]) -> str:
    """'2 news line(s) removed (datelines, bylines, credits, ...); 1 web boilerplate line(s) removed': what cleaning took out ("" if nothing)."""
    return "; ".join(f"{count} {REMOVAL_KINDS.get(kind, kind)}" for kind, count in sorted(removed.items()) if count)


def removed_note(removed: Mapping[str, int], fate: str = "not scored") -> str | None:
    """The stderr note of every command that reads raw articles on what cleaning took out of them (None if nothing)."""
    summary = removed_summary(removed)
    return f"stance: note: cleaning took out of the raw articles ({fate}): {summary}" if summary else None


def _is_wrapped_continuation(previous: str, line: str) -> bool:
    """A hard-wrapped line: the previous one stops mid-sentence and this one goes on in lower case."""
    return not re.search(r"[.!?:;\"')\]]$", previous) and line[:1].islower()
