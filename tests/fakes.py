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


class FakeReader:
    """An in-memory :class:`qa.protocols.CorpusReader`: the project's own chunker, brute-force cosine.

    Counts every call, so tests can assert how often one question embeds and queries.
    """

    location = "memory"

    def __init__(self, articles: dict[str, str], embedder: HashingEmbedder | None = None) -> None:
        from vectorstore.chunking import chunk_document
        from vectorstore.index import IndexSnapshot
        from vectorstore.loading import content_hash
        from vectorstore.records import Document

        self.embedder = embedder or HashingEmbedder()
        self.calls: dict[str, int] = {"embed": 0, "query_chunks": 0, "query_sentences": 0, "sentence_vectors": 0}
        documents = {}
        chunks = []
        for doc_id, text in articles.items():
            title = text.split("\n", 1)[0].strip()
            byline = next((line for line in text.splitlines() if line.startswith("By ")), None)
            doc = Document(doc_id, title, byline, text, content_hash(text), f"/srv/corpus/{doc_id}")
            documents[doc_id] = doc
            chunks.extend(chunk_document(doc, self.embedder.count_tokens, max_tokens=40))
        self._snapshot = IndexSnapshot(
            revision="r1",
            documents=documents,
            chunks={c.chunk_id: c for c in chunks},
            chunk_order=tuple(c.chunk_id for c in chunks),
        )
        self._chunk_ids = [c.chunk_id for c in chunks]
        self._chunk_vectors = self.embedder.encode([c.text for c in chunks]) if chunks else np.zeros((0, 1))
        self._sentence_keys = [(c.chunk_id, j) for c in chunks for j in range(len(c.sentences))]
        texts = [documents[c.doc_id].text[s.start : s.end] for c in chunks for s in c.sentences]
        self._sentence_vectors = self.embedder.encode(texts) if texts else np.zeros((0, 1))
        self.embedder.encoded.clear()

    @property
    def snapshot(self):  # type: ignore[no-untyped-def]
        return self._snapshot

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls["embed"] += 1
        return self.embedder.encode(texts)

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        self.calls["query_chunks"] += 1
        sims = self._chunk_vectors @ vector
        order = np.argsort(-sims, kind="stable")[:k]
        return [(self._chunk_ids[i], float(sims[i])) for i in order]

    def query_sentences(self, vector: np.ndarray, k: int) -> list[tuple[str, int, float]]:
        self.calls["query_sentences"] += 1
        sims = self._sentence_vectors @ vector
        order = np.argsort(-sims, kind="stable")[:k]
        return [(*self._sentence_keys[i], float(sims[i])) for i in order]

    def sentence_vectors(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], np.ndarray]:
        self.calls["sentence_vectors"] += 1
        where = {key: i for i, key in enumerate(self._sentence_keys)}
        return {tuple(key): self._sentence_vectors[where[key]] for key in keys if key in where}  # type: ignore[misc]
