"""Chroma storage of chunk and sentence vectors, and of the articles themselves.

Three collections per corpus: ``<name>`` holds one record per chunk (its text
as the Chroma document, offsets and sentence spans in metadata), ``<name>__s``
one record per quotable sentence and ``<name>__d`` one record per article (its
full text as the Chroma document; title, byline, hash and path in metadata),
so a reader needs nothing but the store. Embeddings are always passed in:
Chroma's default embedding function (which downloads a model) never runs.
A server-backed writer also holds ``<name>__w``, its lease (:class:`WriteLease`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import socket
import stat
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from .errors import (
    CollectionNotFoundError,
    InvalidNameError,
    LeaseLostError,
    StoreDamagedError,
    StoreInUseError,
    StoreMismatchError,
    StoreReadOnlyError,
    StoreUnavailableError,
)
from .records import Chunk, Document, Span

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,59}[a-zA-Z0-9]$")
SENTENCE_SUFFIX = "__s"
DOCUMENT_SUFFIX = "__d"
LEASE_SUFFIX = "__w"
RESERVED_SUFFIXES = (SENTENCE_SUFFIX, DOCUMENT_SUFFIX, LEASE_SUFFIX)
# Chroma needs an embedding per record; article records are only ever read by id or
# page, never queried by vector, so each carries this one fixed vector.
_DOCUMENT_VECTOR = (1.0,)
# Article texts per upsert, in characters: keeps one request well under server body limits.
_DOCUMENT_BATCH_CHARS = 8_000_000
_META_PREFIX = "cqa_"


@dataclass(frozen=True)
class StoredChunk:
    """What the store remembers of a chunk: enough to rebuild it from the document text."""

    chunk_id: str
    doc_id: str
    doc_hash: str
    index: int
    start: int
    end: int
    sentences: tuple[Span, ...]
    chunk_count: int


# A file's (size, mtime_ns, ctime_ns, inode): what tells a sync, without reading it, that it is unchanged.
FileStat = tuple[int, int, int, int]


def file_stat(st: os.stat_result) -> FileStat:
    return (int(st.st_size), int(st.st_mtime_ns), int(st.st_ctime_ns), int(st.st_ino))


@dataclass(frozen=True)
class DocumentRecord:
    """One article as the store keeps it: the text every offset points into, and where it came from.

    ``source_index`` and ``relative_path`` give a reader the folder order
    (source by source, path by path) that the writer's snapshot has;
    ``text`` is empty when only the metadata was read.
    """

    doc_id: str
    title: str
    byline: str | None
    content_hash: str
    relative_path: str
    source_index: int
    chunk_count: int
    text: str = ""
    # The file's size, modification time, status-change time and inode when it was read: the
    # manifest that lets a sync skip reading and hashing an unchanged file. The ctime and inode catch
    # an edit that keeps size and mtime (`touch -d`, `cp -p`, `rsync -t`, a tar restore): ctime cannot
    # be set back. -1: not recorded (a store from before the manifest, or before ctime and inode).
    size: int = -1
    mtime_ns: int = -1
    ctime_ns: int = -1
    inode: int = -1
    # The loader version the text was made with (vectorstore.loading.loader_version): a file read by
    # an older loader of its type is read again, even when its stat is unchanged.
    loader: str = ""

    @classmethod
    def of(
        cls,
        doc: Document,
        *,
        relative_path: str,
        source_index: int,
        chunk_count: int,
        stat: FileStat = (-1, -1, -1, -1),
        loader: str = "",
    ) -> DocumentRecord:
        return cls(doc.doc_id, doc.title, doc.byline, doc.content_hash, relative_path, source_index,
                   chunk_count, doc.text, *stat, loader)  # fmt: skip

    @property
    def stat(self) -> FileStat:
        return (self.size, self.mtime_ns, self.ctime_ns, self.inode)

    def document(self) -> Document:
        """The :class:`Document` a reader serves; ``source_path`` is the path relative to its folder."""
        return Document(self.doc_id, self.title, self.byline, self.text, self.content_hash, self.relative_path)

    def order(self) -> tuple[int, tuple[str, ...]]:
        """The writer's order: by source, then as ``sorted(paths)`` orders paths (part by part)."""
        return self.source_index, tuple(self.relative_path.split("/"))


