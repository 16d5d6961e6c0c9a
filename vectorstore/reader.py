"""The read side of a corpus, as qa's ``CorpusReader`` Protocol asks for it.

This is the one place that knows how sentence records are named in Chroma;
qa only ever sees ``(chunk_id, position)`` keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .chroma_store import sentence_id
from .index import CorpusIndex, IndexSnapshot


class IndexReader:
    """Reads one :class:`CorpusIndex`: its current snapshot, its model and its Chroma collections."""

    def __init__(self, index: CorpusIndex) -> None:
        self.index = index

    @property
    def location(self) -> str:
        return self.index.store.location

    @property
    def name(self) -> str:
        return self.index.store.name

    @property
    def snapshot(self) -> IndexSnapshot:
        return self.index.snapshot

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.index.embedder.encode(texts)

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        return self.index.store.query_chunks(vector, k)

    def query_sentences(self, vector: np.ndarray, k: int) -> list[tuple[str, int, float]]:
        out: list[tuple[str, int, float]] = []
        for sid, score in self.index.store.query_sentences(vector, k):
            chunk_id, _, position = sid.rpartition("/")
            if chunk_id and position.isdigit():
                out.append((chunk_id, int(position), score))
        return out

    def sentence_vectors(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], np.ndarray]:
        by_id = {sentence_id(chunk_id, position): (chunk_id, position) for chunk_id, position in keys}
        found = self.index.store.sentence_vectors(list(by_id))
        return {by_id[sid]: vector for sid, vector in found.items() if sid in by_id}
