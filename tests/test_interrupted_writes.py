"""A sync killed after any one of its Chroma writes: the next sync leaves a whole, tidy store.

The SIGKILL test (test_crash_safety.py) lands at random moments; this one
stops a sync after each write call in turn, so every gap between two writes
is tried, the narrow ones included.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import HashingEmbedder
from vectorstore import ChromaStore, CorpusIndex, Source, StoreSettings, open_store
from vectorstore.index import plural

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


def _update_remove_add(corpus: Path) -> None:
    """An update (fewer chunks than before), a removal and an addition in one sync."""
    (corpus / "a.txt").write_text(_article("Ferries", "new ferries", 20), encoding="utf-8")
    (corpus / "b.txt").unlink()
    (corpus / "c.txt").write_text(_article("Pilots", "pilots", 30), encoding="utf-8")


def _move_and_edit(corpus: Path) -> None:
    """One article moved to a subfolder unchanged (a new doc id, the same text), another edited."""
    (corpus / "old").mkdir()
    (corpus / "a.txt").rename(corpus / "old" / "a.txt")
    (corpus / "b.txt").write_text(_article("Cranes", "new cranes", 35), encoding="utf-8")


# (name, build the store before the stopped sync, change the folder, doc ids after, words in, words out)
SCENARIOS = [
    ("update-remove-add", True, _update_remove_add, {"a.txt", "c.txt"}, ("new ferries", "pilots"),
     ("cranes", " about ferries")),
    ("first-build", False, lambda corpus: None, {"a.txt", "b.txt"}, ("ferries", "cranes"), ()),
    ("move-and-edit", True, _move_and_edit, {"old/a.txt", "b.txt"}, ("ferries", "new cranes"), (" about cranes",)),
]  # fmt: skip


def _tidy(index: CorpusIndex, docs: set[str], present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    snapshot = index.snapshot
    chunk_ids = set(snapshot.layout.chunk_ids)  # type: ignore[union-attr]
    assert index.store.count() == len(chunk_ids)
    assert index.store.sentence_count() == int(snapshot.layout.sentence_ptr[-1])  # type: ignore[union-attr]
    assert {sc.chunk_id for sc in index.store.stored_chunks()} == chunk_ids
    assert {d.doc_id for d in index.store.stored_documents()} == docs == set(snapshot.documents)
    texts = [t for _, t in index.store.chunk_texts()]
    assert all(any(word in t for t in texts) for word in present)
    assert not any(word in t for t in texts for word in absent)  # no old version, no removed article


def _index(corpus: Path, store: Path, name: str, embedder: HashingEmbedder) -> CorpusIndex:
    return CorpusIndex([Source(corpus)], open_store(StoreSettings(store_dir=store), name, embedder), embedder)


@pytest.mark.parametrize(
    ("scenario", "built", "change", "docs", "present", "absent"), SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
def test_a_sync_stopped_after_any_write_is_finished_by_the_next(
    tmp_path: Path,
    store_dir: Path,
    scenario: str,
    built: bool,
    change: Callable[[Path], None],
    docs: set[str],
    present: tuple[str, ...],
    absent: tuple[str, ...],
) -> None:
    embedder = HashingEmbedder()
    corpus = _corpus(tmp_path / "count")
    index = _index(corpus, store_dir, "count", embedder)
    if built:
        index.sync()
    change(corpus)
    fuse = _Fuse(None)
    _fused(index.store, fuse)
    index.sync()
    total = fuse.calls
    assert total >= 3  # at least sentences, chunks and records
    for after in range(total):
        name = f"stop-{after}"
        corpus = _corpus(tmp_path / name)
        index = _index(corpus, store_dir, name, embedder)
        if built:
            index.sync()
        change(corpus)
        inner = _fused(index.store, _Fuse(after))
        with pytest.raises(Killed):
            index.sync()
        for attr, collection in inner.items():
            setattr(index.store, attr, collection)
        # A new process: nothing of the stopped sync's memory, the store as it was left.
        fresh = _index(corpus, store_dir, name, embedder)
        report = fresh.sync()
        _tidy(fresh, docs, present, absent)
        if report.swept:
            assert report.summary().endswith(
                f"{plural(report.swept, 'record')} left by an interrupted sync removed"
            )
        again = fresh.sync()
        assert not again.changed and again.chunks_written == 0 and not again.swept, (after, again.summary())
        _tidy(fresh, docs, present, absent)


def test_an_old_version_left_behind_is_swept_and_said(tmp_path: Path, store_dir: Path) -> None:
    """The window the SIGKILL test found: the new version's records written, the old one's not yet deleted."""
    embedder = HashingEmbedder()
    corpus = _corpus(tmp_path / "corpus")
    index = _index(corpus, store_dir, "news", embedder)
    index.sync()
    _update_remove_add(corpus)
    old_chunks = {sc.chunk_id for sc in index.store.stored_chunks() if sc.doc_id == "a.txt"}
    index.store._delete_stale = lambda *args: None  # type: ignore[method-assign]  # killed right before it
    index.sync()
    assert old_chunks <= {sc.chunk_id for sc in index.store.stored_chunks()}  # the old version is still there
    report = _index(corpus, store_dir, "news", embedder).sync()
    assert report.swept > len(old_chunks)  # its chunks and their sentences
    assert report.summary().endswith("records left by an interrupted sync removed")
    assert not old_chunks & {sc.chunk_id for sc in index.store.stored_chunks()}