@dataclass(frozen=True)
class DocumentWrite:
    """One document's new records, as :meth:`ChromaStore.write_documents` takes them."""

    doc_id: str
    doc_hash: str
    chunks: Sequence[Chunk]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    replaces: bool = True
    # Written after the chunks: a document counts as stored only once its record matches them.
    record: DocumentRecord | None = None


def validate_collection_name(name: str) -> str:
    """A corpus name: Chroma's naming rules, checked before any write, with the fix in the message.

    A corpus keeps its sentences, articles and lease in ``<name>__s``, ``__d`` and ``__w``, so a
    corpus named ``news__s`` would share its records with corpus ``news`` (and a sync of one would
    sweep the other's as leftovers): such names are refused.
    """
    _chroma_name(name)
    reserved = next((s for s in RESERVED_SUFFIXES if name.endswith(s)), None)
    if reserved is not None:
        raise InvalidNameError(
            f"Invalid collection name {name!r}: names ending in {reserved!r} are reserved for a corpus's "
            f"own sentence, article and lease collections; use another name, e.g. {name[: -len(reserved)] + '-2'!r}."
        )
    return name


def _chroma_name(name: str) -> str:
    """Chroma's own naming rules (for a corpus's name and for its internal collections alike)."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise InvalidNameError(
            f"Invalid collection name {name!r}: use 3-62 characters of letters, digits, '.', '_' "
            "or '-', starting and ending with a letter or digit, without '..'."
        )
    return name


def _validate_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise InvalidNameError(f"Invalid metadata key {key!r}: keys must be non-empty strings.")
        if value is None or not isinstance(value, str | int | float | bool):
            raise InvalidNameError(
                f"Invalid metadata value for {key!r}: {type(value).__name__}; use str, int, float or bool."
            )
    return metadata


class _FolderLock:
    """An exclusive advisory lock on a store folder, held for the process's life.

    Chroma's embedded store must have one writer process; a second process
    gets a clear error instead of hanging or silently diverging.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / "corpus-qa.lock"
        # Never through a link or into a FIFO/device: the file is truncated and written below.
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StoreUnavailableError(
                    f"The lock file {self.path} is a symbolic link; corpus-qa does not write through "
                    "links. Remove it (it is created again) or pass another folder with --store."
                ) from exc
            raise _store_os_error(folder, exc) from exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StoreUnavailableError(
                f"The lock file {self.path} is not a regular file. Remove it (it is created again) "
                "or pass another folder with --store."
            )
        self._handle = os.fdopen(fd, "r+")
        try:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.seek(0)
            holder = self._handle.read().strip() or "another process"
            self._handle.close()
            raise StoreInUseError(
                f"Store folder {folder} is in use by PID {holder}. Stop that process, pick another "
                "folder with --store, or run a Chroma server (`chroma run`) and pass --chroma-url "
                "so several processes can share one store."
            ) from None
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(str(os.getpid()))
        self._handle.flush()

    def release(self) -> None:
        if not self._handle.closed:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()


_READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
SQLITE_FILE = "chroma.sqlite3"


def _store_os_error(folder: Path, exc: OSError, *, creating: bool = False) -> StoreUnavailableError:
    """A store folder that cannot be created or written, as an error that names the fix."""
    if exc.errno in _READ_ONLY_ERRNOS:
        problem = "cannot be created" if creating else "is not writable"
        return StoreReadOnlyError(
            f"The store folder {folder} {problem} ({exc.strerror or exc}): corpus-qa keeps its "
            "index there. Pass a writable folder with --store or CORPUS_QA_STORE_DIR, or give this "
            "user write access to it. Nothing in it was changed."
        )
    if exc.errno in {errno.EEXIST, errno.ENOTDIR}:
        return StoreUnavailableError(
            f"Cannot use {folder} as the store folder: it, or a folder above it, is a file. Pass a "
            "folder with --store or CORPUS_QA_STORE_DIR."
        )
    return StoreUnavailableError(
        f"Cannot use the store folder {folder} ({exc.strerror or exc}): pass another folder with "
        "--store or CORPUS_QA_STORE_DIR."
    )


