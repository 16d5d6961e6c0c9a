"""The module-level API (qa.answer, qa.retrieve) under a changing folder: errors are QAError/VectorStoreError."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import qa
from qa import InvalidHistoryError, QAError
from tests.conftest import NEWS
from tests.fakes import HashingEmbedder
from vectorstore import VectorStoreError, close_client


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of two articles; qa.answer uses a hashing embedder and a temporary store."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in NEWS.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = tmp_path / "store"
    monkeypatch.setenv("CORPUS_QA_STORE_DIR", str(store))
    monkeypatch.setattr(qa.api, "shared_embedder", HashingEmbedder)
    monkeypatch.setattr(qa.api, "_engines", {})
    yield folder
    close_client(path=store)


def test_answers_follow_the_folder_as_files_are_deleted(corpus: Path) -> None:
    first = qa.answer("What did the Soviet Union give Cuba?", corpus=corpus)
    assert first.quotes and first.quotes[0].doc_id == "cuba.txt"
    (corpus / "cuba.txt").unlink()
    after = qa.answer("What did the Soviet Union give Cuba?", corpus=corpus)
    assert all(q.doc_id != "cuba.txt" for q in after.quotes)
    assert all(p.doc_id != "cuba.txt" for p in qa.retrieve("Soviet Union lifeline", corpus=corpus))


def test_a_file_vanishing_during_the_scan_is_not_a_raw_error(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vectorstore import loading

    real = loading.iter_article_paths

    def vanishing(folder: Path, **kwargs: object) -> Iterator[Path]:
        yield from real(folder, **kwargs)  # type: ignore[arg-type]
        yield folder / "gone.txt"  # listed, then deleted before it is read

    monkeypatch.setattr(loading, "iter_article_paths", vanishing)
    try:
        answer = qa.answer("Who promised oil deliveries?", corpus=corpus)
    except (QAError, VectorStoreError):
        return  # a clear error is acceptable; a raw FileNotFoundError is not
    assert answer.question == "Who promised oil deliveries?"


def test_a_missing_corpus_folder_names_the_fix(corpus: Path) -> None:
    with pytest.raises(VectorStoreError, match="does not exist"):
        qa.answer("Anything?", corpus=corpus / "nope")


def test_a_lone_surrogate_in_history_is_an_invalid_history_error(corpus: Path) -> None:
    with pytest.raises(InvalidHistoryError, match="invalid characters"):
        qa.answer("When did he arrive?", corpus=corpus, history=[{"role": "user", "content": "Who \ud800?"}])
