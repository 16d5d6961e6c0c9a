"""A sync killed after any one of its Chroma writes: the next sync leaves a whole, tidy store.

The SIGKILL test (test_crash_safety.py) lands at random moments; this one
stops a sync after each write call in turn, so every gap between two writes
is tried, the narrow ones included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes import HashingEmbedder
from vectorstore import ChromaStore, CorpusIndex, Source, StoreSettings, open_store

WRITES = frozenset({"add", "upsert", "update", "delete", "modify"})


def _article(title: str, words: str, n: int) -> str:
    return f"{title}\n\n" + " ".join(f"Sentence {i} about {words} in the harbour." for i in range(n)) + "\n"


class Killed(Exception):
    """Stands in for SIGKILL: the sync stops right there."""


class _Fuse:
    def __init__(self, after: int | None) -> None:
        self.after = after
        self.calls = 0


class _Collection:
    """A Chroma collection whose write calls count against a fuse and stop the sync when it blows."""

    def __init__(self, inner: Any, fuse: _Fuse) -> None:
        self._inner = inner
        self._fuse = fuse

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in WRITES:
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            if self._fuse.after is not None and self._fuse.calls >= self._fuse.after:
                raise Killed(name)
            self._fuse.calls += 1
            return attr(*args, **kwargs)

        return write


def _fused(store: ChromaStore, fuse: _Fuse) -> dict[str, Any]:
    inner = {name: getattr(store, name) for name in ("_chunks", "_sentences", "_documents")}
    for name, collection in inner.items():
        setattr(store, name, _Collection(collection, fuse))
    return inner


def _corpus(root: Path) -> Path:
    root.mkdir()
    (root / "a.txt").write_text(_article("Ferries", "ferries", 40), encoding="utf-8")
    (root / "b.txt").write_text(_article("Cranes", "cranes", 25), encoding="utf-8")
    return root


def _change(corpus: Path) -> None:
    """An update (fewer chunks than before), a removal and an addition in one sync."""
    (corpus / "a.txt").write_text(_article("Ferries", "new ferries", 20), encoding="utf-8")
    (corpus / "b.txt").unlink()
    (corpus / "c.txt").write_text(_article("Pilots", "pilots", 30), encoding="utf-8")


def _tidy(index: CorpusIndex) -> None:
    snapshot = index.snapshot
    chunk_ids = set(snapshot.layout.chunk_ids)  # type: ignore[union-attr]
    assert index.store.count() == len(chunk_ids)
    assert index.store.sentence_count() == int(snapshot.layout.sentence_ptr[-1])  # type: ignore[union-attr]
    assert {sc.chunk_id for sc in index.store.stored_chunks()} == chunk_ids
    assert {d.doc_id for d in index.store.stored_documents()} == {"a.txt", "c.txt"}
    texts = [t for _, t in index.store.chunk_texts()]
    assert any("new ferries" in t for t in texts) and any("pilots" in t for t in texts)
    assert not any(
        "cranes" in t or " about ferries" in t for t in texts
    )  # no old version, no removed article


def _write_calls(tmp_path: Path, store: Path, embedder: HashingEmbedder) -> int:
    corpus = _corpus(tmp_path / "count")
    index = CorpusIndex(
        [Source(corpus)], open_store(StoreSettings(store_dir=store), "count", embedder), embedder
    )
    index.sync()
    _change(corpus)
    fuse = _Fuse(None)
    _fused(index.store, fuse)
    index.sync()
    return fuse.calls


def test_a_sync_stopped_after_any_write_is_finished_by_the_next(tmp_path: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    total = _write_calls(tmp_path, store_dir, embedder)
    assert total >= 6  # sentences, chunks, records, stale deletes, the removal, the revision
    swept = 0
    for after in range(total):
        name = f"crash-{after}"
        corpus = _corpus(tmp_path / name)
        index = CorpusIndex(
            [Source(corpus)], open_store(StoreSettings(store_dir=store_dir), name, embedder), embedder
        )
        index.sync()
        _change(corpus)
        inner = _fused(index.store, _Fuse(after))
        with pytest.raises(Killed):
            index.sync()
        for attr, collection in inner.items():
            setattr(index.store, attr, collection)
        # A new process: nothing of the stopped sync's memory, the store as it was left.
        fresh = CorpusIndex(
            [Source(corpus)], open_store(StoreSettings(store_dir=store_dir), name, embedder), embedder
        )
        report = fresh.sync()
        _tidy(fresh)
        if report.swept:
            assert (
                f"{report.swept} record" in report.summary()
                and "interrupted sync removed" in report.summary()
            )
        swept += report.swept
        again = fresh.sync()
        assert not again.changed and again.chunks_written == 0, (after, again.summary())
        _tidy(fresh)
    assert swept > 0  # some stops left records that only the sweep removes
