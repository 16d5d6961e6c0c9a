"""Reading a corpus from the store alone (vectorstore/remote.py) and the writer's lease.

Fast tests use the hashing fake and an embedded temporary store; the ``server``
ones run a real ``chroma run`` (as tests/test_server_mode.py does) with the real model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.api import open_collection, open_corpus, open_index, open_store_reader
from tests.conftest import NEWS, REPO
from tests.fakes import HashingEmbedder
from tests.helpers import ChromaServer
from vectorstore import (
    CollectionNotFoundError,
    LeaseLostError,
    StoreInUseError,
    StoreMismatchError,
    StoreSettings,
    StoreUnavailableError,
    WriteLease,
    close_client,
    default_corpus_dir,
    open_client,
)
from vectorstore.chroma_store import DOCUMENT_SUFFIX

QUESTIONS = [
    "Who is Cuba's foreign minister?",
    "What did Putin promise about trade with Cuba?",
    "Who gave Cuba an economic lifeline during the cold war?",
    "How should all disputes be settled, according to Lavrov?",
]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


# -- fast: embedded store, hashing embedder ----------------------------------------------------


def test_a_reader_without_the_folder_has_the_writers_snapshot(news: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news-fast")
    index = open_index(news, store=settings, embedder=embedder)
    reader = open_store_reader("news-fast", store=settings, embedder=embedder)
    mine, theirs = index.snapshot, reader.snapshot
    assert theirs.revision == mine.revision
    assert theirs.chunk_order == mine.chunk_order and theirs.chunks == mine.chunks
    assert list(theirs.documents) == list(mine.documents)
    for doc_id, doc in mine.documents.items():
        got = theirs.documents[doc_id]
        assert (got.text, got.title, got.byline, got.content_hash) == (
            doc.text,
            doc.title,
            doc.byline,
            doc.content_hash,
        )
        assert got.source_path == doc_id  # relative: the writer's folder means nothing to a reader


def test_a_store_without_article_records_is_backfilled_without_re_embedding(
    news: Path, store_dir: Path
) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news-old")
    first = open_index(news, store=settings, embedder=embedder)
    first.store.client.delete_collection("news-old" + DOCUMENT_SUFFIX)  # as a store from before records
    embedder.encoded.clear()
    again = open_index(news, store=settings, embedder=embedder)
    assert embedder.encoded == [] and not again.last_report.changed
    assert again.snapshot.revision != first.snapshot.revision  # readers must notice the records
    assert set(open_store_reader("news-old", store=settings, embedder=embedder).snapshot.documents) == set(
        NEWS
    )


def test_a_document_is_served_only_once_its_record_matches_its_chunks(news: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news-half")
    index = open_index(news, store=settings, embedder=embedder)
    # A kill between the chunks and the record of a changed article: the record says another text.
    records = index.store.client.get_collection("news-half" + DOCUMENT_SUFFIX, embedding_function=None)
    records.update(ids=["cuba.txt"], metadatas=[{"content_hash": "older"}])
    fresh = replace(
        settings, index_dir=store_dir.parent / "fresh-indexes"
    )  # read from the store, not a cache
    assert set(open_store_reader("news-half", store=fresh, embedder=embedder).snapshot.documents) == {
        "moscow.txt"
    }
    os.utime(news / "cuba.txt")  # as the edit being written had: the manifest sends the file to be read
    open_index(news, store=settings, embedder=embedder)  # the next sync repairs the record only
    assert set(open_store_reader("news-half", store=settings, embedder=embedder).snapshot.documents) == set(
        NEWS
    )


def test_a_new_revision_is_swapped_in_whole_after_the_staleness_bound(news: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news-swap")
    index = open_index(news, store=settings, embedder=embedder)
    clock = FakeClock()
    from vectorstore import StoreReader

    reader = StoreReader(index.store, embedder, staleness_s=10, clock=clock)
    in_flight = reader.snapshot
    (news / "oil.txt").write_text("Oil deal signed\nVenezuela signed an oil deal with Cuba on Monday.\n")
    index.sync()
    clock.now += 5
    assert reader.snapshot is in_flight  # within the bound: no poll at all
    clock.now += 5
    fresh = reader.snapshot
    assert (
        fresh is not in_flight and "oil.txt" in fresh.documents and fresh.revision == index.snapshot.revision
    )
    assert "oil.txt" not in in_flight.documents  # an answer holding the old snapshot sees it unchanged


def test_queries_to_an_unreachable_store_say_so_and_keep_the_last_snapshot(
    news: Path, store_dir: Path
) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news-down")
    open_index(news, store=settings, embedder=embedder)
    reader = open_store_reader("news-down", store=settings, embedder=embedder)
    good = reader.snapshot

    def refuse(*_: object) -> None:
        raise ConnectionError("connection refused")

    store = reader.store
    store.query_chunks, store.current_revision = refuse, refuse  # type: ignore[method-assign,assignment]
    with pytest.raises(StoreUnavailableError, match="Store unavailable, retrying"):
        reader.query_chunks(np.ones(embedder.dimension, dtype=np.float32), 3)
    assert reader.refresh() is False and "connection refused" in (reader.problem or "")
    assert reader.snapshot is good


def test_a_reader_never_creates_or_drops_collections(news: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news-ro")
    with pytest.raises(CollectionNotFoundError, match="corpus-qa ingest"):
        open_store_reader("news-ro", store=settings, embedder=embedder)
    assert "news-ro" not in {c.name for c in open_client(path=store_dir).list_collections()}
    open_index(news, store=settings, embedder=embedder)
    with pytest.raises(StoreMismatchError, match="same embedding model"):
        open_store_reader("news-ro", store=settings, embedder=HashingEmbedder(dimension=32))
    assert open_store_reader("news-ro", store=settings, embedder=embedder).snapshot.chunks  # nothing dropped


def test_a_lease_refuses_a_second_writer_until_it_expires(store_dir: Path) -> None:
    client = open_client(path=store_dir)
    clock = FakeClock()

    def lease(holder: str) -> WriteLease:
        return WriteLease(client, "news-lease", location="test", ttl_s=60, holder=holder, clock=clock,
                          sleep=clock.sleep, renew_in_background=False)  # fmt: skip

    first = lease("writer-a").acquire()
    with pytest.raises(StoreInUseError, match="being written by writer-a"):
        lease("writer-b").acquire()
    clock.now += 45
    first.renew()  # renewed: a long ingest keeps its lease
    clock.now += 45
    with pytest.raises(StoreInUseError, match="writer-a"):
        lease("writer-b").acquire()
    clock.now += 61  # writer-a crashed: its lease expires and is taken over
    second = lease("writer-b").acquire()
    with pytest.raises(LeaseLostError, match="now held by writer-b"):
        first.renew()
    with pytest.raises(LeaseLostError):
        first.check()
    first.release()  # never deletes someone else's lease
    assert second.current() is not None and second.current()[0] == "writer-b"  # type: ignore[index]
    second.release()
    assert second.current() is None


def test_a_folderless_chat_lists_articles_and_refuses_uploads(news: Path, store_dir: Path) -> None:
    from ui.app import AppConfig, ChatApp

    embedder = HashingEmbedder()
    settings = StoreSettings(store_dir=store_dir, collection="news-chat")
    open_index(news, store=settings, embedder=embedder)
    engine = open_collection("news-chat", store=settings, embedder=embedder)
    app = ChatApp(engine, None, upload_dir=Path("."), config=AppConfig(store=settings, folderless=True))
    assert len(app.corpus_rows()) == len(NEWS) and "store alone" in app.store_line()
    message, rows, _ = app.upload([])
    assert "Uploads need the corpus folder" in message and len(rows) == len(NEWS)


# -- a real `chroma run` server -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    running = ChromaServer(tmp_path_factory.mktemp("chroma-remote"))
    running.start()
    yield running
    close_client(url=running.url)
    running.stop()


@pytest.fixture(scope="module")
def shipped(server: ChromaServer, real_embedder, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The shipped corpus, copied and ingested into the server as collection ``cqa-shipped``."""
    corpus = tmp_path_factory.mktemp("shipped") / "corpus"
    shutil.copytree(default_corpus_dir(), corpus)
    settings = StoreSettings(chroma_url=server.url, collection="cqa-shipped")
    return corpus, settings, open_corpus(corpus, store=settings, embedder=real_embedder)


