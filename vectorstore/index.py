"""A corpus folder kept in line with its Chroma store.

:class:`CorpusIndex` loads the folder, writes new and changed articles,
removes deleted ones and leaves unchanged ones alone. Readers get an
immutable :class:`IndexSnapshot`, swapped in whole after each sync, so
queries never see a half-applied update.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .chroma_store import ChromaStore, DocumentRecord, DocumentWrite, StoredChunk, sentence_id
from .chunking import DEFAULT_CHUNK_TOKENS, chunk_document
from .embedding import Embedder
from .loading import DEFAULT_MAX_FILE_BYTES, FileProblem, load_folder
from .records import Chunk, Document

_ENCODE_SLICE = 256
_WRITE_BATCH_RECORDS = 4000


@dataclass(frozen=True)
class Source:
    """A folder of articles; ``prefix`` keeps doc ids of several folders apart."""

    folder: Path
    prefix: str = ""


@dataclass(frozen=True)
class SyncReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[FileProblem, ...] = ()
    chunks_written: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        line = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged; {self.chunks_written} chunks embedded"
        )
        if self.problems:
            line += f"; {len(self.problems)} file(s) skipped"
        return line


@dataclass(frozen=True)
class IndexSnapshot:
    """Everything a query needs, consistent at one revision."""

    revision: str
    documents: Mapping[str, Document]
    chunks: Mapping[str, Chunk]
    chunk_order: tuple[str, ...]
    problems: tuple[FileProblem, ...] = field(default=())


@dataclass
class _Plan:
    """One sync's decisions, made before anything is written (mutable while it is being made)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    to_write: list[Document] = field(default_factory=list)
    kept_chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    backfill: list[DocumentRecord] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)

    @property
    def writes(self) -> bool:
        return bool(self.to_write or self.removed or self.backfill)


