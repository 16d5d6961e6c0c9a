"""Bad and hostile input: a clear message, nothing lost, and the engine keeps answering."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from qa import InvalidHistoryError, InvalidQuestionError, QAError, check_quotes
from tests.conftest import REPO
from ui.app import ChatApp
from vectorstore import default_corpus_dir

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "type a question"),
        ("   \n\t ", "type a question"),
        ("x" * 1_000_000, "limit is 2,000"),
        ("Who\x00 is Putin?", "NUL"),
        ("Who is \ud800 Putin?", "invalid characters"),
        (None, "must be text"),
        (42, "must be text"),
    ],
)
def test_bad_questions_get_a_clear_message(default_engine, question: object, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidQuestionError, match=message):
        default_engine.answer(question)
    assert not default_engine.answer("Who is Cuba's foreign minister?").abstained  # still serving


@pytest.mark.parametrize(
    "question",
    [
        "מי הוא שר החוץ של קובה?",
        "من هو وزير خارجية كوبا؟",
        "Who is Cuba's 🇨🇺 foreign minister? 🤔",
        "‮Putin‬ Cuba",
    ],
)
def test_right_to_left_and_emoji_questions_are_answered_or_abstained(default_engine, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = default_engine.answer(question)
    texts = {d: doc.text for d, doc in default_engine.reader.index.snapshot.documents.items()}
    check_quotes(answer.quotes, texts)


@pytest.mark.parametrize(
    "history",
    [
        "not a list",
        42,
        [42],
        [{"role": "hacker", "content": "x"}],
        [{"role": "user", "content": 3}],
        [(1, 2, 3)],
    ],
)
def test_history_with_wrong_types_is_refused_clearly(default_engine, history: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidHistoryError, match="history"):
        default_engine.answer("Where did he meet Putin?", history=history)


def test_api_endpoint_returns_errors_as_json(default_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = ChatApp(default_engine, default_engine.reader.index, upload_dir=tmp_path)
    for bad in ("", "\x00", "x" * 50_000):
        result = app.api_ask(bad)
        assert result["error"] and result["quotes"] == []
        # A refused question is no abstention: nothing in it says "the articles don't say".
        assert not {"abstained", "confidence", "support", "text"} & result.keys()
    for not_text in (None, 42, ["q"]):
        result = app.api_ask(not_text)  # type: ignore[arg-type]  # what raw JSON can send
        assert "must be text" in result["error"] and result["question"] == ""
    assert app.api_ask("Who is Cuba's foreign minister?")["quotes"]


def test_uploads_with_path_like_names_stay_in_the_upload_folder(default_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    uploads = tmp_path / "uploads"
    app = ChatApp(default_engine, default_engine.reader.index, upload_dir=uploads)
    source = tmp_path / "source.txt"
    for i, name in enumerate(("../../x.txt", "..\\..\\y.txt", "/etc/z.txt", "a/../../w.md", "..", ".bashrc.txt")):
        # Each its own text: the same text again is not stored twice, under any name.
        source.write_text(f"Canal news {i}\n\nThe canal reopened on Monday after repairs.\n", encoding="utf-8")
        target = app._accept(source, original_name=name)
        assert target.parent == uploads and target.resolve().is_relative_to(uploads.resolve())
    assert {p.name for p in uploads.iterdir()} == {
        "x.txt",
        "y.txt",
        "z.txt",
        "w.md",
        "upload.txt",
        "bashrc.txt",
    }
    assert not (tmp_path / "x.txt").exists() and not Path("/etc/z.txt").exists()


def test_bad_corpus_files_are_reported_and_nothing_is_lost(real_embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from qa import open_corpus
    from vectorstore import StoreSettings, close_client

    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus)
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(bytes(range(256)))
    (corpus / "latin1.txt").write_bytes("Caf\xe9 au lait in S\xe3o Paulo.".encode("latin-1"))
    (corpus / "huge.txt").write_text("big " * 2_000_000, encoding="utf-8")
    (corpus / "crlf.txt").write_bytes(
        b"Crlf article\r\n\r\nThe dockers of Antwerp ended their strike on Sunday.\r\nTalks continue.\r\n"
    )
    (corpus / "script.html").write_text(
        "<html><body><article><h1>Ferry fares</h1><p>Ferry fares to Tallinn rose by ten percent in May.</p>"
        "<script>document.write('hidden script text')</script></article></body></html>",
        encoding="utf-8",
    )
    store = StoreSettings(store_dir=tmp_path / "store")
    try:
        engine = open_corpus(corpus, store=store, embedder=real_embedder)
        problems = {p.path: p.reason for p in engine.reader.index.last_report.problems}
        assert set(problems) == {"empty.txt", "binary.txt", "latin1.txt", "huge.txt"}
        assert "UTF-8" in problems["latin1.txt"] and "limit" in problems["huge.txt"]
        crlf = engine.answer("When did the dockers of Antwerp end their strike?")
        quote = crlf.quotes[0]
        assert quote.doc_id == "crlf.txt" and "Sunday" in quote.text
        assert (corpus / "crlf.txt").read_bytes().decode()[quote.start : quote.end] == quote.text
        assert "hidden script text" not in engine.reader.index.snapshot.documents["script.html"].text
        assert not engine.answer("Who is Cuba's foreign minister?").abstained
    finally:
        close_client(path=tmp_path / "store")


def test_corpus_folder_disappearing_while_running(real_embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from qa import open_corpus
    from vectorstore import StoreSettings, VectorStoreError, close_client

    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus)
    try:
        engine = open_corpus(
            corpus, store=StoreSettings(store_dir=tmp_path / "store"), embedder=real_embedder
        )
        shutil.rmtree(corpus)
        with pytest.raises(VectorStoreError, match="does not exist"):
            engine.reader.index.sync()
        # What was loaded keeps answering; nothing stored was dropped.
        assert "Bruno Rodriguez Parrilla" in engine.answer("Who is Cuba's foreign minister?").quotes[0].text
        assert engine.reader.index.store.count() == len(engine.reader.index.snapshot.chunks)
    finally:
        close_client(path=tmp_path / "store")


def test_memory_does_not_grow_over_1000_identical_questions(default_engine) -> None:  # type: ignore[no-untyped-def]
    def rss_mb() -> float:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    for _ in range(100):  # warm caches and allocator pools first
        default_engine.answer("Who is Cuba's foreign minister?")
    before = rss_mb()
    for _ in range(1000):
        default_engine.answer("Who is Cuba's foreign minister?")
    grown = rss_mb() - before
    print(f"\nRSS {before:.0f} MB before, {before + grown:.0f} MB after 1,000 questions ({grown:+.1f} MB)")
    assert grown < 25


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs root and unshare")
def test_everything_works_without_any_network(tmp_path: Path) -> None:
    """In a fresh network namespace (loopback only, no DNS): ingest, ask and the chat all work."""
    script = textwrap.dedent(
        f"""
        set -e
        ip link set lo up 2>/dev/null || true
        export CORPUS_QA_STORE_DIR={tmp_path}/store CORPUS_QA_UPLOAD_DIR={tmp_path}/up HF_HUB_OFFLINE=1
        {sys.executable} -m ui ingest
        {sys.executable} -m ui ask "Who is Cuba's foreign minister?" > {tmp_path}/answer.txt
        {sys.executable} - <<'PY'
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from tests.helpers import running_chat
        from gradio_client import Client
        with running_chat(Path({str(tmp_path)!r}) / "chat") as url:
            result = Client(url, verbose=False).predict("Who is Cuba's foreign minister?", api_name="/ask")
            assert "Bruno Rodriguez Parrilla" in result["quotes"][0]["text"], result
        print("chat ok")
        PY
        """
    )
    done = subprocess.run(
        ["unshare", "--net", "bash", "-c", script], capture_output=True, text=True, timeout=600, cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Bruno Rodriguez Parrilla" in (tmp_path / "answer.txt").read_text()
    assert "chat ok" in done.stdout


def test_qa_errors_share_a_base(default_engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QAError):
        default_engine.answer("")


def counting_sync(summary: str) -> tuple[list[int], Callable[[], SimpleNamespace]]:
    """A stand-in for the index's sync: records each call, reports ``summary``."""
    synced: list[int] = []

    def sync() -> SimpleNamespace:
        synced.append(1)
        return SimpleNamespace(summary=lambda: summary, problems=[])

    return synced, sync


