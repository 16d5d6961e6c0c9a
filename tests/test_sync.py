"""Sync of a folder into a real (temporary) Chroma store, with the fake embedder."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from tests.fakes import HashingEmbedder
from vectorstore import (
    CorpusIndex,
    InvalidNameError,
    Source,
    StoreSettings,
    close_client,
    open_store,
    validate_collection_name,
)
from vectorstore.loading import content_hash

ARTICLE_A = "Grain deal\n\nThe grain deal was signed in Istanbul on Friday. Ships may sail again.\n"
ARTICLE_B = "Port strike\n\nDock workers in Rotterdam walked out on Monday. Talks resume next week.\n"


def make_index(
    corpus: Path, store: Path, embedder: HashingEmbedder, name: str = "test-corpus"
) -> CorpusIndex:
    chroma = open_store(StoreSettings(store_dir=store), name, embedder)
    return CorpusIndex([Source(corpus)], chroma, embedder)


def one_article_folder(tmp_path: Path, store: Path, text: str = ARTICLE_A) -> tuple[Path, CorpusIndex]:
    """A corpus folder holding ``a.txt``, synced into ``store`` with the fake embedder."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    index = make_index(corpus, store, HashingEmbedder())
    index.sync()
    return corpus, index


def test_add_change_delete_and_rerun(tmp_path: Path, store_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    (corpus / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    embedder = HashingEmbedder()
    index = make_index(corpus, store_dir, embedder)

    first = index.sync()
    assert sorted(first.added) == ["a.txt", "b.txt"] and not first.problems
    chunks_after_first = index.store.count()
    assert chunks_after_first == len(index.snapshot.chunks) > 0

    embedder.encoded.clear()
    again = index.sync()
    assert sorted(again.unchanged) == ["a.txt", "b.txt"] and not again.changed
    assert embedder.encoded == []  # unchanged files are not embedded again
    assert index.store.count() == chunks_after_first  # and not duplicated

    (corpus / "a.txt").write_text(ARTICLE_A.replace("Istanbul", "Ankara"), encoding="utf-8")
    (corpus / "b.txt").unlink()
    (corpus / "c.md").write_text("# New\n\nA new article arrives today.\n", encoding="utf-8")
    embedder.encoded.clear()
    third = index.sync()
    assert third.updated == ("a.txt",) and third.removed == ("b.txt",) and third.added == ("c.md",)
    assert all("Rotterdam" not in t and "Istanbul" not in t for t in embedder.encoded)
    texts = [c.text for c in index.snapshot.chunks.values()]
    assert any("Ankara" in t for t in texts)
    assert not any("Istanbul" in t or "Rotterdam" in t for t in texts)  # no stale text
    assert index.store.count() == len(index.snapshot.chunks)
    stored_docs = {sc.doc_id for sc in index.store.stored_chunks()}
    assert stored_docs == {"a.txt", "c.md"}


def test_bad_file_beside_good_ones_is_reported_and_the_rest_ingested(tmp_path: Path, store_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    (corpus / "broken.txt").write_bytes(b"\xff\xfe\x00binary")
    (corpus / "latin.txt").write_bytes("Caf\xe9".encode("latin-1"))
    report = make_index(corpus, store_dir, HashingEmbedder()).sync()
    assert report.added == ("a.txt",)
    assert {p.path for p in report.problems} == {"broken.txt", "latin.txt"}
    assert all(str(p).startswith(p.path + ": ") for p in report.problems)


def test_file_turning_unreadable_keeps_its_stored_chunks(tmp_path: Path, store_dir: Path) -> None:
    corpus, index = one_article_folder(tmp_path, store_dir)
    before = index.store.count()
    (corpus / "a.txt").write_bytes(b"\x00\x00")
    report = index.sync()
    assert report.removed == () and index.store.count() == before


def test_store_built_with_another_model_is_re_embedded_and_says_so(
    tmp_path: Path, store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    make_index(corpus, store_dir, HashingEmbedder()).sync()
    other = HashingEmbedder(dimension=32)
    other.model_name = "test/other-model"
    index = make_index(corpus, store_dir, other)
    assert "built with model 'test/hashing-embedder'" in capsys.readouterr().err
    assert index.store.rebuilt and index.store.count() == 0
    report = index.sync()
    assert report.added == ("a.txt",) and index.store.count() == len(index.snapshot.chunks)
    assert len(other.encoded) > 0  # every sentence embedded again with the new model
    # Reopened with the same model: nothing to rebuild.
    again = make_index(corpus, store_dir, other)
    assert not again.store.rebuilt and again.sync().unchanged == ("a.txt",)


@pytest.mark.parametrize("name", ["", "ab", "has space", "../escape", "-leading", "x" * 80, "a..b"])
def test_invalid_collection_names_are_refused_before_any_write(name: str) -> None:
    with pytest.raises(InvalidNameError, match="collection name"):
        validate_collection_name(name)


@pytest.mark.parametrize("suffix", ["__s", "__d", "__w"])
def test_a_name_ending_in_an_internal_suffix_is_refused_and_leaves_the_other_corpus_alone(
    tmp_path: Path, store_dir: Path, suffix: str
) -> None:
    # Corpus "news" keeps its sentences in "news__s": a corpus named "news__s" would share (and a
    # sync of "news" would sweep) its records.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Title\n\nThe bridge will cost $77 million. It opens in May.\n")
    index = make_index(corpus, store_dir, HashingEmbedder(), name="news")
    index.sync()
    stored = index.store.count()
    with pytest.raises(InvalidNameError, match=f"ending in '{suffix}' are reserved"):
        validate_collection_name(f"news{suffix}")
    with pytest.raises(InvalidNameError, match="reserved"):
        open_store(StoreSettings(store_dir=store_dir), f"news{suffix}", HashingEmbedder())
    again = make_index(corpus, store_dir, HashingEmbedder(), name="news")
    assert again.store.count() == stored and again.sync().unchanged == ("a.txt",)


def test_an_edit_that_keeps_size_and_mtime_is_still_synced(tmp_path: Path, store_dir: Path) -> None:
    # `sed -i` then `touch -d` (or `cp -p`, `rsync -t`, a tar restore) leaves size and mtime as they
    # were; serving the old text would quote words no longer in the file.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article = corpus / "a.txt"
    article.write_text("Title\n\nThe bridge will cost $77 million.\n", encoding="utf-8")
    index = make_index(corpus, store_dir, HashingEmbedder())
    assert index.sync().added == ("a.txt",)
    before = article.stat()
    seen = index.fingerprint()
    article.write_text("Title\n\nThe bridge will cost $66 million.\n", encoding="utf-8")
    os.utime(article, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = article.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert index.fingerprint() != seen
    assert index.sync().updated == ("a.txt",)
    assert "$66 million" in index.snapshot.documents["a.txt"].text
    # Nothing changed since: nothing read again.
    assert index.sync().unchanged == ("a.txt",) and index.fingerprint() == index.fingerprint()


def test_files_read_by_an_older_loader_are_read_again_once(
    tmp_path: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store built by a release whose HTML loader dropped tables: after the upgrade the page's
    # stat is unchanged, yet its text must be what today's loader makes of it.
    from vectorstore import index as index_module
    from vectorstore import loading

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "votes.html").write_text(
        "<h1>Vote count</h1><table><tr><td>Greens</td><td>12 seats won.</td></tr></table>", encoding="utf-8"
    )
    (corpus / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    today = loading.load_document

    def old_release(path: Path, root: Path, **kwargs: object) -> object:
        doc = today(path, root, **kwargs)  # type: ignore[arg-type]
        if path.suffix == ".html":  # what the old loader made of the page: no table
            return replace(doc, text="Vote count", content_hash=content_hash("Vote count"))
        return doc

    monkeypatch.setattr(index_module, "load_document", old_release)
    monkeypatch.setattr(index_module, "loader_version", lambda path: "")  # the old release's records
    index = make_index(corpus, store_dir, HashingEmbedder())
    index.sync()
    assert "12 seats" not in index.snapshot.documents["votes.html"].text

    read: list[str] = []

    def counting(path: Path, root: Path, **kwargs: object) -> object:
        read.append(path.name)
        return today(path, root, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "load_document", counting)
    monkeypatch.setattr(index_module, "loader_version", loading.loader_version)
    report = index.sync()
    assert report.updated == ("votes.html",) and read == ["votes.html"]  # the .txt is not read
    assert "Greens | 12 seats won." in index.snapshot.documents["votes.html"].text
    read.clear()
    assert index.sync().unchanged == ("a.txt", "votes.html") and read == []  # once, not every sync
    assert loading.loader_version("x.HTM") == "html-2" and loading.loader_version("x.txt") == ""


def test_an_old_citation_opens_the_article_as_it_is_now(tmp_path: Path, store_dir: Path) -> None:
    # A citation clicked after its article was edited must never highlight other words at the old
    # offsets: the quote is found where it moved, or the reader is told it is gone.
    import json

    from qa import AnswerSettings
    from qa.api import engine_over
    from qa.render import ARTICLE_CHANGED
    from ui.app import AppConfig, ChatApp

    corpus, index = one_article_folder(tmp_path, store_dir)
    app = ChatApp(engine_over(index, AnswerSettings(abstain_below=0.0)), index, upload_dir=corpus,
                  config=AppConfig(refresh_s=0.0))  # fmt: skip
    quote = app.engine.answer("Where was the grain deal signed?").quotes[0]
    target = json.dumps({"doc": quote.doc_id, "start": quote.start, "end": quote.end, "text": quote.text})
    assert '<mark class="cqa-hl" id="cqa-current">' + quote.text in app.open_target(target)
    # Moved: a new paragraph above it shifts every offset; the quote is highlighted where it is now.
    (corpus / "a.txt").write_text(ARTICLE_A.replace("\n\n", "\n\nA new opening line.\n\n", 1), encoding="utf-8")
    moved = app.open_target(target)
    assert '<mark class="cqa-hl" id="cqa-current">' + quote.text in moved and ARTICLE_CHANGED not in moved
    # Gone: the words were edited away; the article is shown with a notice and nothing highlighted.
    (corpus / "a.txt").write_text(ARTICLE_A.replace("Istanbul", "Ankara"), encoding="utf-8")
    gone = app.open_target(target)
    assert "Ankara" in gone and ARTICLE_CHANGED in gone and "cqa-current" not in gone
    assert ARTICLE_CHANGED in app.open_citation("0", [dataclasses.asdict(quote)])


def test_second_process_gets_store_in_use_error(tmp_path: Path, store_dir: Path) -> None:
    open_store(StoreSettings(store_dir=store_dir), "test-corpus", HashingEmbedder())
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from tests.fakes import HashingEmbedder
        from vectorstore import StoreSettings, StoreInUseError, open_store
        try:
            open_store(StoreSettings(store_dir={str(store_dir)!r}), "test-corpus", HashingEmbedder())
        except StoreInUseError as exc:
            print(exc)
            sys.exit(3)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert f"in use by PID {os.getpid()}" in done.stdout
    assert "chroma run" in done.stdout
    close_client(path=store_dir)  # released: now the other process may open it
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_sync_summary_counts_in_words() -> None:
    from vectorstore.index import SyncReport

    assert SyncReport(added=("a.txt",), chunks_written=1).summary().endswith("0 unchanged; 1 chunk embedded")
    assert "; 3 chunks embedded" in SyncReport(chunks_written=3).summary()
    assert SyncReport().summary().endswith("0 chunks embedded")  # nothing swept: nothing said
    assert SyncReport(swept=1).summary().endswith("; 1 record left by an interrupted sync removed")


def test_the_chat_serves_what_the_folder_holds_now(tmp_path: Path, store_dir: Path) -> None:
    # Articles edited or deleted while the chat runs are synced before the next answer, so no
    # quote is cut from text the file no longer holds (and no deleted article is cited).
    from qa import AnswerSettings
    from qa.api import engine_over
    from ui.app import AppConfig, ChatApp

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    (corpus / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    index = make_index(corpus, store_dir, HashingEmbedder())
    index.sync()
    engine = engine_over(index, AnswerSettings(abstain_below=0.0))
    app = ChatApp(engine, index, upload_dir=corpus, config=AppConfig(refresh_s=0.0))
    assert not app.serves_shipped_corpus  # no examples about Cuba over someone else's articles
    assert {p["doc_id"] for p in app.api_ask("Dock workers in Rotterdam walked out?")["passages"]} >= {"b.txt"}
    (corpus / "b.txt").unlink()
    (corpus / "a.txt").write_text(ARTICLE_A.replace("Friday", "Sunday"), encoding="utf-8")
    answer = app.api_ask("Dock workers in Rotterdam walked out?")
    assert "b.txt" not in {p["doc_id"] for p in answer["passages"]}
    assert set(app.snapshot.documents) == {"a.txt"} and "Sunday" in app.snapshot.documents["a.txt"].text
    assert [row[0] for row in app.corpus_rows()] == [app.snapshot.documents["a.txt"].title]
    # Within the refresh interval the folder is not looked at again.
    slow = ChatApp(engine, index, upload_dir=corpus, config=AppConfig(refresh_s=3600.0))
    (corpus / "c.txt").write_text(ARTICLE_B, encoding="utf-8")
    slow.api_ask("Dock workers?")
    assert "c.txt" not in slow.snapshot.documents
    slow.refresh(force=True)
    assert "c.txt" in slow.snapshot.documents
