"""Errors raised by the vectorstore package.

Every error names the problem and the fix; the CLI and UI catch
:class:`VectorStoreError` and show its message.
"""

from __future__ import annotations

from pathlib import Path


class VectorStoreError(Exception):
    """Base class of every error this package raises on purpose."""


class UnreadableFileError(VectorStoreError):
    """One article file could not be turned into a document."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class StoreMismatchError(VectorStoreError):
    """The store was built with another model, dimension or chunking version."""


class StoreDamagedError(VectorStoreError):
    """The store opened but failed its health check (count plus one query)."""


class StoreInUseError(VectorStoreError):
    """Another process holds the store folder."""


class StoreUnavailableError(VectorStoreError):
    """The Chroma store (folder or server) cannot be opened or reached."""


class InvalidNameError(VectorStoreError):
    """A collection name or metadata value Chroma would reject."""


class CorpusNotFoundError(VectorStoreError):
    """The corpus folder does not exist or is not a folder."""


class CorpusRefusedError(VectorStoreError):
    """The corpus folder is a system folder or the home folder: scanning it would walk the disk."""


class CorpusUnreadableError(VectorStoreError):
    """The corpus folder itself cannot be listed (permissions)."""


class TooManyFilesError(VectorStoreError):
    """The corpus folder holds more article files than the configured limit."""


class InvalidSettingError(VectorStoreError):
    """A setting (argument or environment variable) has a value corpus-qa cannot use."""


class StoreReadOnlyError(StoreUnavailableError):
    """The store folder or its database file cannot be written."""


class CollectionNotFoundError(VectorStoreError):
    """A reader named a corpus (collection) the store does not hold."""


class LeaseLostError(StoreInUseError):
    """A writer's lease on a shared store was taken over while it was writing."""


class StoreChangedError(StoreUnavailableError):
    """An article changed in the store after the snapshot answering the question was loaded."""


def store_unavailable(location: str, exc: Exception) -> StoreUnavailableError:
    """The error for a store that did not answer (a server down or restarting): say so, and to retry."""
    return StoreUnavailableError(
        f"Store unavailable, retrying: the Chroma store ({location}) did not answer "
        f"({type(exc).__name__}: {exc}). Ask again in a few seconds; if this lasts, check that the "
        "Chroma server is running and --chroma-url points at it."
    )
