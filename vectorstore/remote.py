"""A reader that needs nothing but the store: qa's ``CorpusReader`` without the corpus folder.

:class:`StoreReader` builds the same :class:`IndexSnapshot` a :class:`CorpusIndex`
publishes, from a corpus's article records (``<name>__d``) and chunk records
(``<name>``), so quotes and offsets are identical. Any number of processes,
on any machines, can read one corpus this way while one ingest writes it.

A new revision (written by an ingest elsewhere) is noticed without a restart:
the revision is polled at most every ``staleness_s`` and a new snapshot is
swapped in whole; an answer in flight keeps the snapshot it started with.
When the store cannot be reached, the last good snapshot is kept, queries
raise :class:`StoreUnavailableError` and the poll is retried until it works.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from .chroma_store import ChromaStore, validate_collection_name
from .config import StoreSettings, open_store
from .embedding import Embedder
from .errors import StoreUnavailableError, VectorStoreError, store_unavailable
from .snapshot import RevisionCache, StoreSnapshot, TextCache, read_layout

T = TypeVar("T")


class StoreReader:
    """qa's ``CorpusReader`` over one corpus's Chroma collections, from the store alone."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        *,
        staleness_s: float = 10.0,
        retry_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        cache: RevisionCache | None = None,
        texts: TextCache | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.cache = cache
        self.texts = texts if texts is not None else TextCache()
        self.staleness_s = max(0.0, float(staleness_s))
        self.retry_s = retry_s
        self._clock = clock
        self._refreshing = threading.Lock()  # one poll at a time; other threads keep the current snapshot
        self.problem: str | None = None  # why the last poll failed, None when it worked
        self._snapshot = self._load(self.store.current_revision())
        self._next_poll = clock() + self.staleness_s

    @property
    def location(self) -> str:
        return self.store.location

    @property
    def name(self) -> str:
        return self.store.name

    @property
    def snapshot(self) -> StoreSnapshot:
        """The newest snapshot, at most ``staleness_s`` old; the last good one while the store is down."""
        if self._clock() >= self._next_poll and self._refreshing.acquire(blocking=False):
            try:
                self.refresh()
            finally:
                self._refreshing.release()
        return self._snapshot

    def refresh(self) -> bool:
        """Poll the revision now; load and swap in a new snapshot when it changed. True when swapped."""
        try:
            revision = self.store.current_revision()
            swapped = revision != self._snapshot.revision
            if swapped:
                self._snapshot = self._load(revision)
        except VectorStoreError as exc:
            self._failed(str(exc))
            return False
        except Exception as exc:  # connection refused, timeouts, a server restarting: retry soon
            self._failed(f"{type(exc).__name__}: {exc}")
            return False
        self.problem = None
        self._next_poll = self._clock() + self.staleness_s
        return swapped

    def _failed(self, why: str) -> None:
        self.problem = why
        self._next_poll = self._clock() + min(self.retry_s, self.staleness_s)

    def _load(self, revision: str) -> StoreSnapshot:
        revision, layout = read_layout(self.store, revision, self.cache)
        return StoreSnapshot(revision, layout, self.store, self.texts)

    # -- queries -----------------------------------------------------------------

    def _reach(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except VectorStoreError:
            raise
        except Exception as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            raise store_unavailable(self.location, exc) from exc

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.encode(texts)

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        return self._reach(lambda: self.store.query_chunks(vector, k))

    def query_sentences(self, vector: np.ndarray, k: int) -> list[tuple[str, int, float]]:
        return self._reach(lambda: self.store.query_sentence_keys(vector, k))

    def sentence_vectors(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], np.ndarray]:
        return self._reach(lambda: self.store.sentence_vectors_by_key(keys))


def open_store_reader(collection: str, settings: StoreSettings, embedder: Embedder) -> StoreReader:
    """A reader of corpus ``collection`` in the store ``settings`` names, without its folder."""
    s = settings.resolved()
    store = open_store(s, validate_collection_name(collection), embedder, read_only=True)
    try:
        return StoreReader(
            store,
            embedder,
            staleness_s=s.staleness_s,
            cache=RevisionCache(s.index_root(store.name)),
            texts=TextCache(s.text_cache_chars),
        )
    except VectorStoreError:
        raise
    except Exception as exc:
        raise StoreUnavailableError(
            f"Cannot read corpus {collection!r} from {s.location} ({exc}). Check that the store is "
            "running and reachable, then try again."
        ) from exc


__all__ = ["StoreReader", "open_store_reader"]
