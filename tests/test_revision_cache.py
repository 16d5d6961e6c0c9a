"""Indexes built once per revision, a manifest instead of re-reading files, texts fetched on demand.

Fast tests: embedded Chroma in a temp folder, the hashing embedder.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from pathlib import Path

import pytest

import qa.lexical
import vectorstore.index
from qa.api import engine_over, open_collection, open_index
from qa.engine import CorpusQA, check_quotes
from qa.lexical import LexicalIndex
from tests.conftest import NEWS
from tests.fakes import HashingEmbedder
from vectorstore import StoreSettings
from vectorstore.chroma_store import DOCUMENT_SUFFIX
from vectorstore.errors import StoreChangedError, VectorStoreError
from vectorstore.snapshot import Layout, RevisionCache, StoreSnapshot, TextCache

QUESTIONS = [
    "Who is Cuba's foreign minister?",
    "What did Putin promise about trade with Cuba?",
    "How should all disputes be settled, according to Lavrov?",
]


def _answers(engine: CorpusQA) -> list[tuple[tuple[str, int, int, str], ...]]:
    return [tuple((q.doc_id, q.start, q.end, q.text) for q in engine.answer(x).quotes) for x in QUESTIONS]


class _Spy:
    """Counts calls of a function or method while delegating to it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.calls = 0
        real = getattr(owner, name)

        def counted(*args: object, **kwargs: object) -> object:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


