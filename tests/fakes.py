"""Deterministic stand-ins for fast unit tests of logic (the real model is covered elsewhere)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """Bag-of-words vectors by feature hashing: similar wording, similar vectors.

    Counts calls and texts so tests can assert that unchanged files are not
    embedded again.
    """

    model_name = "test/hashing-embedder"

    def __init__(self, dimension: int = 64, max_tokens: int = 256) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.encoded: list[str] = []

    def _index(self, word: str) -> tuple[int, float]:
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dimension, 1.0 if (value >> 32) & 1 else -1.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                i, sign = self._index(word)
                out[row, i] += sign
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # Roughly word-piece-like: words and punctuation marks each count once.
        return [len(re.findall(r"\w+|[^\w\s]", t)) for t in texts]
