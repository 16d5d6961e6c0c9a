"""The seams of qa: what it needs from an embedder and a vector store.

qa never imports chromadb; anything with these methods will do (tests swap
in fakes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    model_name: str
    dimension: int
    max_tokens: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


class VectorStore(Protocol):
    """Nearest-neighbour search over chunk and sentence vectors."""

    location: str

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]: ...

    def query_sentences(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]: ...

    def sentence_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def count(self) -> int: ...
