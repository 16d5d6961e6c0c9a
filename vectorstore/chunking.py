"""Sentence-aware chunking with exact offsets.

A chunk is a run of whole quotable sentences whose token count (by the
model's own tokenizer) stays within the budget. A chunk never cuts inside a
sentence; the one exception is a single "sentence" longer than the whole
budget (a run-on line with no punctuation), which is cut at whitespace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from .records import Chunk, Document, Span
from .sentences import LINE_BREAK, quotable_sentences

# Bumped whenever chunk boundaries change, so stores built earlier are rebuilt. (Not for reading a
# lone "\r" as a line break: that moved boundaries only in CR-only articles, and rebuilding every
# store for them would re-embed every other corpus too; `ingest --rebuild` re-chunks such a store.)
CHUNKER_VERSION = "1"
DEFAULT_CHUNK_TOKENS = 200
# How a chunk's vector is made: the mean of its sentences' vectors, or the chunk encoded whole.
CHUNK_VECTOR_MODES = ("mean", "encode")

TokenCounter = Callable[[Sequence[str]], list[int]]


def chunk_id(doc: Document, index: int) -> str:
    digest = hashlib.sha1(f"{doc.doc_id}\0{doc.content_hash}".encode(), usedforsecurity=False).hexdigest()[
        :20
    ]
    return f"{digest}-{index:05d}"


def _fit(
    text: str, span: Span, tokens: int, count_tokens: TokenCounter, budget: int
) -> list[tuple[Span, int]]:
    """Halve an over-budget sentence at the whitespace nearest its middle until each piece fits."""
    if tokens <= budget or span.end - span.start <= 1:
        return [(span, tokens)]
    middle = (span.start + span.end) // 2
    left_space = text.rfind(" ", span.start + 1, middle + 1)
    right_space = text.find(" ", middle, span.end - 1)
    candidates = [p for p in (left_space, right_space) if p > span.start]
    cut = min(candidates, key=lambda p: abs(p - middle)) if candidates else middle
    out: list[tuple[Span, int]] = []
    for a, b in ((span.start, cut), (cut, span.end)):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            piece = Span(a, b)
            out.extend(_fit(text, piece, count_tokens([text[a:b]])[0], count_tokens, budget))
    return out


def chunk_document(
    doc: Document, count_tokens: TokenCounter, *, max_tokens: int = DEFAULT_CHUNK_TOKENS
) -> list[Chunk]:
    """Split ``doc`` into chunks of whole sentences within ``max_tokens``."""
    text = doc.text
    sentences = quotable_sentences(text)
    if not sentences:
        return []
    counts = count_tokens([text[s.start : s.end] for s in sentences])
    units: list[tuple[Span, int]] = []
    for span, tokens in zip(sentences, counts, strict=True):
        units.extend(_fit(text, span, tokens, count_tokens, max_tokens))

    chunks: list[Chunk] = []
    group: list[Span] = []
    used = 0

    def flush() -> None:
        nonlocal group, used
        if group:
            start, end = group[0].start, group[-1].end
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(doc, len(chunks)),
                    doc_id=doc.doc_id,
                    index=len(chunks),
                    start=start,
                    end=end,
                    text=text[start:end],
                    sentences=tuple(group),
                )
            )
        group, used = [], 0

    previous_end = None
    for span, tokens in units:
        gap = text[previous_end : span.start] if previous_end is not None else ""
        paragraph_break = len(LINE_BREAK.findall(gap)) >= 2
        # A skipped sentence (junk or repeat) between two kept ones breaks the run,
        # so chunk text never carries a sentence that is not quotable.
        skipped = previous_end is not None and bool(gap.strip())
        if group and (used + tokens > max_tokens or skipped or (paragraph_break and used >= max_tokens // 2)):
            flush()
        group.append(span)
        used += tokens
        previous_end = span.end
    flush()
    return chunks
