"""Where the store lives and how a corpus maps onto a collection."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from .chroma_store import ChromaStore, close_client, open_client, validate_collection_name
from .chunking import CHUNKER_VERSION, DEFAULT_CHUNK_TOKENS
from .embedding import Embedder
from .errors import StoreDamagedError, StoreUnavailableError
from .loading import DEFAULT_MAX_FILE_BYTES

ENV_STORE_DIR = "CORPUS_QA_STORE_DIR"
ENV_CHROMA_URL = "CORPUS_QA_CHROMA_URL"
DEFAULT_COLLECTION = "corpus-qa-default"


def default_store_dir() -> Path:
    """``$XDG_DATA_HOME/corpus-qa/chroma`` (platformdirs' user data dir)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("corpus-qa", appauthor=False)) / "chroma"


def default_corpus_dir() -> Path:
    """The articles that ship inside the package."""
    return Path(str(resources.files("vectorstore") / "default_corpus"))


def collection_for(folder: Path) -> str:
    """A stable collection name per corpus folder; the shipped corpus has a fixed one."""
    resolved = folder.expanduser().resolve()
    if resolved == default_corpus_dir().resolve():
        return DEFAULT_COLLECTION
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
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    chunk_vectors: str = "mean"

    def resolved(self) -> StoreSettings:
        """Fill unset fields from ``CORPUS_QA_STORE_DIR`` / ``CORPUS_QA_CHROMA_URL`` and defaults."""
        url = self.chroma_url or os.environ.get(ENV_CHROMA_URL) or None
        store_dir = self.store_dir
        if store_dir is None and not url:
            env_dir = os.environ.get(ENV_STORE_DIR)
            store_dir = Path(env_dir) if env_dir else default_store_dir()
        return replace(self, chroma_url=url, store_dir=Path(store_dir).expanduser() if store_dir else None)

    @property
    def location(self) -> str:
        return f"Chroma server {self.chroma_url}" if self.chroma_url else f"folder {self.store_dir}"


def open_store(
    settings: StoreSettings, collection: str, embedder: Embedder, *, reset: bool = False
) -> ChromaStore:
    """Open (or create) a corpus's collections; a damaged embedded store is set aside and rebuilt."""
    s = settings.resolved()

    def attempt() -> ChromaStore:
        client = open_client(path=s.store_dir, url=s.chroma_url)
        return ChromaStore(
            client,
            collection,
            model_name=embedder.model_name,
            dimension=embedder.dimension,
            chunker_version=f"{CHUNKER_VERSION}/{s.chunk_tokens}/{s.chunk_vectors}",
            location=s.location,
            reset=reset,
        )

    try:
        return attempt()
    except (StoreDamagedError, StoreUnavailableError) as exc:
        if s.chroma_url or s.store_dir is None or not s.store_dir.exists():
            raise
        # An embedded store left unreadable (a kill mid-write): keep it for inspection,
        # start a fresh folder, and let sync rebuild it from the corpus.
        close_client(path=s.store_dir)
        aside = s.store_dir.with_name(f"{s.store_dir.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        s.store_dir.rename(aside)
        print(f"corpus-qa: {exc}. Moved it to {aside}; rebuilding from the corpus.", file=sys.stderr)
        return attempt()
