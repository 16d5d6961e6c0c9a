"""Typed records returned by :func:`qa.retrieve` and :func:`qa.answer`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
    """One or two whole sentences, verbatim: ``Document.text[start:end] == text``."""

    text: str
    doc_id: str
    title: str
    start: int
    end: int
    score: float
    byline: str | None = None
    source_path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """An answer made only of quotes.

    ``abstained`` is True when the articles do not answer the question; then
    ``quotes`` is empty and ``closest`` holds the nearest passages, which are
    not an answer.
    """

    question: str
    text: str
    quotes: tuple[Quote, ...]
    abstained: bool
    closest: tuple[Passage, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "quotes": [q.to_dict() for q in self.quotes],
            "closest": [p.to_dict() for p in self.closest],
        }