class CorpusIndex:
    """Keeps a Chroma store in line with one or more article folders."""

    def __init__(
        self,
        sources: Sequence[Source],
        store: ChromaStore,
        embedder: Embedder,
        *,
        chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        chunk_vectors: str = "mean",
        max_files: int | None = None,
    ) -> None:
        if chunk_vectors not in {"mean", "encode"}:
            raise ValueError("chunk_vectors must be 'mean' or 'encode'")
        self.sources = tuple(sources)
        self.store = store
        self.embedder = embedder
        self.chunk_tokens = min(chunk_tokens, embedder.max_tokens - 2)
        self.max_file_bytes = max_file_bytes
        # Article files per folder; None: CORPUS_QA_MAX_FILES or the default, read at each sync.
        self.max_files = max_files
        self.chunk_vectors = chunk_vectors
        self._write_lock = threading.Lock()
        self._snapshot = IndexSnapshot(revision="", documents={}, chunks={}, chunk_order=())
        self.last_report = SyncReport()

    @property
    def snapshot(self) -> IndexSnapshot:
        return self._snapshot

    def sync(self, *, progress: bool = False) -> SyncReport:
        """Bring the store in line with the folders; return what changed."""
        with self._write_lock:
            self.last_report = self._sync(progress)
            return self.last_report

    def _sync(self, progress: bool) -> SyncReport:
        documents: dict[str, Document] = {}
        origin: dict[str, tuple[int, str]] = {}  # doc id -> (source index, path in that folder)
        problems: list[FileProblem] = []
        for position, source in enumerate(self.sources):
            docs, probs = load_folder(
                source.folder,
                max_bytes=self.max_file_bytes,
                id_prefix=source.prefix,
                max_files=self.max_files,
                progress=progress,
            )
            problems.extend(probs)
            for doc in docs:
                if doc.doc_id not in documents:
                    documents[doc.doc_id] = doc
                    origin[doc.doc_id] = (position, doc.doc_id[len(source.prefix) :])

        plan = self._plan(documents, origin, problems)
        if plan.writes and self.store.shared:
            # A shared server: take the corpus's write lease, then plan again, since another
            # writer may have changed the store between our first look and the lease.
            with self.store.write_lease() as lease:
                plan = self._plan(documents, origin, problems)
                self.store.active_lease = lease
                try:
                    return self._apply(plan, documents, origin, problems, progress)
                finally:
                    self.store.active_lease = None
        return self._apply(plan, documents, origin, problems, progress)

    def _plan(
        self, documents: Mapping[str, Document], origin: Mapping[str, tuple[int, str]], problems: list[FileProblem]
    ) -> _Plan:
        """What must be written, kept, backfilled and removed to bring the store in line."""
        stored: dict[str, list[StoredChunk]] = {}
        for sc in self.store.stored_chunks():
            stored.setdefault(sc.doc_id, []).append(sc)
        records = {r.doc_id: r for r in self.store.stored_documents()}
        # What was stored for an article that cannot be read now, or that sits in a folder that
        # cannot be listed now, is kept; links and special files are not articles, so not kept.
        unreadable = {p.path for p in problems if p.kind == "unreadable"}
        unlisted = tuple(p.path for p in problems if p.kind == "folder")

        plan = _Plan()
        for doc_id, doc in documents.items():
            old = stored.get(doc_id)
            have = records.get(doc_id)
            if old and _complete(old, doc.content_hash):
                plan.unchanged.append(doc_id)
                plan.kept_chunks[doc_id] = _rebuild_chunks(doc, old)
                want = DocumentRecord.of(doc, relative_path=origin[doc_id][1], source_index=origin[doc_id][0],
                                         chunk_count=len(old))  # fmt: skip
                if have != replace(want, text=""):
                    # Chunks complete, article record missing or stale (a store from before records,
                    # or a kill between chunks and record): write the record alone, no re-embedding.
                    plan.backfill.append(want)
            elif not old and have is not None and have.chunk_count == 0 and have.content_hash == doc.content_hash:
                plan.unchanged.append(doc_id)  # an article with no quotable sentence, already recorded
                plan.kept_chunks[doc_id] = []
            else:
                (plan.updated if old or have else plan.added).append(doc_id)
                plan.to_write.append(doc)
        plan.stored = set(stored) | set(records)
        plan.removed = [
            d
            for d in [*stored, *(r for r in records if r not in stored)]
            if d not in documents and d not in unreadable and not d.startswith(unlisted)
        ]
        return plan

    def _apply(
        self,
        plan: _Plan,
        documents: Mapping[str, Document],
        origin: Mapping[str, tuple[int, str]],
        problems: list[FileProblem],
        progress: bool,
    ) -> SyncReport:
        written = self._write(plan.to_write, plan.kept_chunks, progress, plan.stored, origin)
        if plan.backfill:
            self.store.write_document_records(plan.backfill)
        for doc_id in plan.removed:
            self.store.delete_document(doc_id)
        revision = self.store.bump_revision() if plan.writes else self.store.revision

        all_chunks = [
            c for doc_id in documents for c in sorted(plan.kept_chunks.get(doc_id, []), key=lambda c: c.index)
        ]
        self._snapshot = IndexSnapshot(
            revision=revision,
            documents=dict(documents),
            chunks={c.chunk_id: c for c in all_chunks},
            chunk_order=tuple(c.chunk_id for c in all_chunks),
            problems=tuple(problems),
        )
        return SyncReport(
            added=tuple(plan.added),
            updated=tuple(plan.updated),
            removed=tuple(plan.removed),
            unchanged=tuple(plan.unchanged),
            problems=tuple(problems),
            chunks_written=written,
        )

    def _write(
        self,
        docs: list[Document],
        kept: dict[str, list[Chunk]],
        progress: bool,
        stored: Collection[str],
        origin: Mapping[str, tuple[int, str]],
    ) -> int:
        """Chunk, embed and store ``docs``; record their chunks in ``kept``."""
        if not docs:
            return 0
        per_doc = [chunk_document(d, self.embedder.count_tokens, max_tokens=self.chunk_tokens) for d in docs]
        sentence_texts = [
            d.text[s.start : s.end]
            for d, chunks in zip(docs, per_doc, strict=True)
            for c in chunks
            for s in c.sentences
        ]
        chunk_texts = [c.text for chunks in per_doc for c in chunks]
        sentence_vectors = self._encode(sentence_texts, "Embedding sentences", progress)
        encoded_chunks = (
            self._encode(chunk_texts, "Embedding chunks", progress)
            if self.chunk_vectors == "encode"
            else None
        )
        bar = tqdm(total=len(docs), desc="Storing", unit="doc", disable=not progress)
        pending: list[DocumentWrite] = []
        pending_records = 0
        s_at = 0
        c_at = 0
        for doc, chunks in zip(docs, per_doc, strict=True):
            n_sent = sum(len(c.sentences) for c in chunks)
            doc_sentences = sentence_vectors[s_at : s_at + n_sent]
            if encoded_chunks is not None:
                doc_chunks = encoded_chunks[c_at : c_at + len(chunks)]
            else:
                doc_chunks = _mean_vectors(doc_sentences, [len(c.sentences) for c in chunks])
            where = origin[doc.doc_id]
            record = DocumentRecord.of(doc, relative_path=where[1], source_index=where[0], chunk_count=len(chunks))
            if chunks:
                replaces = doc.doc_id in stored
                pending.append(
                    DocumentWrite(doc.doc_id, doc.content_hash, chunks, doc_chunks, doc_sentences, replaces, record)
                )
                pending_records += n_sent
            else:
                self.store.delete_document(doc.doc_id)
                self.store.write_document_records([record])
            kept[doc.doc_id] = chunks
            s_at += n_sent
            c_at += len(chunks)
            # Several documents per Chroma call: per-document calls made storing the slowest step.
            if pending_records >= _WRITE_BATCH_RECORDS:
                self.store.write_documents(pending)
                bar.update(len(pending))
                pending, pending_records = [], 0
        if pending:
            self.store.write_documents(pending)
            bar.update(len(pending))
        bar.close()
        return c_at

    def _encode(self, texts: list[str], label: str, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        # Sorting by length keeps each batch's padding small; results go back in order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.embedder.dimension), dtype=np.float32)
        bar = tqdm(total=len(texts), desc=label, unit="text", disable=not progress)
        for i in range(0, len(order), _ENCODE_SLICE):
            idx = order[i : i + _ENCODE_SLICE]
            out[idx] = self.embedder.encode([texts[j] for j in idx])
            bar.update(len(idx))
        bar.close()
        return out


def _mean_vectors(sentence_vectors: np.ndarray, sizes: list[int]) -> np.ndarray:
    """One unit vector per chunk: the normalised mean of its sentences' vectors."""
    out = np.zeros(
        (len(sizes), sentence_vectors.shape[1] if sentence_vectors.ndim == 2 else 0), dtype=np.float32
    )
    at = 0
    for i, n in enumerate(sizes):
        mean = sentence_vectors[at : at + n].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        out[i] = mean / norm if norm > 0 else mean
        at += n
    return out


def _complete(stored: list[StoredChunk], content_hash: str) -> bool:
    """Every chunk of the current text is stored, and nothing else (an interrupted write is not)."""
    if any(sc.doc_hash != content_hash for sc in stored):
        return False
    expected = stored[0].chunk_count
    return sorted(sc.index for sc in stored) == list(range(expected))


def _rebuild_chunks(doc: Document, stored: list[StoredChunk]) -> list[Chunk]:
    return [
        Chunk(
            chunk_id=sc.chunk_id,
            doc_id=doc.doc_id,
            index=sc.index,
            start=sc.start,
            end=sc.end,
            text=doc.text[sc.start : sc.end],
            sentences=sc.sentences,
        )
        for sc in sorted(stored, key=lambda s: s.index)
    ]


__all__ = ["CorpusIndex", "IndexSnapshot", "Source", "SyncReport", "sentence_id"]
