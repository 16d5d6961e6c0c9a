"""Typed records returned by :func:`qa.retrieve` and :func:`qa.answer`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Support = Literal["strong", "partial", "none"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: ``Document.text[start:end] == text``."""

    text: str
    doc_id: str
    title: str
    start: int
    end: int
    score: float
    chunk_id: str = ""
    byline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Quote:
    """One or two whole sentences, verbatim: ``Document.text[start:end] == text``; or, of a
    sentence too long to quote whole, its run of whole clauses, flagged by ``starts_mid_sentence``
    / ``ends_mid_sentence`` (every renderer shows an ellipsis there, outside the quoted text).

    ``doc_id`` is the article's path inside its corpus folder; ``paragraph``
    of ``paragraphs`` says where in the article the quote stands.
    ``source_path`` (the file on this machine) is for Python callers and is
    left out of :meth:`to_dict`, so JSON answers never disclose server paths.
    """

    text: str
    doc_id: str
    title: str
    start: int
    end: int
    score: float
    byline: str | None = None
    paragraph: int = 1
    paragraphs: int = 1
    source_path: str = field(default="", repr=False)
    starts_mid_sentence: bool = False
    ends_mid_sentence: bool = False
    last_paragraph: int = 0
    """The paragraph the quote ends in, when that is a later one than ``paragraph`` (a headline
    quoted with the sentence under it); 0 otherwise."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["source_path"]
        return out


@dataclass(frozen=True)
class Answer:
    """An answer made only of quotes, from one pipeline run.

    ``confidence`` is the calibrated probability that the first quote answers
    the question. ``abstained`` is True when it falls below the threshold: then
    ``quotes`` is empty and ``closest`` holds the nearest passages, which are
    not an answer. ``passages`` are the fused passages the quotes were chosen
    from (the chat's Sources, the CLI's ``-k``), best first.
    """

    question: str
    text: str
    quotes: tuple[Quote, ...]
    abstained: bool
    confidence: float = 0.0
    support: Support = "none"
    passages: tuple[Passage, ...] = field(default=())
    closest: tuple[Passage, ...] = field(default=())
    missing: str = ""
    """When abstaining: the kind of answer asked for ("date", "name") that the closest passage lacks."""
    caveat: str = ""
    """When answering: what the first quote does not show that the reader should check in the source
    ("the quote does not show Lavrov speaking"); such an answer is never "strong" support."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "confidence": self.confidence,
            "support": self.support,
            "missing": self.missing,
            "caveat": self.caveat,
            "quotes": [q.to_dict() for q in self.quotes],
            "passages": [p.to_dict() for p in self.passages],
            "closest": [p.to_dict() for p in self.closest],
        }
