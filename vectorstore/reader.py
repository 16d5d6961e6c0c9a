"""The read side of a corpus, as qa's ``CorpusReader`` Protocol asks for it.

This is the one place that knows how sentence records are named in Chroma;
qa only ever sees ``(chunk_id, position)`` keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .index import CorpusIndex, Snapshot


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
    def snapshot(self) -> Snapshot:
        return self.index.snapshot

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.index.embedder.encode(texts)

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        return self.index.store.query_chunks(vector, k)

    def query_sentences(self, vector: np.ndarray, k: int) -> list[tuple[str, int, float]]:
        return self.index.store.query_sentence_keys(vector, k)

    def sentence_vectors(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], np.ndarray]:
        return self.index.store.sentence_vectors_by_key(keys)