def test_an_upload_renamed_to_be_safe_says_so(tmp_path: Path) -> None:
    from ui.uploads import add_uploads

    uploads = tmp_path / "uploads"
    synced, sync = counting_sync("2 added")
    files = []
    for i, name in enumerate((".hidden.txt", "a*b.txt", "plain.txt")):
        source = tmp_path / f"cached-{i}.txt"
        source.write_text(f"Canal news {i}\n\nThe canal reopened on Monday after repairs.\n", encoding="utf-8")
        files.append(SimpleNamespace(name=str(source), orig_name=name))
    message = add_uploads(files, uploads, sync)
    assert {p.name for p in uploads.iterdir()} == {"hidden.txt", "a_b.txt", "plain.txt"}
    assert synced == [1]
    lines = message.split("\n\n")
    assert lines[0].startswith("✓ 3 files added")
    # Each changed name is reported with why (the given name escaped: it is Markdown); the kept one is not.
    assert any(line.startswith("↪ .hidden.txt was stored as **hidden.txt**") and "dot" in line for line in lines)
    assert any(line.startswith("↪ a\\*b.txt was stored as **a_b.txt**") for line in lines)
    assert not any("plain.txt" in line for line in lines[1:])


def test_the_same_text_uploaded_under_another_name_is_not_stored_twice(tmp_path: Path) -> None:
    from ui.uploads import add_uploads

    uploads = tmp_path / "uploads"
    synced, sync = counting_sync("1 added")

    def upload(name: str, text: str) -> str:
        source = tmp_path / f"cached-{name}"
        source.write_text(text, encoding="utf-8")
        return add_uploads([SimpleNamespace(name=str(source), orig_name=name)], uploads, sync)

    text = "Canal news\n\nThe canal reopened on Monday after repairs.\n"
    assert upload("a.txt", text).startswith("✓ 1 file added")
    again = upload("b.txt", text)
    assert again == "= b.txt: already in the corpus with the same text as a.txt.", again
    # Other text under another name is an article of its own.
    assert upload("c.txt", text.replace("Monday", "Tuesday")).startswith("✓ 1 file added")
    assert sorted(p.name for p in uploads.iterdir()) == ["a.txt", "c.txt"] and synced == [1, 1]
