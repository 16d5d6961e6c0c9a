"""A snapshot served from the store: the layout in memory, the texts fetched when asked.

A :class:`StoreSnapshot` holds what every question needs at once (chunk ids,
which article each chunk belongs to, chunk and sentence offsets, article
titles and bylines) as compact arrays, and fetches article texts from the
store on demand into a bounded cache. So a reader's memory does not grow
with the corpus's text, and a process that starts at a revision another
process has already seen loads that layout from disk (the revision cache)
instead of reading every chunk record back from Chroma.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import sys
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from .chroma_store import DocumentRecord, StoredChunk, sentence_id
from .errors import StoreChangedError, VectorStoreError, store_unavailable
from .loading import FileProblem
from .records import Chunk, Document, Span

# Bump when what the layout cache holds changes: older caches are then ignored, never misread.
LAYOUT_VERSION = 1
DEFAULT_TEXT_CACHE_CHARS = 32_000_000
# Revision folders kept per corpus in the index folder (the newest by modification time).
KEEP_REVISIONS = 3


class TextSource(Protocol):
    """Where article texts come from (a :class:`ChromaStore`)."""

    location: str

    def document_texts(self, doc_ids: Sequence[str]) -> dict[str, str]: ...

    def chunk_texts(self) -> Iterator[tuple[str, str]]: ...


@dataclass(frozen=True)
class Layout:
    """One revision's articles and chunks without their texts, as arrays."""

    documents: tuple[DocumentRecord, ...]  # text-less records, in the writer's order
    chunk_ids: tuple[str, ...]
    chunk_doc: np.ndarray  # int32: row in ``documents``
    chunk_index: np.ndarray  # int32
    chunk_span: np.ndarray  # int32 (n, 2): start, end in the document's text
    sentence_ptr: np.ndarray  # int64 (n + 1): chunk i's sentences are rows ptr[i]:ptr[i+1]
    sentence_span: np.ndarray  # int32 (m, 2)

    @classmethod
    def build(cls, records: Sequence[DocumentRecord], chunks: Mapping[str, Sequence[StoredChunk]]) -> Layout:
        """From article records (in order) and each article's stored chunks."""
        ids: list[str] = []
        doc_rows: list[int] = []
        index: list[int] = []
        spans: list[tuple[int, int]] = []
        ptr = [0]
        sentences: list[tuple[int, int]] = []
        for row, record in enumerate(records):
            for sc in sorted(chunks.get(record.doc_id, ()), key=lambda c: c.index):
                ids.append(sc.chunk_id)
                doc_rows.append(row)
                index.append(sc.index)
                spans.append((sc.start, sc.end))
                sentences.extend((s.start, s.end) for s in sc.sentences)
                ptr.append(len(sentences))
        return cls(
            documents=tuple(replace(r, text="") for r in records),
            chunk_ids=tuple(ids),
            chunk_doc=np.asarray(doc_rows, dtype=np.int32),
            chunk_index=np.asarray(index, dtype=np.int32),
            chunk_span=np.asarray(spans, dtype=np.int32).reshape(-1, 2),
            sentence_ptr=np.asarray(ptr, dtype=np.int64),
            sentence_span=np.asarray(sentences, dtype=np.int32).reshape(-1, 2),
        )

    @classmethod
    def empty(cls) -> Layout:
        return cls.build((), {})

    def sentence_ids(self) -> Iterator[str]:
        """The store's id of every sentence this layout holds, chunk by chunk."""
        counts = np.diff(self.sentence_ptr).tolist()
        for chunk_id, n in zip(self.chunk_ids, counts, strict=True):
            yield from (sentence_id(chunk_id, j) for j in range(n))

    def stored_chunks(self, row: int) -> list[StoredChunk]:
        """Article ``row``'s chunks as the store records them (a sync keeping them unchanged)."""
        record = self.documents[row]
        lo, hi = (int(i) for i in np.searchsorted(self.chunk_doc, [row, row + 1]))
        ptr = self.sentence_ptr[lo : hi + 1].tolist()
        spans = [Span(a, b) for a, b in self.sentence_span[ptr[0] : ptr[-1]].tolist()]
        index = self.chunk_index[lo:hi].tolist()
        bounds = self.chunk_span[lo:hi].tolist()
        return [
            StoredChunk(
                chunk_id=self.chunk_ids[lo + i],
                doc_id=record.doc_id,
                doc_hash=record.content_hash,
                index=index[i],
                start=bounds[i][0],
                end=bounds[i][1],
                sentences=tuple(spans[ptr[i] - ptr[0] : ptr[i + 1] - ptr[0]]),
                chunk_count=record.chunk_count,
            )
            for i in range(hi - lo)
        ]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / "layout.npz",
            chunk_doc=self.chunk_doc,
            chunk_index=self.chunk_index,
            chunk_span=self.chunk_span,
            sentence_ptr=self.sentence_ptr,
            sentence_span=self.sentence_span,
        )
        meta = {
            "version": LAYOUT_VERSION,
            "chunk_ids": list(self.chunk_ids),
            "documents": [
                [
                    r.doc_id,
                    r.title,
                    r.byline,
                    r.content_hash,
                    r.relative_path,
                    r.source_index,
                    r.chunk_count,
                    "",
                    r.size,
                    r.mtime_ns,
                    r.ctime_ns,
                    r.inode,
                    r.loader,
                ]
                for r in self.documents
            ],
        }
        (folder / "layout.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Layout | None:
        """The layout saved in ``folder``, or None when absent, partial or of another version."""
        try:
            meta = json.loads((folder / "layout.json").read_text(encoding="utf-8"))
            if meta.get("version") != LAYOUT_VERSION:
                return None
            with np.load(folder / "layout.npz") as arrays:
                loaded = {k: arrays[k] for k in arrays.files}
            return cls(
                documents=tuple(DocumentRecord(*row) for row in meta["documents"]),
                chunk_ids=tuple(meta["chunk_ids"]),
                chunk_doc=loaded["chunk_doc"],
                chunk_index=loaded["chunk_index"],
                chunk_span=loaded["chunk_span"],
                sentence_ptr=loaded["sentence_ptr"],
                sentence_span=loaded["sentence_span"],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


class LayoutSource(Protocol):
    """What reading a layout from the store needs (a :class:`ChromaStore`)."""

    def current_revision(self) -> str: ...

    def stored_documents(self) -> list[DocumentRecord]: ...

    def stored_chunks(self) -> list[StoredChunk]: ...

    def count(self) -> int: ...

    def document_count(self) -> int: ...


# A revision read that changes under the loader (an ingest finished meanwhile) is read again;
# past this many tries the last read is served and the next poll catches up.
_LOAD_TRIES = 3
# Past this many chunks, reading a layout takes seconds: say what is happening.
_SAY_LOADING_FROM = 20_000


def read_layout(
    store: LayoutSource,
    revision: str,
    cache: RevisionCache | None = None,
    known: StoreSnapshot | None = None,
) -> tuple[str, Layout]:
    """The layout of ``revision`` as ``(revision read, layout)``: ``known``'s when it is that
    revision's, else the ``cache``'s when it has it, else read from the store.

    Articles still being written (their record missing, or not matching all
    their chunks) are left out: the revision that completes them has them.
    Only a read that saw one revision from start to end, with nothing left
    out, is saved to the cache.
    """
    if revision != EMPTY_REVISION:
        if known is not None and known.revision == revision:
            candidate: Layout | None = known.layout
        else:
            candidate = cache.load_layout(revision) if cache is not None else None
        # Two counts guard against a store changed without a new revision (a writer killed
        # mid-write, records dropped by hand): the layout is then read past, not trusted.
        if candidate is not None and (store.count(), store.document_count()) == (
            len(candidate.chunk_ids),
            len(candidate.documents),
        ):
            return revision, candidate
    total = store.count()
    if total >= _SAY_LOADING_FROM:
        print(
            f"corpus-qa: reading the layout of {total:,} chunks from the store (revision {revision[:8]}) and "
            "building its BM25 index; saved for later starts, so this happens once per revision and machine.",
            file=sys.stderr,
            flush=True,
        )
    for _ in range(_LOAD_TRIES):
        records = store.stored_documents()
        stored = store.stored_chunks()
        now = store.current_revision()
        if now == revision:
            break
        revision = now
    by_doc: dict[str, list[StoredChunk]] = {}
    for sc in stored:
        by_doc.setdefault(sc.doc_id, []).append(sc)
    kept: list[DocumentRecord] = []
    chunks: dict[str, list[StoredChunk]] = {}
    for record in sorted(records, key=lambda r: r.order()):
        mine = [sc for sc in by_doc.get(record.doc_id, []) if sc.doc_hash == record.content_hash]
        if sorted(sc.index for sc in mine) != list(range(record.chunk_count)):
            continue  # being written right now: not served until complete
        kept.append(record)
        chunks[record.doc_id] = mine
    layout = Layout.build(kept, chunks)
    complete = len(kept) == len(records) and len(layout.chunk_ids) == len(stored)
    if cache is not None and complete and now == revision and revision != EMPTY_REVISION:
        cache.save_layout(revision, layout)
    return revision, layout


EMPTY_REVISION = "empty"


class TextCache:
    """Article texts by doc id, least recently used first out, bounded by total characters."""

    def __init__(self, max_chars: int = DEFAULT_TEXT_CACHE_CHARS) -> None:
        self.max_chars = max(0, int(max_chars))
        self._texts: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            text = self._texts.get(key)
            if text is not None:
                self._texts.move_to_end(key)
            return text

    def put(self, key: tuple[str, str], text: str) -> None:
        with self._lock:
            if key in self._texts:
                self._texts.move_to_end(key)
                return
            self._texts[key] = text
            self._chars += len(text)
            while self._chars > self.max_chars and len(self._texts) > 1:
                _, dropped = self._texts.popitem(last=False)
                self._chars -= len(dropped)

    @property
    def chars(self) -> int:
        return self._chars

    def __len__(self) -> int:
        return len(self._texts)


class _Documents(Mapping[str, Document]):
    def __init__(self, snapshot: StoreSnapshot) -> None:
        self._s = snapshot

    def __getitem__(self, doc_id: str) -> Document:
        row = self._s._doc_row[doc_id]  # KeyError for an unknown id, as a dict would
        return self._s._document(row)

    def __iter__(self) -> Iterator[str]:
        return iter(self._s._doc_row)

    def __len__(self) -> int:
        return len(self._s._doc_row)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._s._doc_row


class _Chunks(Mapping[str, Chunk]):
    def __init__(self, snapshot: StoreSnapshot) -> None:
        self._s = snapshot

    def __getitem__(self, chunk_id: str) -> Chunk:
        return self._s._chunk(self._s._chunk_row[chunk_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._s.chunk_order)

    def __len__(self) -> int:
        return len(self._s.chunk_order)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._s._chunk_row


class StoreSnapshot:
    """qa's ``Snapshot`` over a :class:`Layout`, with texts from the store through a :class:`TextCache`.

    Immutable like every snapshot: it answers for one revision. A text is
    fetched with the content hash it was recorded with, so a text written by
    a later revision is never mixed into this one's offsets (that question
    is answered as "store changed, ask again" instead; see ``_fetch``).
    """

    def __init__(
        self,
        revision: str,
        layout: Layout,
        source: TextSource,
        cache: TextCache,
        problems: tuple[FileProblem, ...] = (),
        roots: Sequence[Path] = (),
    ) -> None:
        self._revision = revision
        self.layout = layout
        self._source = source
        self._cache = cache
        self.problems = problems
        self._roots = tuple(roots)  # source folders by source index: source_path is a real path then
        self._doc_row = {r.doc_id: i for i, r in enumerate(layout.documents)}
        self._chunk_row = {cid: i for i, cid in enumerate(layout.chunk_ids)}
        self.documents: Mapping[str, Document] = _Documents(self)
        self.chunks: Mapping[str, Chunk] = _Chunks(self)
        # A question reads each candidate chunk many times: built once, kept while recently used.
        self._chunk = functools.lru_cache(maxsize=4096)(self._build_chunk)

    @property
    def revision(self) -> str:
        return self._revision

    @property
    def chunk_order(self) -> tuple[str, ...]:
        return self.layout.chunk_ids

    def sentence_count(self, chunk_id: str) -> int:
        row = self._chunk_row[chunk_id]
        return int(self.layout.sentence_ptr[row + 1] - self.layout.sentence_ptr[row])

    def warm(self, chunk_ids: Iterable[str]) -> None:
        """Fetch the texts of these chunks' articles not cached yet, in one call to the store."""
        missing: dict[int, None] = {}
        for chunk_id in chunk_ids:
            at = self._chunk_row.get(chunk_id)
            if at is None:
                continue
            row = int(self.layout.chunk_doc[at])
            if row not in missing and self._cache.get(self._key(row)) is None:
                missing[row] = None
        if missing:
            self._fetch(list(missing))

    def catalog(self) -> list[tuple[str, str, str | None, int]]:
        """``(doc_id, title, byline, chunk count)`` of every article, without fetching a text."""
        return [(r.doc_id, r.title, r.byline, r.chunk_count) for r in self.layout.documents]

    def chunk_texts(self) -> Iterator[str]:
        """Every chunk's text in ``chunk_order``, paged from the store (to build the BM25 index)."""
        texts = dict(self._source.chunk_texts())
        for cid in self.chunk_order:
            yield texts.get(cid, "")

    # -- inside --------------------------------------------------------------------

    def _key(self, row: int) -> tuple[str, str]:
        record = self.layout.documents[row]
        return record.doc_id, record.content_hash

    def _text(self, row: int) -> str:
        text = self._cache.get(self._key(row))
        if text is None:
            text = self._fetch([row])[row]
        return text

    def _fetch(self, rows: Sequence[int]) -> dict[int, str]:
        records = [self.layout.documents[r] for r in rows]
        try:
            got = self._source.document_texts([r.doc_id for r in records])
        except VectorStoreError:
            raise
        except Exception as exc:  # a server gone away: the same message as a failed query
            raise store_unavailable(self._source.location, exc) from exc
        out: dict[int, str] = {}
        for row, record in zip(rows, records, strict=True):
            text = got.get(record.doc_id)
            if text is None or _hash(text) != record.content_hash:
                raise StoreChangedError(
                    f"Article {record.doc_id!r} changed or was removed in the store after revision "
                    f"{self._revision[:8]} was loaded. Ask again: the new revision is picked up within seconds."
                )
            self._cache.put(self._key(row), text)
            out[row] = text
        return out

    def _document(self, row: int) -> Document:
        r = self.layout.documents[row]
        path = r.relative_path
        if 0 <= r.source_index < len(self._roots):
            path = str(self._roots[r.source_index] / r.relative_path)
        return Document(r.doc_id, r.title, r.byline, self._text(row), r.content_hash, path)

    def _build_chunk(self, row: int) -> Chunk:
        layout = self.layout
        doc_row = int(layout.chunk_doc[row])
        start, end = (int(v) for v in layout.chunk_span[row])
        lo, hi = int(layout.sentence_ptr[row]), int(layout.sentence_ptr[row + 1])
        return Chunk(
            chunk_id=layout.chunk_ids[row],
            doc_id=layout.documents[doc_row].doc_id,
            index=int(layout.chunk_index[row]),
            start=start,
            end=end,
            text=self._text(doc_row)[start:end],
            sentences=tuple(Span(int(s), int(e)) for s, e in layout.sentence_span[lo:hi]),
        )


def _hash(text: str) -> str:
    from .loading import content_hash

    return content_hash(text)


class RevisionCache:
    """Per-revision folders under ``root`` (one corpus): the layout, and whatever else a reader keeps.

    Written by whichever process first loads a revision, atomically (a
    temporary folder renamed into place), so readers on one machine share it
    and a kill never leaves a half-written one that looks complete.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, revision: str) -> Path:
        return self.root / revision

    def load_layout(self, revision: str) -> Layout | None:
        folder = self.folder(revision)
        if not folder.is_dir():
            return None
        layout = Layout.load(folder / "layout")
        if layout is not None:
            _touch(folder)
        return layout

    def save_layout(self, revision: str, layout: Layout) -> None:
        """Keep ``layout``; never raises (a read-only or full disk only costs the next start time)."""
        try:
            if (self.folder(revision) / "layout").is_dir():
                return  # saved already (by this process at an earlier start, or by another one)
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = self.root / f".tmp-{uuid.uuid4().hex}"
            layout.save(tmp)
            target = self.folder(revision)
            target.mkdir(exist_ok=True)
            try:
                os.replace(tmp, target / "layout")
            except OSError:  # another process saved the same revision first
                shutil.rmtree(tmp, ignore_errors=True)
            self.prune()
        except OSError:
            pass

    def prune(self, keep: int = KEEP_REVISIONS) -> None:
        """Drop all but the ``keep`` most recently used revision folders (and stray temporaries)."""
        try:
            entries = [p for p in self.root.iterdir() if p.is_dir()]
        except OSError:
            return
        revisions = sorted((p for p in entries if not p.name.startswith(".")), key=_mtime, reverse=True)
        for old in revisions[keep:]:
            shutil.rmtree(old, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


__all__ = ["EMPTY_REVISION", "Layout", "RevisionCache", "StoreSnapshot", "TextCache", "read_layout"]