def _check_writable(folder: Path) -> None:
    """Fail early, with the fix, when the folder or its database cannot be written.

    Tried for real (a temporary file, the database opened for writing but
    not written), since permission bits say nothing about root, read-only
    mounts or immutable files.
    """
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise _store_os_error(folder, exc) from exc
    database = folder / SQLITE_FILE
    try:
        fd = os.open(database, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno in _READ_ONLY_ERRNOS:
            raise StoreReadOnlyError(
                f"The store's database {database} is read-only ({exc.strerror or exc}): corpus-qa "
                "must write to it. Give this user write access to it, or pass another folder with "
                "--store or CORPUS_QA_STORE_DIR. Nothing in it was changed."
            ) from exc
        return  # anything else is Chroma's to report
    os.close(fd)


def _forget_system(folder: Path) -> None:
    """Drop chromadb's cached System for ``folder`` so the next client starts a fresh one.

    chromadb keeps one System per path (``SharedSystemClient``) and caches it
    before starting it: after a failed start the half-built one stays, and
    every later client for that path fails ("'RustBindingsAPI' object has no
    attribute 'bindings'") until the process ends.
    """
    with contextlib.suppress(Exception):  # private chromadb state: best effort
        from chromadb.api.shared_system_client import SharedSystemClient

        with SharedSystemClient._refcount_lock:
            system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
            SharedSystemClient._identifier_to_refcount.pop(str(folder), None)
        if system is not None:
            with contextlib.suppress(Exception):
                system.stop()


# One Chroma client and folder lock per store folder in this process: opening
# the same folder twice must share them, not dead-lock on our own lock.
_clients_lock = threading.Lock()
_clients: dict[str, tuple[Any, _FolderLock | None]] = {}


def open_client(*, path: Path | None = None, url: str | None = None) -> Any:
    """A Chroma client: embedded on ``path``, or over HTTP to ``url``."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if url:
        key = f"url:{url}"
        with _clients_lock:
            if key in _clients:
                return _clients[key][0]
            parsed = urlparse(url if "://" in url else f"http://{url}")
            if parsed.scheme not in {"http", "https"} or not parsed.hostname:
                raise StoreUnavailableError(
                    f"Chroma URL {url!r} is not valid: use http://HOST:PORT, e.g. http://127.0.0.1:8000."
                )
            port = parsed.port or (443 if parsed.scheme == "https" else 8000)
            try:
                client = chromadb.HttpClient(
                    host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=settings
                )
                client.heartbeat()
            except Exception as exc:
                raise StoreUnavailableError(
                    f"Cannot reach the Chroma server at {url} ({exc}). Start it with "
                    "`chroma run --host 127.0.0.1 --port PORT --path DIR` or check --chroma-url."
                ) from exc
            _clients[key] = (client, None)
            return client
    if path is None:
        raise StoreUnavailableError("No store given: pass a store folder or a Chroma server URL.")
    folder = Path(path).expanduser().resolve()
    key = f"path:{folder}"
    with _clients_lock:
        if key in _clients:
            return _clients[key][0]
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _store_os_error(folder, exc, creating=not folder.exists()) from exc
        if not folder.is_dir():
            raise _store_os_error(folder, FileExistsError(errno.EEXIST, "a file", str(folder)))
        lock = _FolderLock(folder)
        try:
            _check_writable(folder)
            client = chromadb.PersistentClient(path=str(folder), settings=settings)
        except StoreReadOnlyError:
            lock.release()
            raise
        except Exception as exc:
            lock.release()
            _forget_system(folder)  # else this process could never open the folder again
            raise StoreUnavailableError(f"Cannot open the Chroma store in {folder} ({exc}).") from exc
        _clients[key] = (client, lock)
        return client


def has_client(*, path: Path | None = None, url: str | None = None) -> bool:
    """Whether this process holds an open client (and the lock) for that store."""
    key = f"url:{url}" if url else f"path:{Path(path or '').expanduser().resolve()}"
    with _clients_lock:
        return key in _clients


def close_client(*, path: Path | None = None, url: str | None = None) -> None:
    """Forget a client and release its folder lock (tests and long-lived hosts use this)."""
    key = f"url:{url}" if url else f"path:{Path(path or '').expanduser().resolve()}"
    with _clients_lock:
        entry = _clients.pop(key, None)
    if entry is None:
        return
    client, lock = entry
    # close() releases this client's share of chromadb's per-path System (stopping it, and its
    # SQLite handles, when it was the last). clear_system_cache() would drop every folder's.
    try:
        client.close()
    except Exception:
        if path is not None:
            _forget_system(Path(path).expanduser().resolve())
    if lock:
        lock.release()


def _not_found(exc: Exception) -> bool:
    return type(exc).__name__ == "NotFoundError" or "does not exist" in str(exc)


def _pages(collection: Any, include: list[str], max_batch: int, size: int = 5000) -> Iterator[Any]:
    """A collection's records, ``size`` at a time (Chroma's batch limit permitting)."""
    page = max(1, min(max_batch, size))
    for offset in range(0, int(collection.count()), page):
        yield collection.get(include=include, limit=page, offset=offset)


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class ChromaStore:
    """Chunk and sentence vectors, and article records, of one corpus in Chroma.

    ``read_only``: open existing collections only, never create, drop or
    re-embed (a reader without the corpus folder cannot rebuild anything).
    ``shared``: the store is a server other processes write to, so a writer
    takes a :class:`WriteLease` (an embedded folder has its flock instead).
    """

    def __init__(
        self,
        client: Any,
        name: str,
        *,
        model_name: str,
        dimension: int,
        chunker_version: str,
        location: str,
        reset: bool = False,
        read_only: bool = False,
        shared: bool = False,
        lease_ttl_s: float = 60.0,
    ) -> None:
        self.name = validate_collection_name(name)
        for suffix in RESERVED_SUFFIXES:
            _chroma_name(name + suffix)
        self.location = location
        self.read_only = read_only
        self.shared = shared
        self.lease_ttl_s = lease_ttl_s
        # Set by the writer while it holds the lease: every write checks it was not lost first.
        self.active_lease: WriteLease | None = None
        self._client = client
        self._expected = {
            f"{_META_PREFIX}model": model_name,
            f"{_META_PREFIX}dimension": int(dimension),
            f"{_META_PREFIX}chunker": chunker_version,
        }
        self.rebuilt = False
        if reset and not read_only:
            self._drop()
        names = (self.name, self.name + SENTENCE_SUFFIX, self.name + DOCUMENT_SUFFIX)
        opened = [self._open(n) for n in names]
        if self.rebuilt:  # a drop while opening a later collection also dropped those opened before it
            opened = [self._open(n, rebuilt=True) for n in names]
        self._chunks, self._sentences, self._documents = opened
        self._max_batch = int(client.get_max_batch_size())
        self.check()

    @property
    def client(self) -> Any:
        return self._client

    def write_lease(self) -> WriteLease:
        """This corpus's writer lease on a shared server (use as ``with store.write_lease():``)."""
        return WriteLease(self._client, self.name, location=self.location, ttl_s=self.lease_ttl_s)

    def _guard(self) -> None:
        if self.read_only:
            raise StoreReadOnlyError(f"Corpus {self.name!r} in {self.location} was opened for reading only.")
        if self.active_lease is not None:
            self.active_lease.check()

    def check(self) -> None:
        """Health check: a count and one query per vector collection, a count and a read of the articles."""
        try:
            for collection in (self._chunks, self._sentences):
                if collection.count():
                    probe = np.zeros(int(str(self._expected[f"{_META_PREFIX}dimension"])), dtype=np.float32)
                    probe[0] = 1.0
                    collection.query(query_embeddings=[probe], n_results=1, include=["distances"])
            if self._documents.count():  # never queried by vector: its vectors are placeholders
                self._documents.get(limit=1, include=["metadatas"])
        except Exception as exc:
            raise StoreDamagedError(f"The store in {self.location} failed its health check: {exc}") from exc

    # -- opening -----------------------------------------------------------

    def _drop(self) -> None:
        # By name, not via list_collections(): listing fails when any corpus's collection is damaged.
        for name in (self.name, self.name + SENTENCE_SUFFIX, self.name + DOCUMENT_SUFFIX):
            try:
                self._client.delete_collection(name)
            except Exception as exc:
                if type(exc).__name__ == "NotFoundError" or "does not exist" in str(exc):
                    continue
                raise StoreDamagedError(
                    f"Cannot drop collection {name!r} in {self.location} ({exc})"
                ) from exc

    def _open(self, name: str, *, rebuilt: bool = False) -> Any:
        metadata = _validate_metadata({**self._expected, f"{_META_PREFIX}revision": "empty"})
        try:
            if self.read_only:
                collection = self._client.get_collection(name, embedding_function=None)
            else:
                collection = self._client.get_or_create_collection(
                    name,
                    metadata=metadata,
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=None,
                )
        except Exception as exc:
            if self.read_only and _not_found(exc):
                raise CollectionNotFoundError(
                    f"There is no corpus {self.name!r} in {self.location} (collection {name!r} is missing). "
                    f"Ingest it first: corpus-qa ingest FOLDER --collection {self.name} (with the same "
                    "--chroma-url or --store); a store written by an older corpus-qa gains its article "
                    "records on that run without re-embedding."
                ) from exc
            raise StoreUnavailableError(f"Cannot open collection {name!r} in {self.location}: {exc}") from exc
        configuration = getattr(collection, "configuration", None) or {}
        if configuration.get("embedding_function") is not None:
            # A stored embedding-function config can make a client import and run code.
            raise StoreMismatchError(
                f"Collection {name!r} in {self.location} carries an embedding-function configuration; "
                "corpus-qa refuses it. Use another collection or store, or rebuild with --rebuild."
            )
        found = collection.metadata or {}
        stale = [(key[len(_META_PREFIX) :], found.get(key), want) for key, want in self._expected.items() if found.get(key) != want]
        if stale and self.read_only:
            what = ", ".join(f"{key} {have!r} (this reader uses {want!r})" for key, have, want in stale)
            raise StoreMismatchError(
                f"Corpus {self.name!r} in {self.location} was built with {what}. Read it with the same "
                "embedding model (CORPUS_QA_MODEL) and chunking, or ingest it again with this one."
            )
        if stale and not rebuilt:
            # Built with another model or chunker: its vectors cannot be mixed with ours. The corpus
            # folder is the source of truth, so drop this corpus's collections and let sync re-embed.
            what = ", ".join(f"{key} {have!r} (now {want!r})" for key, have, want in stale)
            print(f"corpus-qa: collection {name!r} in {self.location} was built with {what}; "
                  "re-embedding this corpus's articles.", file=sys.stderr)  # fmt: skip
            self._drop()
            self.rebuilt = True
            return self._open(name, rebuilt=True)
        if stale:
            raise StoreMismatchError(
                f"Collection {name!r} in {self.location} still reports {stale[0][0]}={stale[0][1]!r} after a "
                "rebuild. Point --store / --chroma-url elsewhere."
            )
        return collection

    # -- reading -----------------------------------------------------------

    @property
    def revision(self) -> str:
        meta = self._chunks.metadata or {}
        return str(meta.get(f"{_META_PREFIX}revision", "empty"))

    def current_revision(self) -> str:
        """The revision as the store has it now, written by any process (``revision`` is this handle's)."""
        fresh = self._client.get_collection(self.name, embedding_function=None)
        return str((fresh.metadata or {}).get(f"{_META_PREFIX}revision", "empty"))

    def stored_documents(self) -> list[DocumentRecord]:
        """Every article record's metadata (not its text), in pages."""
        out: list[DocumentRecord] = []
        for got in _pages(self._documents, ["metadatas"], self._max_batch):
            for did, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                byline = meta.get("byline")
                out.append(
                    DocumentRecord(
                        doc_id=did,
                        title=str(meta["title"]),
                        byline=str(byline) if byline is not None else None,
                        content_hash=str(meta["content_hash"]),
                        relative_path=str(meta["relative_path"]),
                        source_index=int(meta["source_index"]),
                        chunk_count=int(meta["chunk_count"]),
                        size=int(meta.get("size", -1)),
                        mtime_ns=int(meta.get("mtime_ns", -1)),
                        ctime_ns=int(meta.get("ctime_ns", -1)),
                        inode=int(meta.get("inode", -1)),
                        loader=str(meta.get("loader", "")),
                    )
                )
        return out

    def count(self) -> int:
        return int(self._chunks.count())

    def document_count(self) -> int:
        return int(self._documents.count())

    def sentence_count(self) -> int:
        return int(self._sentences.count())

    def stored_chunks(self) -> list[StoredChunk]:
        """Every chunk's stored metadata, in pages (large stores)."""
        return [
            _stored_chunk(cid, meta)
            for got in _pages(self._chunks, ["metadatas"], self._max_batch)
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
        ]

    def document_texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The stored texts of ``doc_ids`` (those that are stored), in one call per batch."""
        out: dict[str, str] = {}
        for batch in _batches(list(dict.fromkeys(doc_ids)), self._max_batch):
            got = self._documents.get(ids=list(batch), include=["documents"])
            out.update((i, str(t)) for i, t in zip(got["ids"], got.get("documents") or [], strict=True))
        return out

    def chunk_texts(self) -> Iterator[tuple[str, str]]:
        """Every stored chunk's ``(id, text)``, in pages (building a lexical index)."""
        for got in _pages(self._chunks, ["documents"], self._max_batch):
            yield from ((i, str(t)) for i, t in zip(got["ids"], got.get("documents") or [], strict=True))

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        return self._query(self._chunks, vector, k)

    def query_sentences(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        return self._query(self._sentences, vector, k)

    def _query(self, collection: Any, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if k <= 0:
            return []
        got = collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, include=["distances"]
        )
        ids = got["ids"][0] if got["ids"] else []
        distances = got["distances"][0] if got.get("distances") else []
        # Cosine distance -> similarity, so scores read the same as the model's.
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def query_sentence_keys(self, vector: np.ndarray, k: int) -> list[tuple[str, int, float]]:
        """The nearest sentences as ``(chunk_id, position, similarity)``: the form readers hand to qa."""
        out: list[tuple[str, int, float]] = []
        for sid, score in self.query_sentences(vector, k):
            chunk_id, _, position = sid.rpartition("/")
            if chunk_id and position.isdigit():
                out.append((chunk_id, int(position), score))
        return out

    def sentence_vectors_by_key(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], np.ndarray]:
        by_id = {sentence_id(chunk_id, position): (chunk_id, position) for chunk_id, position in keys}
        found = self.sentence_vectors(list(by_id))
        return {by_id[sid]: vector for sid, vector in found.items() if sid in by_id}

    def sentence_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._sentences.get(ids=list(ids), include=["embeddings"])
        embeddings = got.get("embeddings")
        if embeddings is None:
            return {}
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], embeddings, strict=True)}

    # -- writing -----------------------------------------------------------

    def write_documents(self, items: Sequence[DocumentWrite]) -> None:
        """Replace several documents' records in as few Chroma calls as the batch size allows.

        Order matters for crash safety: sentences, then chunks (each chunk
        records how many its document has, so a half-written document is
        recognised as incomplete and written again), then stale records out.
        A kill at any point leaves every document findable, old or new. Article
        records go after the chunks, so a record marks its document complete.
        """
        self._guard()
        chunk_ids: list[str] = []
        chunk_meta: list[dict[str, Any]] = []
        chunk_texts: list[str] = []
        sentence_ids: list[str] = []
        sentence_meta: list[dict[str, Any]] = []
        for item in items:
            for c in item.chunks:
                chunk_ids.append(c.chunk_id)
                chunk_texts.append(c.text)
                chunk_meta.append(
                    _validate_metadata(
                        {
                            "doc_id": item.doc_id,
                            "doc_hash": item.doc_hash,
                            "index": c.index,
                            "start": c.start,
                            "end": c.end,
                            "sentences": json.dumps([[s.start, s.end] for s in c.sentences]),
                            "chunk_count": len(item.chunks),
                        }
                    )
                )
                for j, span in enumerate(c.sentences):
                    sentence_ids.append(sentence_id(c.chunk_id, j))
                    sentence_meta.append(
                        {"doc_id": item.doc_id, "chunk_id": c.chunk_id, "start": span.start, "end": span.end}
                    )
        records = [item.record for item in items if item.record is not None]
        if not chunk_ids:
            self.write_document_records(records)
            return
        sentence_vectors = np.concatenate([item.sentence_vectors for item in items if len(item.chunks)])
        chunk_vectors = np.concatenate([item.chunk_vectors for item in items if len(item.chunks)])
        self._upsert(self._sentences, sentence_ids, sentence_vectors, sentence_meta, None)
        self._upsert(self._chunks, chunk_ids, chunk_vectors, chunk_meta, chunk_texts)
        self.write_document_records(records)
        keep_chunks, keep_sentences = set(chunk_ids), set(sentence_ids)
        for item in items:
            if (
                item.replaces
            ):  # a new document has no stale records: skipping the lookup keeps bulk ingest fast
                self._delete_stale(self._chunks, item.doc_id, keep_chunks)
                self._delete_stale(self._sentences, item.doc_id, keep_sentences)

    def write_document_records(self, records: Sequence[DocumentRecord]) -> None:
        """Upsert article records (after their chunks: a record marks its document complete)."""
        self._guard()
        batch: list[DocumentRecord] = []
        chars = 0
        for record in records:
            if batch and (len(batch) >= self._max_batch or chars + len(record.text) > _DOCUMENT_BATCH_CHARS):
                self._upsert_records(batch)
                batch, chars = [], 0
            batch.append(record)
            chars += len(record.text)
        if batch:
            self._upsert_records(batch)

    def _upsert_records(self, records: Sequence[DocumentRecord]) -> None:
        metadatas = []
        for r in records:
            meta: dict[str, Any] = {
                "doc_id": r.doc_id,
                "title": r.title,
                "content_hash": r.content_hash,
                "relative_path": r.relative_path,
                "source_index": r.source_index,
                "chunk_count": r.chunk_count,
                "size": r.size,
                "mtime_ns": r.mtime_ns,
                "ctime_ns": r.ctime_ns,
                "inode": r.inode,
                "loader": r.loader,
            }
            if r.byline is not None:  # Chroma metadata has no None: a missing key is "no byline"
                meta["byline"] = r.byline
            metadatas.append(_validate_metadata(meta))
        self._documents.upsert(
            ids=[r.doc_id for r in records],
            embeddings=np.asarray([_DOCUMENT_VECTOR] * len(records), dtype=np.float32),
            metadatas=metadatas,
            documents=[r.text for r in records],
        )

    def delete_document(self, doc_id: str) -> None:
        self._guard()
        # The article record first: without it the document no longer counts as stored.
        self._documents.delete(ids=[doc_id])
        self._chunks.delete(where={"doc_id": doc_id})
        self._sentences.delete(where={"doc_id": doc_id})

    def sweep(self, keep_chunks: Collection[str], keep_sentences: Collection[str]) -> int:
        """Delete every chunk and sentence record not kept (what interrupted writes left); return how many.

        Only for a sync that found the store holding more than its layout: it reads every id.
        """
        self._guard()
        removed = 0
        for collection, keep in ((self._chunks, keep_chunks), (self._sentences, keep_sentences)):
            pages = _pages(collection, [], self._max_batch)
            stray = [i for got in pages for i in got["ids"] if i not in keep]
            for batch in _batches(stray, self._max_batch):
                collection.delete(ids=list(batch))
            removed += len(stray)
        return removed

    def bump_revision(self) -> str:
        self._guard()
        revision = uuid.uuid4().hex
        self._chunks.modify(metadata={**self._expected, f"{_META_PREFIX}revision": revision})
        return revision

    def _upsert(
        self,
        collection: Any,
        ids: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        documents: Sequence[str] | None,
    ) -> None:
        for start in range(0, len(ids), self._max_batch):
            stop = start + self._max_batch
            collection.upsert(
                ids=list(ids[start:stop]),
                embeddings=np.asarray(vectors[start:stop], dtype=np.float32),
                metadatas=list(metadatas[start:stop]),
                documents=list(documents[start:stop]) if documents is not None else None,
            )

    def _delete_stale(self, collection: Any, doc_id: str, keep: Iterable[str]) -> None:
        keep_set = set(keep)
        got = collection.get(where={"doc_id": doc_id}, include=[])
        stale = [i for i in got["ids"] if i not in keep_set]
        for batch in _batches(stale, self._max_batch):
            collection.delete(ids=list(batch))


