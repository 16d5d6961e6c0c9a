"""A corpus folder kept in line with its Chroma store.

:class:`CorpusIndex` loads the folder, writes new and changed articles,
removes deleted ones and leaves unchanged ones alone. Readers get an
immutable :class:`IndexSnapshot`, swapped in whole after each sync, so
queries never see a half-applied update.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .chroma_store import (
    ChromaStore,
    DocumentRecord,
    DocumentWrite,
    FileStat,
    StoredChunk,
    file_stat,
    sentence_id,
)
from .chunking import CHUNK_VECTOR_MODES, DEFAULT_CHUNK_TOKENS, chunk_document
from .embedding import Embedder
from .errors import UnreadableFileError
from .loading import FileProblem, load_document, loader_version, resolve_max_file_bytes, scan_folder
from .records import Chunk, Document
from .snapshot import EMPTY_REVISION, Layout, RevisionCache, StoreSnapshot, TextCache, read_layout

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
    # Chunk and sentence records an interrupted earlier sync left behind, removed by this one.
    swept: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        line = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged; {plural(self.chunks_written, 'chunk')} embedded"
        )
        if self.swept:
            line += f"; {plural(self.swept, 'record')} left by an interrupted sync removed"
        if self.problems:
            line += f"; {plural(len(self.problems), 'file')} skipped"
        return line


def plural(n: int, noun: str) -> str:
    """"1 chunk", "2 chunks"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(frozen=True)
class IndexSnapshot:
    """Everything a query needs, consistent at one revision."""

    revision: str
    documents: Mapping[str, Document]
    chunks: Mapping[str, Chunk]
    chunk_order: tuple[str, ...]
    problems: tuple[FileProblem, ...] = field(default=())

    def catalog(self) -> list[tuple[str, str, str | None, int]]:
        """``(doc_id, title, byline, chunk count)`` of every article."""
        counts = dict.fromkeys(self.documents, 0)
        for chunk in self.chunks.values():
            counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
        return [(d.doc_id, d.title, d.byline, counts[d.doc_id]) for d in self.documents.values()]

    def sentence_count(self, chunk_id: str) -> int:
        return len(self.chunks[chunk_id].sentences)

    def warm(self, chunk_ids: Iterable[str]) -> None:
        """Texts are in memory: nothing to fetch."""

    def chunk_texts(self) -> Iterator[str]:
        return (self.chunks[c].text for c in self.chunk_order)


Snapshot = IndexSnapshot | StoreSnapshot


@dataclass(frozen=True)
class _File:
    """An article file found by the scan, before it is read: where it is and its stat (the manifest)."""

    doc_id: str
    source_index: int
    relative_path: str
    path: Path
    root: Path
    prefix: str
    stat: FileStat  # size, mtime_ns, ctime_ns, inode
    loader: str  # what loading a file of its type makes of it (loader_version)


