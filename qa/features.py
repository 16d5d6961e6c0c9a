"""Text cues the sentence scorer and the abstainer read: answer types, names, key terms."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable

from .lexical import tokenize

_MONTHS = r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(tember)?|oct(ober)?|nov(ember)?|dec(ember)?"
_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow"
_NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|dozen"

# (question cue, pattern a sentence answering that kind of question holds)
AUTHOR_CUE = re.compile(r"\b(author|wrote|written|byline|reporter|journalist|correspondent)\b", re.I)
# Stronger than the cue: the question asks who wrote *the article* (its byline is the answer).
ASKS_AUTHOR = re.compile(r"\b(who (wrote|reported|is the author)|author|byline|written by|correspondent)\b", re.I)
BYLINE = re.compile(r"^([Bb]y\s+[A-Z]|@\w{2,})")  # a byline or a handle: what "who wrote" cues
BY_LINE = re.compile(r"^[Bb]y\s+[A-Z]")

ANSWER_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(r"\b(handle|twitter|username|user name|social media|instagram|account)\b", re.I),
        re.compile(r"(^|\s)@\w{2,}"),
    ),
    (AUTHOR_CUE, BYLINE),
    (
        re.compile(r"^(when\b|(in |on |at )?(what|which) (year|day|date|month|time|century|decade)\b)", re.I),
        re.compile(rf"\b({_MONTHS}|{_DAYS}|1[0-9]{{3}}|20[0-9]{{2}}|[0-9]{{1,2}}(st|nd|rd|th)?\s+century)\b", re.I),
    ),
    (
        re.compile(
            r"^(how (many|much|old|long|far|big|large|tall|high|often)|what (percentage|number|amount|share))\b",
            re.I,
        ),
        re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I),
    ),
)

_WHO = re.compile(r"^(who|whom|whose)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)")
_WORD = re.compile(r"\w+")
FOLLOW_UP = re.compile(
    r"\b(he|him|his|she|her|hers|they|them|their|it|its|this|that|these|those|there|then)\b", re.IGNORECASE
)

# Words that frame a question rather than name its topic: an article need not contain them.
FRAMING_WORDS = frozenset(
    tokenize(
        "wrote write written writes author article articles story report reported reports describe described "
        "describes mention mentioned mentions name named called call tell told explain explained happen "
        "happened happens give gave given kind type main mean means many much long new one "
        "two first last year years time day date number people person thing things way think thought "
        "did does do know known according word words quote quoted state stated claim claimed "
        "reason reasons purpose role part talk talked discuss discussed refer referred use used using"
    )
)


def type_cues(question: str) -> tuple[re.Pattern[str], ...]:
    """The answer patterns this question asks for (a date for "when", a number for "how many", …)."""
    return tuple(pattern for cue, pattern in ANSWER_TYPES if cue.search(question))


def asks_author(question: str) -> bool:
    return bool(ASKS_AUTHOR.search(question))


def asks_who(question: str) -> bool:
    return bool(_WHO.match(question))


def question_words(question: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in _WORD.findall(question))


def name_score(text: str, words: Collection[str]) -> float:
    """How well ``text`` answers a 'who' question.

    1.0 for a new name in apposition to the question's words ("Foreign
    Minister Bruno Rodriguez Parrilla", "Volodin, the speaker of the Duma"),
    0.5 for any capitalised name the question does not already contain.
    """
    best = 0.0
    for match in _NAME.finditer(text):
        parts = match.group(1).split()
        new = [p for p in parts if p.casefold() not in words]
        if not new:
            continue
        best = max(best, 0.5)
        inside = [p for p in parts if p.casefold() in words]
        tail = text[match.end() : match.end() + 50]
        after = re.findall(r"\w+", tail)[:4] if re.match(r",\s+(the\s+|a\s+)?\w", tail) else []
        if any(w.casefold() in words and len(w) > 3 for w in inside + after):
            return 1.0
    return best


def type_match(text: str, cues: Iterable[re.Pattern[str]], who: bool, words: Collection[str]) -> float:
    """1.0 when ``text`` holds the kind of answer asked for; 0.5 for a weaker 'who' match."""
    score = 1.0 if any(p.search(text) for p in cues) else 0.0
    if who:
        score = max(score, name_score(text, words))
    return score


def stem_prefix(token: str) -> str | None:
    """The prefix a word sharing ``token``'s stem starts with; None for words too short to stem."""
    if len(token) < 5:
        return None
    return token[:5] if len(token) < 7 else token[: len(token) - 2]


def matches(token: str, words: Collection[str]) -> bool:
    """Exact match, or a shared stem of 5+ letters ("america" ~ "american", "negotiate" ~ "negotiations")."""
    if token in words:
        return True
    stem = stem_prefix(token)
    return stem is not None and any(w.startswith(stem) for w in words)


def key_terms(tokens: Iterable[str]) -> tuple[str, ...]:
    """The question's topic words: its tokens less framing words, in order, once each."""
    seen: dict[str, None] = {}
    for t in tokens:
        if (t not in FRAMING_WORDS and not t.isdigit()) or (t.isdigit() and len(t) == 4):
            seen.setdefault(t, None)
    return tuple(seen)


def key_support(terms: Iterable[str], in_corpus: Callable[[str], bool]) -> float:
    """Share of the key terms the corpus uses at all (stem-aware through ``in_corpus``); 1.0 if none."""
    terms = tuple(terms)
    if not terms:
        return 1.0
    return sum(1 for t in terms if in_corpus(t)) / len(terms)


def overlap(a: Collection[str], b: Collection[str]) -> float:
    """Shared words over the smaller set's size (near-duplicate quotes)."""
    if not a or not b:
        return 0.0
    return len(set(a) & set(b)) / min(len(a), len(b))