def _stored_chunk(cid: str, meta: Mapping[str, Any]) -> StoredChunk:
    return StoredChunk(
        chunk_id=cid,
        doc_id=str(meta["doc_id"]),
        doc_hash=str(meta["doc_hash"]),
        index=int(meta["index"]),
        start=int(meta["start"]),
        end=int(meta["end"]),
        sentences=tuple(Span(int(s), int(e)) for s, e in json.loads(str(meta["sentences"]))),
        chunk_count=int(meta.get("chunk_count", -1)),
    )


def sentence_id(chunk_id: str, position: int) -> str:
    return f"{chunk_id}/{position}"


def lease_holder() -> str:
    """Who a lease names: host, PID and a random tag (PIDs repeat across machines and restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WriteLease:
    """One writer per corpus on a shared Chroma server: a ``<name>__w`` collection naming its holder.

    Chroma has no compare-and-set on records, but creating a collection whose
    name exists fails on the server, so the first creator wins atomically. The
    lease expires ``ttl_s`` after its last renewal (wall-clock time, so
    writers' clocks must roughly agree); a crashed writer's lease is taken
    over once expired. Two writers taking over one expired lease at once can
    both delete and create: each waits ``settle_s`` and checks it is still the
    holder, so the later one wins and the other backs off before writing.
    While held, a thread renews it every ``ttl_s / 3``; a writer that lost it
    (stalled past its expiry) learns so at its next :meth:`check`.
    """

    def __init__(
        self,
        client: Any,
        corpus: str,
        *,
        location: str,
        ttl_s: float = 60.0,
        settle_s: float = 1.0,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        renew_in_background: bool = True,
    ) -> None:
        self.name = _chroma_name(validate_collection_name(corpus) + LEASE_SUFFIX)
        self.corpus = corpus
        self.location = location
        self.ttl_s = ttl_s
        self.settle_s = settle_s
        self.holder = holder or lease_holder()
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._background = renew_in_background
        self._lost: str | None = None
        self.last_error: str | None = None  # the last renewal that failed for another reason
        self._held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the record ----------------------------------------------------------------

    def _metadata(self) -> dict[str, Any]:
        return {f"{_META_PREFIX}holder": self.holder, f"{_META_PREFIX}expires": float(self._clock() + self.ttl_s)}

    def current(self) -> tuple[str, float] | None:
        """``(holder, expires)`` of the lease in the store now, or None when there is none."""
        try:
            meta = self._client.get_collection(self.name, embedding_function=None).metadata or {}
        except Exception as exc:
            if _not_found(exc):
                return None
            raise StoreUnavailableError(f"Cannot read the write lease of {self.corpus!r} in {self.location}: {exc}") from exc
        return str(meta.get(f"{_META_PREFIX}holder", "?")), float(meta.get(f"{_META_PREFIX}expires", 0.0))

    def _create(self) -> bool:
        try:
            self._client.create_collection(self.name, metadata=self._metadata(), embedding_function=None)
            return True
        except Exception as exc:
            if self.current() is not None:  # someone else's creation won
                return False
            raise StoreUnavailableError(f"Cannot take the write lease of {self.corpus!r} in {self.location}: {exc}") from exc

    def _refuse(self, holder: str, expires: float) -> StoreInUseError:
        left = max(0.0, expires - self._clock())
        return StoreInUseError(
            f"Corpus {self.corpus!r} in {self.location} is being written by {holder} (its lease runs "
            f"{left:.0f} s more unless renewed). Wait for that ingest to finish and run again; a crashed "
            f"writer's lease is taken over after {self.ttl_s:.0f} s."
        )

    # -- taking, keeping, giving back ----------------------------------------------------

    def acquire(self) -> WriteLease:
        if self._create():
            return self._hold()
        found = self.current()
        if found is not None and found[1] > self._clock():
            raise self._refuse(*found)
        # Expired (a crashed writer): take it over, then make sure no concurrent taker won.
        with contextlib.suppress(Exception):
            self._client.delete_collection(self.name)
        if not self._create():
            found = self.current()
            raise self._refuse(*(found or ("another writer", self._clock() + self.ttl_s)))
        self._sleep(self.settle_s)
        found = self.current()
        if found is None or found[0] != self.holder:
            raise self._refuse(*(found or ("another writer", self._clock() + self.ttl_s)))
        return self._hold()

    def _hold(self) -> WriteLease:
        self._held, self._lost = True, None
        if self._background:
            self._stop.clear()
            self._thread = threading.Thread(target=self._renew_loop, name=f"lease-{self.corpus}", daemon=True)
            self._thread.start()
        return self

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                self.renew()
            except LeaseLostError:
                return
            except Exception as exc:  # a blip: the next round retries, and expiry is ttl_s away
                self.last_error = str(exc)

    def renew(self) -> None:
        """Push the expiry out; record (and raise) when another writer holds the lease now."""
        found = self.current()
        if found is None or found[0] != self.holder:
            who = found[0] if found else "nobody"
            self._lost = (
                f"The write lease of {self.corpus!r} in {self.location} was lost (now held by {who}): this "
                "writer stalled past its expiry. Run the ingest again; nothing half-written is counted."
            )
            raise LeaseLostError(self._lost)
        self._client.get_collection(self.name, embedding_function=None).modify(metadata=self._metadata())

    def check(self) -> None:
        """Raise :class:`LeaseLostError` if the renewal found the lease taken; call before each write."""
        if self._lost is not None:
            raise LeaseLostError(self._lost)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if not self._held:
            return
        self._held = False
        with contextlib.suppress(Exception):  # an unreleased lease simply expires
            found = self.current()
            if found is not None and found[0] == self.holder:
                self._client.delete_collection(self.name)

    def __enter__(self) -> WriteLease:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
