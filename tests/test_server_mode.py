"""Server mode for real: a `chroma run` server on a free loopback port, reached over HttpClient."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ChromaServer, free_port
from vectorstore import StoreSettings, StoreUnavailableError, close_client, default_corpus_dir

pytestmark = [pytest.mark.slow, pytest.mark.server]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    server.start()
    yield server.url
    close_client(url=server.url)
    server.stop()


def test_ingest_retrieve_and_answer_through_a_chroma_server(
    chroma_url, real_embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from qa import open_corpus

    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus)
    settings = StoreSettings(chroma_url=chroma_url)
    engine = open_corpus(corpus, store=settings, embedder=real_embedder)
    assert engine.reader.index.store.location == f"Chroma server {chroma_url}"
    assert engine.reader.index.last_report.added and engine.reader.index.store.count() == len(engine.reader.index.snapshot.chunks)
    passages = engine.retrieve("Soviet Union economic lifeline", k=3)
    assert "lifeline" in passages[0].text
    answer = engine.answer("Who is Cuba's foreign minister?")
    assert "Bruno Rodriguez Parrilla" in answer.quotes[0].text

    # A second client (as a second machine would) sees the same store and embeds nothing new.
    again = open_corpus(corpus, store=settings, embedder=real_embedder)
    assert again.reader.index.last_report.unchanged and not again.reader.index.last_report.changed
    assert again.answer("Who is Cuba's foreign minister?").quotes[0].text == answer.quotes[0].text


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(StoreUnavailableError, match="chroma run"):
        from vectorstore.chroma_store import open_client

        open_client(url=f"http://127.0.0.1:{free_port()}")


def test_collection_carrying_an_embedding_function_is_refused(chroma_url, real_embedder) -> None:  # type: ignore[no-untyped-def]
    """A stored embedding-function config can make clients import and run code: never use one."""
    from chromadb.utils.embedding_functions import DefaultEmbeddingFunction

    from vectorstore import StoreMismatchError, open_store
    from vectorstore.chroma_store import open_client

    client = open_client(url=chroma_url)
    client.create_collection("hostile-config", embedding_function=DefaultEmbeddingFunction())
    with pytest.raises(StoreMismatchError, match="embedding-function"):
        open_store(StoreSettings(chroma_url=chroma_url), "hostile-config", real_embedder)
