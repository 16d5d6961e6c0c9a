"""Typed records shared by loading, chunking and storage."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Document:
    """One article as loaded from disk.

    ``text`` is the text that every offset points into: for ``.txt`` and
    ``.md`` the file's own decoded text, for ``.html`` the extracted main text.
    """

    doc_id: str
    title: str
    byline: str | None
    text: str
    content_hash: str
    source_path: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` into ``Document.text``."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one document, small enough for the model."""

    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