@dataclass
class _Plan:
    """One sync's decisions, made before anything is written (mutable while it is being made)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    to_write: list[Document] = field(default_factory=list)
    # Articles kept as stored: their record (updated when the file's stat or place changed) and chunks,
    # or the article's row in the base layout (its chunks, read from there only when needed).
    kept: dict[str, tuple[DocumentRecord, list[StoredChunk] | int]] = field(default_factory=dict)
    backfill: list[DocumentRecord] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)
    # The store holds records the layout does not (an interrupted write): every write replaces,
    # and what the new layout does not account for is swept out.
    untidy: bool = False

    @property
    def writes(self) -> bool:
        return bool(self.to_write or self.removed or self.backfill or self.untidy)


Fingerprint = tuple[tuple[str, FileStat], ...]

# How often whoever serves answers over a folder for a long time (the chat, an ``ask --json``
# session) calls :meth:`CorpusIndex.sync_if_changed`: a quote is at most about this far behind a file.
FOLDER_REFRESH_S = 2.0


def folder_fingerprint(sources: Sequence[Source], *, max_files: int | None = None) -> Fingerprint:
    """Every article file's path and stat: a cheap "has any file changed since?" that reads nothing.

    Compared between calls by whoever serves answers (``qa.answer``, the chat, ``ask --json``) to
    know when a sync is due (:meth:`CorpusIndex.sync_if_changed`); the sync itself then reads only
    the files whose stat moved.
    """
    return _fingerprint(_stat_sources(sources, max_files=max_files)[0])


_Found = tuple[int, Source, Path, FileStat]  # source position, source, file path, its stat


def _stat_sources(
    sources: Sequence[Source], *, max_files: int | None, progress: bool = False
) -> tuple[list[_Found], list[FileProblem]]:
    """Each article file of each source with its stat (-1s when it vanished meanwhile), and the problems."""
    found: list[_Found] = []
    problems: list[FileProblem] = []
    for position, source in enumerate(sources):
        scan = scan_folder(source.folder, max_files=max_files, progress=progress)
        problems.extend(FileProblem(f"{source.prefix}{p.path}", p.reason, p.kind) for p in scan.problems)
        for path in scan.paths:
            try:
                stat = file_stat(os.stat(path, follow_symlinks=False))
            except OSError:  # deleted or unreadable while we look: reading it reports what is wrong
                stat = (-1, -1, -1, -1)
            found.append((position, source, path, stat))
    return found, problems


def _fingerprint(found: Sequence[_Found]) -> Fingerprint:
    return tuple((f"{source.prefix}{path}", stat) for _, source, path, stat in found)


class CorpusIndex:
    """Keeps a Chroma store in line with one or more article folders.

    A sync reads and hashes only the files whose size, modification time,
    status-change time or inode differ from what the store recorded (the manifest); the snapshot it
    publishes holds the layout of chunks and offsets, and fetches article
    texts from the store through a bounded cache.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        store: ChromaStore,
        embedder: Embedder,
        *,
        chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
        max_file_bytes: int | None = None,
        chunk_vectors: str = "mean",
        max_files: int | None = None,
        cache: RevisionCache | None = None,
        texts: TextCache | None = None,
    ) -> None:
        if chunk_vectors not in CHUNK_VECTOR_MODES:
            raise ValueError("chunk_vectors must be 'mean' or 'encode'")
        self.sources = tuple(sources)
        self.store = store
        self.embedder = embedder
        self.chunk_tokens = min(chunk_tokens, embedder.max_tokens - 2)
        self.max_file_bytes = resolve_max_file_bytes(max_file_bytes)
        # Article files per folder; None: CORPUS_QA_MAX_FILES or the default, read at each sync.
        self.max_files = max_files
        self.chunk_vectors = chunk_vectors
        self.cache = cache
        self.texts = texts if texts is not None else TextCache()
        self._write_lock = threading.Lock()
        self._snapshot: Snapshot = IndexSnapshot(revision="", documents={}, chunks={}, chunk_order=())
        self.last_report = SyncReport()
        self._seen: Fingerprint | None = None  # the folder as the running (or last) sync's scan saw it
        self._synced: Fingerprint | None = None  # ... as the last finished sync saw it

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def fingerprint(self) -> Fingerprint:
        """:func:`folder_fingerprint` of this index's folders."""
        return folder_fingerprint(self.sources, max_files=self.max_files)

    def sync(self, *, progress: bool = False) -> SyncReport:
        """Bring the store in line with the folders; return what changed."""
        with self._write_lock:
            self.last_report = self._sync(progress)
            self._synced = self._seen
            return self.last_report

    def sync_if_changed(self, *, progress: bool = False) -> SyncReport | None:
        """Sync when a file was added, edited or deleted since the last sync looked (a stat of each
        file, nothing read); None when nothing changed."""
        if self._synced is not None and self.fingerprint() == self._synced:
            return None
        return self.sync(progress=progress)

    def _scan(self, progress: bool) -> tuple[list[_File], list[FileProblem]]:
        found, problems = _stat_sources(self.sources, max_files=self.max_files, progress=progress)
        # What this sync saw: a later sync_if_changed compares the folder against it. Taken before
        # any file is read, so a file edited while this sync runs is caught by the next one.
        self._seen = _fingerprint(found)
        files: dict[str, _File] = {}
        for position, source, path, stat in found:
            root = source.folder.expanduser()  # as the scan (and load_document) see it, maybe relative
            rel = path.relative_to(root).as_posix()
            doc_id = f"{source.prefix}{rel}"
            if doc_id not in files:
                files[doc_id] = _File(doc_id, position, rel, path, root, source.prefix, stat, loader_version(path))
        return list(files.values()), problems

    def _sync(self, progress: bool) -> SyncReport:
        files, problems = self._scan(progress)
        read: dict[str, Document | None] = {}  # files read this sync (None: unreadable), read once
        revision, base = read_layout(self.store, self.store.current_revision(), self.cache, self._known())
        plan = self._plan(files, base, problems, read, progress)
        if plan.writes and self.store.shared:
            # A shared server: take the corpus's write lease, then plan again, since another
            # writer may have changed the store between our first look and the lease.
            with self.store.write_lease() as lease:
                revision, base = read_layout(self.store, self.store.current_revision(), self.cache, self._known())
                plan = self._plan(files, base, problems, read, progress)
                self.store.active_lease = lease
                try:
                    return self._apply(plan, files, revision, base, read, problems, progress)
                finally:
                    self.store.active_lease = None
        return self._apply(plan, files, revision, base, read, problems, progress)

    def _known(self) -> StoreSnapshot | None:
        """This index's own snapshot: the layout of the revision it last wrote or read, in memory."""
        return self._snapshot if isinstance(self._snapshot, StoreSnapshot) else None

    def _read(
        self, f: _File, read: dict[str, Document | None], problems: list[FileProblem]
    ) -> Document | None:
        if f.doc_id not in read:
            try:
                read[f.doc_id] = load_document(
                    f.path, f.root, max_bytes=self.max_file_bytes, id_prefix=f.prefix
                )
            except UnreadableFileError as exc:
                read[f.doc_id] = None
                problems.append(FileProblem(f.doc_id, exc.reason))
        return read[f.doc_id]

    def _plan(
        self,
        files: Sequence[_File],
        base: Layout,
        problems: list[FileProblem],
        read: dict[str, Document | None],
        progress: bool,
    ) -> _Plan:
        """What must be written, kept, backfilled and removed to bring the store in line."""
        plan = _Plan()
        rows = {r.doc_id: row for row, r in enumerate(base.documents)}
        plan.untidy = (self.store.count(), self.store.sentence_count()) != (
            len(base.chunk_ids),
            int(base.sentence_ptr[-1]),
        )
        # Chunks the layout does not account for (an interrupted write, a store from before article
        # records): read once, so complete ones get their record back without re-embedding.
        loose: dict[str, list[StoredChunk]] = {}
        if plan.untidy:
            for sc in self.store.stored_chunks():
                if sc.doc_id not in rows:
                    loose.setdefault(sc.doc_id, []).append(sc)
        to_read = []
        for f in files:
            row = rows.get(f.doc_id)
            have = base.documents[row] if row is not None else None
            # Unchanged: the same stat, read by the same loader version, at the same place.
            if row is not None and have is not None and have.size >= 0 and have.stat == f.stat \
                    and have.loader == f.loader \
                    and (have.relative_path, have.source_index) == (f.relative_path, f.source_index):  # fmt: skip
                plan.unchanged.append(f.doc_id)  # the manifest says unchanged: not read, not hashed
                plan.kept[f.doc_id] = (have, row)
            else:
                to_read.append(f)
        for f in tqdm(
            to_read, desc="Reading", unit="file", disable=not progress or len(to_read) < 50, leave=False
        ):
            doc = self._read(f, read, problems)
            if doc is None:
                continue
            row = rows.get(f.doc_id)
            have = base.documents[row] if row is not None else None
            if have is not None and row is not None and have.content_hash == doc.content_hash:
                plan.unchanged.append(f.doc_id)
                # Same text: record the file's new stat (and place) alone, no re-embedding.
                record = DocumentRecord.of(doc, relative_path=f.relative_path, source_index=f.source_index,
                                           chunk_count=have.chunk_count, stat=f.stat, loader=f.loader)  # fmt: skip
                plan.backfill.append(record)
                plan.kept[f.doc_id] = (replace(record, text=""), row)
            elif have is None and _complete(loose.get(f.doc_id, []), doc.content_hash):
                plan.unchanged.append(f.doc_id)
                chunks = sorted(loose[f.doc_id], key=lambda c: c.index)
                record = DocumentRecord.of(doc, relative_path=f.relative_path, source_index=f.source_index,
                                           chunk_count=len(chunks), stat=f.stat, loader=f.loader)  # fmt: skip
                plan.backfill.append(record)
                plan.kept[f.doc_id] = (replace(record, text=""), chunks)
            else:
                (plan.updated if have is not None else plan.added).append(f.doc_id)
                plan.to_write.append(doc)
        # What was stored for an article that cannot be read now, or that sits in a folder that
        # cannot be listed now, is kept; links and special files are not articles, so not kept.
        unreadable = {p.path for p in problems if p.kind == "unreadable"}
        unlisted = tuple(p.path for p in problems if p.kind == "folder")
        present = {f.doc_id for f in files}
        stored = set(rows)
        if plan.untidy:  # records and chunks the layout left out: of interrupted writes
            stored |= {r.doc_id for r in self.store.stored_documents()} | set(loose)
        plan.stored = stored
        plan.removed = sorted(
            d for d in stored if d not in present and d not in unreadable and not d.startswith(unlisted)
        )
        return plan

    def _apply(
        self,
        plan: _Plan,
        files: Sequence[_File],
        revision: str,
        base: Layout,
        read: Mapping[str, Document | None],
        problems: list[FileProblem],
        progress: bool,
    ) -> SyncReport:
        origin = {f.doc_id: f for f in files}
        written = self._write(plan.to_write, plan, progress, origin)
        if plan.backfill:
            self.store.write_document_records(plan.backfill)
        for doc_id in plan.removed:
            self.store.delete_document(doc_id)
        if not plan.writes and len(plan.kept) == len(base.documents):
            layout = base  # nothing changed: the revision's layout as it was
        else:
            records = sorted((record for record, _ in plan.kept.values()), key=lambda r: r.order())
            chunks = {
                doc_id: base.stored_chunks(kept) if isinstance(kept, int) else kept
                for doc_id, (_, kept) in plan.kept.items()
            }
            layout = Layout.build(records, chunks)
        swept = 0
        if plan.untidy:
            # A writer killed between storing a new version and deleting the old one leaves the
            # old one's records behind, out of every layout: nothing else would ever remove them.
            swept = self.store.sweep(set(layout.chunk_ids), set(layout.sentence_ids()))
        if plan.writes:
            revision = self.store.bump_revision()
        if self.cache is not None and revision != EMPTY_REVISION:
            self.cache.save_layout(revision, layout)
        for doc in read.values():  # what this sync read is likely asked about first
            if doc is not None and doc.doc_id in plan.kept:
                self.texts.put((doc.doc_id, doc.content_hash), doc.text)
        roots = [source.folder.expanduser().resolve() for source in self.sources]  # source_path: absolute
        self._snapshot = StoreSnapshot(revision, layout, self.store, self.texts, tuple(problems), roots=roots)
        return SyncReport(
            added=tuple(plan.added),
            updated=tuple(plan.updated),
            removed=tuple(plan.removed),
            unchanged=tuple(plan.unchanged),
            problems=tuple(problems),
            chunks_written=written,
            swept=swept,
        )

    def _write(
        self,
        docs: list[Document],
        plan: _Plan,
        progress: bool,
        origin: Mapping[str, _File],
    ) -> int:
        """Chunk, embed and store ``docs``; record them and their chunks in ``plan.kept``."""
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
            record = DocumentRecord.of(doc, relative_path=where.relative_path, source_index=where.source_index,
                                       chunk_count=len(chunks), stat=where.stat, loader=where.loader)  # fmt: skip
            if chunks:
                replaces = plan.untidy or doc.doc_id in plan.stored
                pending.append(
                    DocumentWrite(
                        doc.doc_id, doc.content_hash, chunks, doc_chunks, doc_sentences, replaces, record
                    )
                )
                pending_records += n_sent
            else:
                self.store.delete_document(doc.doc_id)
                self.store.write_document_records([record])
            plan.kept[doc.doc_id] = (
                replace(record, text=""),
                [_stored(c, doc.content_hash, len(chunks)) for c in chunks],
            )
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


def _complete(stored: Sequence[StoredChunk], content_hash: str) -> bool:
    """Every chunk of this text is stored, and nothing else (an interrupted write is not)."""
    if not stored or any(sc.doc_hash != content_hash for sc in stored):
        return False
    return sorted(sc.index for sc in stored) == list(range(stored[0].chunk_count))


def _stored(chunk: Chunk, content_hash: str, chunk_count: int) -> StoredChunk:
    return StoredChunk(chunk.chunk_id, chunk.doc_id, content_hash, chunk.index, chunk.start, chunk.end,
                       chunk.sentences, chunk_count)  # fmt: skip


__all__ = ["CorpusIndex", "IndexSnapshot", "Snapshot", "Source", "SyncReport", "sentence_id"]
