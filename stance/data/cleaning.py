"""Unicode and whitespace normalisation, and removal of scraped web boilerplate."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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
    r"listen to this article",
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


class BoilerplateFilter:
    """Recognises boilerplate lines by full-line regular expressions."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        patterns = list(BOILERPLATE_PATTERNS) + list(extra_patterns)
        self._regex = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)

    def is_boilerplate(self, line: str) -> bool:
        line = normalise_text(line)
        return bool(line) and self._regex.fullmatch(line) is not None

    def clean_article(self, text: str) -> list[str]:
        """Split an article into normalised paragraphs, boilerplate lines removed."""
        text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
        text = _CONTROL.sub("", text)
        paragraphs: list[str] = []
        for line in text.split("\n"):
            line = normalise_text(line)
            if not line:
                paragraphs.append("")
            elif not self.is_boilerplate(line):
                if paragraphs and paragraphs[-1] and _is_wrapped_continuation(paragraphs[-1], line):
                    paragraphs[-1] = f"{paragraphs[-1]} {line}"
                else:
                    paragraphs.append(line)
        return [p for p in paragraphs if p]


def _is_wrapped_continuation(previous: str, line: str) -> bool:
    """A hard-wrapped line: the previous one stops mid-sentence and this one goes on in lower case."""
    return not re.search(r"[.!?:;\"')\]]$", previous) and line[:1].islower()
