"""Sentence boundaries with exact character offsets.

A small rule-based splitter instead of a general NLP library: it must return
offsets into the original text (never a normalised copy), it runs over every
sentence at ingest time, and news prose needs only a few rules: lines are
paragraphs, and a sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing
quotes) before a capitalised word, unless the period ends an abbreviation or
an initial.
"""

from __future__ import annotations

import re

from .records import Span

# Titles written with a full stop before a name ("Dr. Lorraine Vasquez"): the stop ends no sentence.
TITLE_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "pres",
    ]
)
# Period-terminated words that rarely end a sentence in news text.
_ABBREVIATIONS = TITLE_ABBREVIATIONS | frozenset(
    [
        "sr",
        "jr",
        "vs",
        "etc",
        "no",
        "nos",
        "inc",
        "ltd",
        "co",
        "corp",
        "bros",
        "dept",
        "univ",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ft",
        "fig",
        "approx",
        "est",
        "al",
        "ca",
        "c",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
    ]
)

_LINE = re.compile(r"[^\r\n]+")
# One line break: "\n", Windows "\r\n" or a classic-Mac lone "\r". Text keeps the breaks it has (offsets
# index it), so everything that reads lines or paragraphs reads all three.
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_start(text: str, offset: int) -> int:
    """Where the line holding ``offset`` starts (after the last line break before it)."""
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


def line_end(text: str, offset: int) -> int:
    """Where the line holding ``offset`` ends (its line break, or the end of ``text``)."""
    found = LINE_BREAK.search(text, offset)
    return found.start() if found else len(text)


def next_line_start(text: str, end: int) -> int:
    """Where the line after the one ending at ``end`` starts (past its "\n", "\r\n" or "\r"); ``end``
    itself at the end of ``text``."""
    found = LINE_BREAK.match(text, end)
    return found.end() if found else end


def previous_line_end(text: str, start: int) -> int:
    """The end of the line before the one starting at ``start`` (before its "\n", "\r\n" or "\r")."""
    end = start - 1
    return end - 1 if end > 0 and text[end] == "\n" and text[end - 1] == "\r" else end

# Terminal punctuation, optional closing quotes/brackets and footnote markers ("…in 1978.[3]",
# "….[citation needed]", "…dawn.²": a saved Wikipedia page, a note number), whitespace, then
# something that can start a sentence.
NOTE_MARKER = r"(?:\[(?:\w{1,3}|n \d{1,3}|note \d{1,3}|citation needed)\]|[¹²³⁰⁴-⁹]+)"
_BOUNDARY = re.compile(rf"[.!?…]+[\"'”’)\]]*{NOTE_MARKER}*(?=\s+[\"'“‘(\[]*[A-Z0-9À-Ý])")
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")
_HAS_WORD = re.compile(r"\w")
_JUNK = re.compile(
    r"^[\W_]*(more|read more|continue reading|continued|advertisement|share|"
    r"share this(?: article| story| page| post)?|print this(?: article| page)?|click here|subscribe|"
    r"sign in|log in|sign up)[\W_]*$",
    re.IGNORECASE,
)
# A link to another story inside the article ("Read more: Fishermen fear for cod grounds"): that
# story's headline, not this article's words. Only a short, unpunctuated tail: "Related: the mayor
# said on Monday that…" is prose.
_PROMO = re.compile(
    r"^[\W_]*(?:read more|read also|also read|more on this(?: story)?|related(?: stories| articles?)?|see also|"
    r"recommended|don[’']t miss|must read|watch|listen)\s*[:：|»›>–—-]\s*[^.!?]{0,120}[^\w.!?]*$",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


def _is_abbreviation(text: str, period_end: int) -> bool:
    """True when the ``.`` ending at ``period_end`` closes an abbreviation or initial."""
    window = text[max(0, period_end - 12) : period_end]
    match = _WORD_BEFORE.search(window)
    if not match:
        return False
    word = match.group(1).lower()
    if len(word) == 1 and word.isalpha():  # an initial: "George W. Bush"
        return True
    return word in _ABBREVIATIONS


def split_sentences(text: str) -> list[Span]:
    """Return the sentences of ``text`` as trimmed, non-empty spans, in order."""
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        start = line.start()
        end = line.end()
        cursor = start
        for boundary in _BOUNDARY.finditer(text, start, end):
            stop = boundary.end()
            single_period = text[boundary.start()] == "." and boundary.end() - boundary.start() == 1
            if single_period and _is_abbreviation(text, boundary.start() + 1):
                continue
            _append_trimmed(text, cursor, stop, spans)
            cursor = stop
        _append_trimmed(text, cursor, end, spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[Span]) -> None:
    # A byte-order mark (U+FEFF) is invisible, and str.isspace() does not count it: skipped like
    # space, so a file's leading mark never opens its first quote.
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append(Span(start, end))


def normalise(text: str) -> str:
    """Case- and whitespace-insensitive form, for duplicate detection."""
    return _SPACE.sub(" ", text).strip().casefold()


def is_junk(sentence: str) -> bool:
    """True for trailers and ornaments that must never become a quote."""
    return not _HAS_WORD.search(sentence) or bool(_JUNK.match(sentence)) or bool(_PROMO.match(sentence))


def quotable_sentences(text: str) -> list[Span]:
    """Sentences worth quoting: junk removed, repeated sentences kept once.

    A photo caption printed twice (perhaps with different spacing) is quoted
    from its first occurrence only.
    """
    seen: set[str] = set()
    kept: list[Span] = []
    for span in split_sentences(text):
        sentence = text[span.start : span.end]
        if is_junk(sentence):
            continue
        key = normalise(sentence)
        if key in seen:
            continue
        seen.add(key)
        kept.append(span)
    return kept
