"""The module-level API: ``qa.retrieve`` and ``qa.answer``.

One embedding model and one engine per corpus folder are built on first use
and reused; the cache is guarded by a lock so threads cannot race on it.
Build a :class:`CorpusQA` yourself (``open_corpus``) for full control.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from vectorstore import (
    CorpusIndex,
    Embedder,
    IndexReader,
    Source,
    StoreReader,
    StoreSettings,
    collection_for,
    default_corpus_dir,
    default_embedder,
    open_store,
)
from vectorstore import open_store_reader as _open_store_reader
from vectorstore.snapshot import RevisionCache, TextCache

from .confidence import ConfidenceModel
from .engine import CorpusQA
from .records import Answer, Passage
from .settings import AnswerSettings

_lock = threading.Lock()
_embedder: Embedder | None = None


@dataclass(frozen=True)
class _Cached:
    engine: CorpusQA
    index: CorpusIndex


_engines: dict[str, _Cached] = {}


def shared_embedder() -> Embedder:
    """The process's one embedding model, loaded on first use."""
    global _embedder
    with _lock:
        if _embedder is None:
            _embedder = default_embedder()
        return _embedder


def open_corpus(
    corpus: str | os.PathLike[str] | None = None,
    *,
    uploads: str | os.PathLike[str] | None = None,
    store: StoreSettings | None = None,
    embedder: Embedder | None = None,
    settings: AnswerSettings | None = None,
    rebuild: bool = False,
    progress: bool = False,
) -> CorpusQA:
    """Index ``corpus`` (default: the shipped articles) and return its engine."""
    index = open_index(corpus, uploads=uploads, store=store, embedder=embedder, rebuild=rebuild, progress=progress)
    return engine_over(index, settings)


def engine_over(index: CorpusIndex, settings: AnswerSettings | None = None) -> CorpusQA:
    """An engine reading ``index``, with the confidence model fitted for its embedding model."""
    model = ConfidenceModel.for_embedder(index.embedder.model_name)
    index_dir = index.cache.root if index.cache is not None else None
    return CorpusQA(IndexReader(index), settings, confidence_model=model, index_dir=index_dir)


def open_store_reader(
    collection: str, *, store: StoreSettings | None = None, embedder: Embedder | None = None
) -> StoreReader:
    """A reader of the corpus stored as ``collection``, without its folder (see vectorstore/remote.py).

    ``store`` names the store (``StoreSettings(chroma_url=...)`` for a server)
    and how often to look for a new revision (``staleness_s``). The embedding
    model must be the one the corpus was ingested with.
    """
    return _open_store_reader(collection, store or StoreSettings(), embedder or shared_embedder())


def open_collection(
    collection: str,
    *,
    store: StoreSettings | None = None,
    embedder: Embedder | None = None,
    settings: AnswerSettings | None = None,
) -> CorpusQA:
    """The engine over corpus ``collection`` read from the store alone (no folder, no sync)."""
    reader = open_store_reader(collection, store=store, embedder=embedder)
    model = ConfidenceModel.for_embedder(reader.embedder.model_name)
    index_dir = reader.cache.root if reader.cache is not None else None
    return CorpusQA(reader, settings, confidence_model=model, index_dir=index_dir)


def open_index(
    corpus: str | os.PathLike[str] | None = None,
    *,
    uploads: str | os.PathLike[str] | None = None,
    store: StoreSettings | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: bool = False,
) -> CorpusIndex:
    """Bring the store in line with ``corpus`` (default: the shipped articles) and return the index.

    ``uploads`` is an extra folder whose articles join the corpus under the
    ``uploads/`` prefix (the chat stores uploads there when the corpus folder
    itself is read-only, as the shipped one is).
    """
    folder = Path(corpus) if corpus is not None else default_corpus_dir()
    sources = [Source(folder)]
    name = collection_for(folder)
    if uploads is not None:
        sources.append(Source(Path(uploads), prefix="uploads/"))
        name = f"{name[:52]}-uploads"
    store_settings = (store or StoreSettings()).resolved()
    model = embedder or shared_embedder()
    collection = store_settings.collection or name
    chroma = open_store(store_settings, collection, model, reset=rebuild)
    index = CorpusIndex(
        sources,
        chroma,
        model,
        chunk_tokens=store_settings.chunk_tokens,
        max_file_bytes=store_settings.max_file_bytes,
        chunk_vectors=store_settings.chunk_vectors,
        max_files=store_settings.max_files,
        cache=RevisionCache(store_settings.index_root(collection)),
        texts=TextCache(store_settings.text_cache_chars),
    )
    index.sync(progress=progress)
    return index


def engine_for(corpus: str | os.PathLike[str] | None = None) -> CorpusQA:
    """The cached engine for ``corpus``, re-synced when its files changed."""
    folder = Path(corpus).expanduser().resolve() if corpus is not None else default_corpus_dir().resolve()
    key = str(folder)
    with _lock:
        cached = _engines.get(key)
    if cached is None:
        index = open_index(folder)
        with _lock:
            cached = _engines.setdefault(key, _Cached(engine_over(index), index))
    else:
        cached.index.sync_if_changed()
    return cached.engine


def retrieve(
    question: str, *, k: int = 5, corpus: str | os.PathLike[str] | None = None, history: object = None
) -> list[Passage]:
    """The ``k`` best passages for ``question`` (dense + BM25, fused by reciprocal rank)."""
    return engine_for(corpus).retrieve(question, k=k, history=history)


def answer(question: str, *, corpus: str | os.PathLike[str] | None = None, history: object = None) -> Answer:
    """Answer ``question`` with verbatim quotes from the corpus, or abstain."""
    return engine_for(corpus).answer(question, history=history)