def test_a_start_with_nothing_changed_reads_no_file_and_rebuilds_no_index(
    news: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news")
    first = engine_over(open_index(news, store=settings, embedder=embedder))
    expected = _answers(first)

    reads = _Spy(monkeypatch, vectorstore.index, "load_document")
    builds = _Spy(monkeypatch, qa.lexical.LexicalIndex, "__init__")
    chunk_reads = _Spy(monkeypatch, vectorstore.chroma_store.ChromaStore, "stored_chunks")
    layouts = _Spy(monkeypatch, vectorstore.index.Layout, "build")
    embedder.encoded.clear()
    again = engine_over(open_index(news, store=settings, embedder=embedder))
    assert layouts.calls == 0, "the unchanged revision's layout was rebuilt instead of reused"
    assert not again.reader.index.last_report.changed  # type: ignore[attr-defined]
    assert _answers(again) == expected
    assert reads.calls == 0, "an unchanged file was read again"
    assert chunk_reads.calls == 0, "the chunk records were read back instead of the saved layout"
    assert builds.calls == 0, "the BM25 index was rebuilt instead of loaded"
    assert len(embedder.encoded) == len(QUESTIONS)  # the questions alone


def test_a_touched_file_is_read_and_hashed_but_not_re_embedded(news: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news")
    first = open_index(news, store=settings, embedder=embedder)
    os.utime(news / "cuba.txt", ns=(1_000_000_000, 1_000_000_000))
    embedder.encoded.clear()
    again = open_index(news, store=settings, embedder=embedder)
    assert embedder.encoded == [] and not again.last_report.changed
    assert again.snapshot.revision != first.snapshot.revision  # the manifest was updated
    record = next(r for r in again.store.stored_documents() if r.doc_id == "cuba.txt")
    assert (record.size, record.mtime_ns) == ((news / "cuba.txt").stat().st_size, 1_000_000_000)


def test_an_edited_file_is_written_again_and_answers_change(news: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news")
    open_index(news, store=settings, embedder=embedder)
    with (news / "cuba.txt").open("a", encoding="utf-8") as f:
        f.write("\nThe harbour pilots of Cienfuegos went on strike for nine days.\n")
    index = open_index(news, store=settings, embedder=embedder)
    assert index.last_report.updated == ("cuba.txt",)
    answer = engine_over(index).answer("How long did the harbour pilots of Cienfuegos strike?")
    assert "nine days" in answer.quotes[0].text


def test_a_reader_loads_a_known_revision_from_the_cache(
    news: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news")
    expected = _answers(engine_over(open_index(news, store=settings, embedder=embedder)))
    chunk_reads = _Spy(monkeypatch, vectorstore.chroma_store.ChromaStore, "stored_chunks")
    builds = _Spy(monkeypatch, qa.lexical.LexicalIndex, "__init__")
    reader_engine = open_collection("news", store=settings, embedder=embedder)
    assert _answers(reader_engine) == expected
    assert (chunk_reads.calls, builds.calls) == (0, 0)
    # Another machine (an empty index folder) reads the store and gets the same answers.
    other = open_collection(
        "news", store=replace(settings, index_dir=store_dir.parent / "other"), embedder=embedder
    )
    assert _answers(other) == expected
    assert chunk_reads.calls == 1 and builds.calls == 1


def test_a_cache_the_store_no_longer_matches_is_read_past(news: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news")
    index = open_index(news, store=settings, embedder=embedder)
    # Records dropped by hand without a new revision: the cached layout would still list them.
    index.store.client.get_collection("news" + DOCUMENT_SUFFIX, embedding_function=None).delete(
        ids=["cuba.txt"]
    )
    reader = open_collection("news", store=settings, embedder=embedder).reader
    assert set(reader.snapshot.documents) == {"moscow.txt"}


def test_texts_are_fetched_on_demand_within_the_cache_bound(news: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    bound = max(len(t) for t in NEWS.values()) + 10  # room for one article at a time
    settings = StoreSettings(store_dir=store_dir, collection="news", text_cache_chars=bound)
    open_index(news, store=settings, embedder=embedder)
    engine = open_collection("news", store=settings, embedder=embedder)
    snapshot = engine.reader.snapshot
    assert isinstance(snapshot, StoreSnapshot)
    texts = engine.reader.texts  # type: ignore[attr-defined]
    for question in QUESTIONS * 2:
        answer = engine.answer(question)
        check_quotes(answer.quotes, {q.doc_id: NEWS[q.doc_id] for q in answer.quotes})
        assert texts.chars <= bound
    # The articles list needs no text at all.
    fresh = TextCache(bound)
    listing = StoreSnapshot(snapshot.revision, snapshot.layout, engine.reader.store, fresh).catalog()  # type: ignore[attr-defined]
    assert {row[0] for row in listing} == set(NEWS) and len(fresh) == 0


def test_a_text_changed_under_a_snapshot_is_a_clear_error_not_a_wrong_quote(
    news: Path, store_dir: Path
) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news")
    index = open_index(news, store=settings, embedder=embedder)
    snapshot = index.snapshot
    records = index.store.client.get_collection("news" + DOCUMENT_SUFFIX, embedding_function=None)
    records.update(ids=["cuba.txt"], documents=["Something else entirely."], embeddings=[[1.0]])
    fresh = StoreSnapshot(snapshot.revision, snapshot.layout, index.store, TextCache())  # type: ignore[union-attr]
    with pytest.raises(StoreChangedError, match="Ask again"):
        fresh.documents["cuba.txt"]
    assert isinstance(StoreChangedError("x"), VectorStoreError)  # the UI and CLI show its message


def test_layout_round_trips_and_a_partial_save_is_ignored(
    news: Path, store_dir: Path, tmp_path: Path
) -> None:
    index = open_index(
        news, store=StoreSettings(store_dir=store_dir, collection="news"), embedder=HashingEmbedder()
    )
    layout = index.snapshot.layout  # type: ignore[union-attr]
    layout.save(tmp_path / "saved")
    loaded = Layout.load(tmp_path / "saved")
    assert (
        loaded is not None and loaded.chunk_ids == layout.chunk_ids and loaded.documents == layout.documents
    )
    for row in range(len(layout.documents)):
        assert loaded.stored_chunks(row) == layout.stored_chunks(row)
    (tmp_path / "saved" / "layout.npz").unlink()
    assert Layout.load(tmp_path / "saved") is None
    cache = RevisionCache(tmp_path / "cache")
    for i in range(5):
        cache.save_layout(f"rev{i}", layout)
        os.utime(cache.folder(f"rev{i}"), (i, i))
    cache.prune()
    assert sorted(p.name for p in cache.root.iterdir()) == ["rev2", "rev3", "rev4"]


def test_a_saved_lexical_index_scores_exactly_as_a_built_one(tmp_path: Path) -> None:
    rng = random.Random(5)
    words = ["cuba", "russia", "oil", "havana", "moscow", "trade", "debt", "ships", "sugar", "visit", "talks"]
    texts = [" ".join(rng.choices(words, k=rng.randint(0, 12))) for _ in range(60)]
    ids = [f"c{i}" for i in range(len(texts))]
    built = LexicalIndex(ids, texts)
    built.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert loaded is not None
    for _ in range(30):
        query = rng.sample(words, 3)
        assert loaded.search([(query, 1.0)], 10) == built.search([(query, 1.0)], 10)
        assert [loaded.idf(w) for w in query] == [built.idf(w) for w in query]
    assert loaded.has_prefix("hav") and not loaded.has_prefix("zz")
    (tmp_path / "lex" / "lexical.json").write_text('{"version": -1}')
    assert LexicalIndex.load(tmp_path / "lex") is None


def test_a_corpus_folder_given_as_a_relative_path_is_read(
    news: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(news.parent)
    index = open_index(
        Path("news"), store=StoreSettings(store_dir=store_dir, collection="news"), embedder=HashingEmbedder()
    )
    assert not index.last_report.problems and set(index.last_report.added) == set(NEWS)
    assert set(index.snapshot.documents) == set(NEWS)
    assert index.snapshot.documents["cuba.txt"].source_path == str((news / "cuba.txt").resolve())


def test_index_folders_default_beside_the_store_or_in_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORPUS_QA_INDEX_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    embedded = StoreSettings(store_dir=tmp_path / "store").index_root("news")
    assert embedded == tmp_path / "store" / "corpus-qa-indexes" / "news"
    served = StoreSettings(chroma_url="http://10.0.0.5:8000").index_root("news")
    assert served.is_relative_to(tmp_path / "cache" / "corpus-qa" / "indexes") and served.name == "news"
    assert served != StoreSettings(chroma_url="http://10.0.0.6:8000").index_root("news")
    monkeypatch.setenv("CORPUS_QA_INDEX_DIR", str(tmp_path / "mine"))
    assert StoreSettings(store_dir=tmp_path / "store").index_root("news") == tmp_path / "mine" / "news"


def test_lexical_search_returns_the_top_k_of_a_full_sort() -> None:
    rng = random.Random(11)
    words = [f"w{i}" for i in range(40)]
    for trial in range(20):
        texts = [" ".join(rng.choices(words, k=rng.randint(0, 15))) for _ in range(rng.randint(1, 80))]
        index = LexicalIndex([f"c{i}" for i in range(len(texts))], texts)
        parts = [(rng.sample(words, 2), 1.0), (rng.sample(words, 1), 0.5)]
        total = sum(w * index.scores(t) for t, w in parts)
        expected = sorted(((f"c{i}", float(v)) for i, v in enumerate(total) if v > 0), key=lambda x: -x[1])
        k = rng.randint(1, 12)
        got = index.search(parts, k)
        assert [round(v, 4) for _, v in got] == [round(v, 4) for _, v in expected[:k]], trial
        assert {i for i, _ in got} <= {i for i, _ in expected}


def test_a_store_gone_during_a_text_fetch_is_store_unavailable(news: Path, store_dir: Path) -> None:
    from vectorstore.errors import StoreUnavailableError

    class Gone:
        location = "Chroma server http://127.0.0.1:9"

        def document_texts(self, doc_ids: object) -> dict[str, str]:
            raise ConnectionRefusedError(111, "Connection refused")

        def chunk_texts(self) -> object:
            raise ConnectionRefusedError(111, "Connection refused")

    index = open_index(
        news, store=StoreSettings(store_dir=store_dir, collection="news"), embedder=HashingEmbedder()
    )
    snapshot = StoreSnapshot(index.snapshot.revision, index.snapshot.layout, Gone(), TextCache())  # type: ignore[union-attr, arg-type]
    with pytest.raises(StoreUnavailableError, match="Store unavailable, retrying"):
        snapshot.warm(list(snapshot.chunk_order))
    assert snapshot.sentence_count(snapshot.chunk_order[0]) == len(
        index.snapshot.chunks[snapshot.chunk_order[0]].sentences
    )


def test_a_second_sync_in_the_same_process_reuses_its_own_layout(
    news: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = open_index(
        news, store=StoreSettings(store_dir=store_dir, collection="news"), embedder=HashingEmbedder()
    )
    loads = _Spy(monkeypatch, RevisionCache, "load_layout")
    reads = _Spy(monkeypatch, vectorstore.chroma_store.ChromaStore, "stored_chunks")
    assert not index.sync().changed
    assert (loads.calls, reads.calls) == (0, 0)
    assert set(index.snapshot.documents) == set(NEWS)
