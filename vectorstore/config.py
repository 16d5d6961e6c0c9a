"""Where the store lives and how a corpus maps onto a collection."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from .chroma_store import (
    SQLITE_FILE,
    ChromaStore,
    close_client,
    has_client,
    open_client,
    validate_collection_name,
)
from .chunking import CHUNK_VECTOR_MODES, CHUNKER_VERSION, DEFAULT_CHUNK_TOKENS
from .embedding import Embedder
from .env import ENV_CHROMA_URL, ENV_INDEX_DIR, ENV_STORE_DIR, env_path
from .errors import InvalidSettingError, StoreDamagedError, StoreReadOnlyError, StoreUnavailableError
from .loading import check_corpus_folder, resolve_max_file_bytes, resolve_max_files
from .snapshot import DEFAULT_TEXT_CACHE_CHARS

DEFAULT_COLLECTION = "corpus-qa-default"


def default_store_dir() -> Path:
    """``$XDG_DATA_HOME/corpus-qa/chroma`` (platformdirs' user data dir)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("corpus-qa", appauthor=False)) / "chroma"


def default_corpus_dir() -> Path:
    """The articles that ship inside the package."""
    return Path(str(resources.files("vectorstore") / "default_corpus"))


def collection_for(folder: Path) -> str:
    """A stable collection name per corpus folder; the shipped corpus has a fixed one.

    A folder that may not be a corpus (``/``, ``/usr``, the home folder…) is
    refused here, before any store is opened for it.
    """
    resolved = folder.expanduser().resolve()
    if resolved == default_corpus_dir().resolve():
        return DEFAULT_COLLECTION
    if resolved.is_dir():
        check_corpus_folder(resolved)
    digest = hashlib.sha1(str(resolved).encode(), usedforsecurity=False).hexdigest()[:12]
    stem = "".join(ch if ch.isalnum() else "-" for ch in resolved.name.lower()).strip("-")[:30] or "corpus"
    return validate_collection_name(f"cqa-{stem}-{digest}")


@dataclass(frozen=True)
class StoreSettings:
    """Where and how a corpus is stored. Unset fields fall back to the environment."""

    store_dir: Path | None = None
    chroma_url: str | None = None
    collection: str | None = None
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    # Largest article file read; larger ones are skipped with a reason. None: CORPUS_QA_MAX_FILE_BYTES,
    # else 5 MiB.
    max_file_bytes: int | None = None
    chunk_vectors: str = "mean"
    # Most article files one corpus folder may hold (a guard against pointing at a whole disk);
    # None: CORPUS_QA_MAX_FILES, else 10,000.
    max_files: int | None = None
    # A reader without the folder (vectorstore.remote.StoreReader) looks for a new revision at
    # most this often, so one ingest reaches every reader within about this many seconds.
    staleness_s: float = 10.0
    # A writer on a Chroma server holds the corpus's lease this long past each renewal (renewed
    # every third of it); a crashed writer's lease is taken over after it.
    lease_ttl_s: float = 60.0
    # Where per-revision indexes (the layout of chunks and offsets, the BM25 index) are kept so a
    # start at a known revision loads them instead of rebuilding: None: CORPUS_QA_INDEX_DIR, else
    # beside the embedded store, or the user cache folder for a Chroma server.
    index_dir: Path | None = None
    # Most characters of article text a process keeps cached; texts are fetched from the store.
    text_cache_chars: int = DEFAULT_TEXT_CACHE_CHARS

    def __post_init__(self) -> None:
        # Checked when built, so a bad value is refused before anything is opened or stored.
        for name in ("chunk_tokens", "text_cache_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidSettingError(f"StoreSettings.{name} must be a whole number of at least 1, not {value!r}.")
        for name in ("staleness_s", "lease_ttl_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise InvalidSettingError(f"StoreSettings.{name} must be a number of seconds above 0, not {value!r}.")
        if self.chunk_vectors not in CHUNK_VECTOR_MODES:
            raise InvalidSettingError(
                f"StoreSettings.chunk_vectors must be 'mean' or 'encode', not {self.chunk_vectors!r}."
            )

    def index_root(self, collection: str) -> Path:
        """This corpus's per-revision index folder."""
        s = self.resolved()
        if s.index_dir is not None:
            base = s.index_dir
        elif s.chroma_url:
            from platformdirs import user_cache_dir

            server = hashlib.sha1(s.chroma_url.encode(), usedforsecurity=False).hexdigest()[:12]
            base = Path(user_cache_dir("corpus-qa", appauthor=False)) / "indexes" / server
        else:
            assert s.store_dir is not None
            base = s.store_dir / "corpus-qa-indexes"
        return base / collection

    def resolved(self) -> StoreSettings:
        """Fill unset fields from ``CORPUS_QA_STORE_DIR`` / ``CORPUS_QA_CHROMA_URL`` /
        ``CORPUS_QA_MAX_FILES`` / ``CORPUS_QA_MAX_FILE_BYTES`` and defaults."""
        url = self.chroma_url or os.environ.get(ENV_CHROMA_URL) or None
        store_dir = self.store_dir
        if store_dir is None and not url:
            env_dir = os.environ.get(ENV_STORE_DIR)
            store_dir = Path(env_dir) if env_dir else default_store_dir()
        return replace(
            self,
            index_dir=self.index_dir or env_path(ENV_INDEX_DIR),
            chroma_url=url,
            store_dir=Path(store_dir).expanduser() if store_dir else None,
            max_files=resolve_max_files(self.max_files),
            max_file_bytes=resolve_max_file_bytes(self.max_file_bytes),
        )

    @property
    def location(self) -> str:
        return f"Chroma server {self.chroma_url}" if self.chroma_url else f"folder {self.store_dir}"


def open_store(
    settings: StoreSettings, collection: str, embedder: Embedder, *, reset: bool = False, read_only: bool = False
) -> ChromaStore:
    """Open (or create) a corpus's collections, repairing only what is really damaged.

    An embedded store whose database file is corrupt is moved aside
    (``<folder>.damaged-<time>``) and rebuilt; when the file is sound but
    this corpus's collections fail their health check, only they are dropped
    and rebuilt, and every other corpus's collections stay. A store that
    cannot be written, or fails for another reason, is left as it is.
    ``read_only`` (a reader without the corpus folder) opens existing
    collections only and repairs nothing: it could not rebuild them.
    """
    s = settings.resolved()

    def attempt(drop: bool) -> ChromaStore:
        client = open_client(path=s.store_dir, url=s.chroma_url)
        return ChromaStore(
            client,
            collection,
            model_name=embedder.model_name,
            dimension=embedder.dimension,
            chunker_version=f"{CHUNKER_VERSION}/{s.chunk_tokens}/{s.chunk_vectors}",
            location=s.location,
            reset=drop,
            read_only=read_only,
            shared=bool(s.chroma_url),
            lease_ttl_s=s.lease_ttl_s,
        )

    if read_only:
        return attempt(False)
    try:
        return attempt(reset)
    except StoreReadOnlyError:
        raise
    except (StoreDamagedError, StoreUnavailableError) as exc:
        if s.chroma_url or s.store_dir is None or not s.store_dir.exists():
            raise
        folder = s.store_dir
        damage = sqlite_damage(folder / SQLITE_FILE)
        if damage is not None:
            why = f"{str(exc).rstrip('.')}: its database is damaged ({damage})"
            return _rebuild_folder(folder, why, attempt, reset)
        if not has_client(path=folder):
            # The client itself failed, yet the database is sound: not damage (disk full, a newer
            # Chroma's files, …), so nothing is moved.
            raise StoreUnavailableError(
                f"{exc} Its database passed an integrity check, so nothing was moved or deleted: check "
                "free disk space and the folder's permissions, or pass another folder with --store or "
                "CORPUS_QA_STORE_DIR."
            ) from exc
        # The database is sound and the client works: only this corpus's collections are bad.
        print(
            f"corpus-qa: {str(exc).rstrip('.')}. Dropping collection {collection!r} and its sentences (other corpora "
            "in the store are untouched); rebuilding it from the corpus.",
            file=sys.stderr,
        )
        try:
            return attempt(True)
        except (StoreDamagedError, StoreUnavailableError) as again:
            raise StoreDamagedError(
                f"The collections of this corpus in {folder} are damaged and could not be dropped "
                f"({str(again).rstrip('.')}). Other corpora's collections there are fine. Give this corpus another store "
                f"with --store or CORPUS_QA_STORE_DIR, or move {folder} aside to rebuild every corpus "
                "from its folder."
            ) from again


def _rebuild_folder(
    folder: Path, why: str, attempt: Callable[[bool], ChromaStore], reset: bool
) -> ChromaStore:
    """Move a store with a corrupt database aside (kept for inspection) and start a fresh one."""
    close_client(path=folder)
    aside = folder.with_name(f"{folder.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        folder.rename(aside)
    except OSError as exc:
        raise StoreDamagedError(
            f"{why}. It could not be moved aside to {aside} ({exc.strerror or exc}): move it away "
            "yourself, or pass another folder with --store or CORPUS_QA_STORE_DIR, then run again."
        ) from exc
    print(f"corpus-qa: {why}. Moved it to {aside}; rebuilding from the corpus.", file=sys.stderr)
    return attempt(reset)


def sqlite_damage(database: Path) -> str | None:
    """What is wrong with a SQLite file, or None when it is sound or cannot be judged.

    Opened read-only by the standard library and checked with
    ``PRAGMA quick_check``: only a file SQLite itself calls corrupt (or not a
    database) counts as damaged, never one that merely cannot be opened or
    written (permissions, locks), so a healthy store is never moved aside.
    """
    if not database.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        rows = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}:
            return str(exc)
        return None
    finally:
        connection.close()
    if rows == [("ok",)]:
        return None
    return "; ".join(str(r[0]) for r in rows[:3])