@pytest.mark.slow
@pytest.mark.server
def test_a_folderless_reader_answers_exactly_as_the_folder_one(shipped, real_embedder) -> None:  # type: ignore[no-untyped-def]
    _, settings, with_folder = shipped
    alone = open_collection("cqa-shipped", store=settings, embedder=real_embedder)
    assert alone.reader.snapshot.chunks == with_folder.reader.snapshot.chunks
    for question in QUESTIONS:
        assert alone.answer(question).to_dict() == with_folder.answer(question).to_dict()
        assert alone.retrieve(question, k=5) == with_folder.retrieve(question, k=5)


@pytest.mark.slow
@pytest.mark.server
def test_corpus_qa_ask_without_a_folder(shipped, server: ChromaServer) -> None:  # type: ignore[no-untyped-def]
    command = [sys.executable, "-m", "ui", "ask", "Who is Cuba's foreign minister?", "--json",
               "--chroma-url", server.url, "--collection", "cqa-shipped"]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Bruno Rodriguez Parrilla" in json.loads(done.stdout)["quotes"][0]["text"]


@pytest.mark.slow
@pytest.mark.server
def test_an_article_ingested_elsewhere_is_answered_within_the_staleness_bound(  # type: ignore[no-untyped-def]
    shipped, real_embedder
) -> None:
    corpus, settings, _ = shipped
    reader_settings = StoreSettings(chroma_url=settings.chroma_url, staleness_s=0.5)
    reader = open_collection("cqa-shipped", store=reader_settings, embedder=real_embedder)
    (corpus / "zanzibar.txt").write_text(
        "Zanzibar opens a spice museum\nThe curator of the new spice museum in Stone Town is Amina Juma.\n"
        "The museum shows cloves, cinnamon and nutmeg from the island's farms.\n",
        encoding="utf-8",
    )
    report = open_index(corpus, store=settings, embedder=real_embedder).last_report
    assert report.added == ("zanzibar.txt",)
    synced = time.monotonic()
    while "zanzibar.txt" not in reader.reader.snapshot.documents:
        assert time.monotonic() - synced < 0.5 + 5, "the reader did not pick up the new revision"
        time.sleep(0.1)
    answer = reader.answer("Who is the curator of the spice museum in Stone Town?")
    assert (
        answer.quotes and answer.quotes[0].doc_id == "zanzibar.txt" and "Amina Juma" in answer.quotes[0].text
    )


