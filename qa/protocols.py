"""The seams of qa: what it needs from an embedder and from stored articles.

qa owns these Protocols and depends on nothing else of storage: it never
imports chromadb, ``vectorstore.chroma_store`` or ``ui``. ``vectorstore``
implements them (:class:`vectorstore.reader.IndexReader`); tests swap in
fakes (``tests/fakes.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol

import numpy as np

from vectorstore.records import Chunk, Document


class Embedder(Protocol):
    """Unit-length vectors for texts (the bundled MiniLM, or a fake)."""

    model_name: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class Snapshot(Protocol):
    """The articles and chunks of one store revision, immutable."""

    @property
    def revision(self) -> str: ...

    @property
    def documents(self) -> Mapping[str, Document]: ...

    @property
    def chunks(self) -> Mapping[str, Chunk]: ...

    @property
    def chunk_order(self) -> tuple[str, ...]: ...

    def sentence_count(self, chunk_id: str) -> int:
        """How many quotable sentences the chunk has (known without its text)."""
        ...

    def warm(self, chunk_ids: Iterable[str]) -> None:
        """Make these chunks' article texts ready at once (one round trip where texts live in the store)."""
        ...

    def chunk_texts(self) -> Iterator[str]:
        """Every chunk's text in ``chunk_order``, in one pass (to build the lexical index)."""
        ...


# A quotable sentence is named by ``(chunk_id, position)``: the position-th sentence
# of that chunk. Plain tuples, so an implementation needs nothing from qa.
SentenceKey = tuple[str, int]
SentenceHit = tuple[str, int, float]  # (chunk_id, position, cosine similarity)


class CorpusReader(Protocol):
    """Everything an answer needs from storage; one implementation per backend."""

    @property
    def location(self) -> str: ...

    @property
    def snapshot(self) -> Snapshot: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` nearest chunks as ``(chunk_id, cosine similarity)``, best first."""
        ...

    def query_sentences(self, vector: np.ndarray, k: int) -> list[SentenceHit]:
        """The ``k`` nearest quotable sentences, best first."""
        ...

    def sentence_vectors(self, keys: Sequence[SentenceKey]) -> dict[SentenceKey, np.ndarray]: ...