@pytest.mark.slow
@pytest.mark.server
def test_a_second_writer_is_refused_while_the_first_holds_the_lease(
    shipped, real_embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus, settings, engine = shipped
    running = engine.reader.index.store.write_lease().acquire()  # an ingest in progress
    try:
        (corpus / "late.txt").write_text(
            "A late article\nIt arrived while another ingest ran.\n", encoding="utf-8"
        )
        with pytest.raises(StoreInUseError, match=f"being written by {running.holder}"):
            open_index(corpus, store=settings, embedder=real_embedder)
    finally:
        running.release()
    # A crashed writer (never renewed, never released) is taken over once its lease expired.
    crashed = WriteLease(open_client(url=settings.chroma_url), "cqa-shipped", location="test", ttl_s=0.2,
                         renew_in_background=False).acquire()  # fmt: skip
    time.sleep(0.3)
    report = open_index(corpus, store=settings, embedder=real_embedder).last_report
    assert "late.txt" in report.added and crashed.current() is None  # taken over, then released


@pytest.mark.slow
@pytest.mark.server
def test_a_stopped_server_is_reported_and_recovered_from(real_embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    own = ChromaServer(tmp_path)  # its own server: stopping it must not disturb the other tests
    own.start()
    try:
        settings = StoreSettings(chroma_url=own.url, collection="cqa-restart", staleness_s=0.2)
        corpus = tmp_path / "corpus"
        shutil.copytree(default_corpus_dir(), corpus)
        open_index(corpus, store=settings, embedder=real_embedder)
        engine = open_collection("cqa-restart", store=settings, embedder=real_embedder)
        expected = engine.answer(QUESTIONS[0]).to_dict()
        good = engine.reader.snapshot
        own.stop()
        with pytest.raises(StoreUnavailableError, match="Store unavailable, retrying"):
            engine.answer(QUESTIONS[0])
        time.sleep(0.3)  # past the staleness bound: the poll fails and the last good snapshot stays
        assert engine.reader.snapshot is good and good.documents
        assert engine.reader.problem
        own.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                assert engine.answer(QUESTIONS[0]).to_dict() == expected
                break
            except StoreUnavailableError:
                assert time.monotonic() < deadline, "the reader did not recover after the server restarted"
                time.sleep(0.5)
        assert engine.reader.refresh() is False and engine.reader.problem is None
    finally:
        close_client(url=own.url)
        own.stop()
