"""Hostile corpus folders: links, special files, pathological HTML, unreadable folders, whole disks.

Only regular files that really live inside the corpus folder are articles;
everything else is skipped with a one-line reason, and nothing blocks,
reads without bound, or pins the CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.fakes import HashingEmbedder
from vectorstore import (
    CorpusIndex,
    CorpusRefusedError,
    CorpusUnreadableError,
    InvalidSettingError,
    Source,
    StoreSettings,
    TooManyFilesError,
    UnreadableFileError,
    collection_for,
    load_document,
    load_folder,
    loading,
    open_store,
)
from vectorstore.loading import (
    MAX_HTML_ATTRIBUTES,
    MAX_HTML_DEPTH,
    MAX_HTML_TAGS,
    html_structure_problem,
    iter_article_paths,
    scan_folder,
)

GOOD = "Harbour news\n\nThe harbour reopened on Monday after the storm. Ferries sail again.\n"
PAGE = (
    "<html><head><title>Grain deal signed</title></head><body><article><h1>Grain deal signed</h1>"
    + "".join(f"<p>Paragraph {i} says the grain deal was signed in Istanbul on Friday.</p>" for i in range(6))
    + "</article></body></html>"
)


def within(seconds: float, work: Callable[[], Any]) -> Any:
    """Run ``work`` in a thread; fail (instead of hanging the suite) if it takes longer."""
    result: list[Any] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds}s (blocked or pinned)"
    if error:
        raise error[0]
    return result[0]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def fresh_html_cache() -> Iterator[None]:
    loading.clear_html_cache()
    yield
    loading.clear_html_cache()


def recording(calls: list[str], real: Callable[[str], Any]) -> Callable[[str], Any]:
    """``real``, noting each page it is called with."""

    def wrapper(html: str) -> Any:
        calls.append(html)
        return real(html)

    return wrapper


def problems_of(folder: Path, **kwargs: Any) -> dict[str, str]:
    _docs, problems = load_folder(folder, **kwargs)
    return {p.path: p.reason for p in problems}


# -- 1. symbolic links -----------------------------------------------------------------


def test_symlinks_to_files_and_folders_are_skipped_with_a_reason(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nThe vault code is 1234.\n", encoding="utf-8")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "status.md").symlink_to("/proc/self/status")
    (corpus / "secret.txt").symlink_to(outside / "secret.txt")
    (corpus / "again.txt").symlink_to("good.txt")  # a link inside the folder is still a link
    (corpus / "etc").symlink_to("/etc")
    (corpus / "elsewhere").symlink_to(outside)
    (corpus / "dangling.html").symlink_to(tmp_path / "missing.html")

    docs, problems = load_folder(corpus)

    assert [d.doc_id for d in docs] == ["good.txt"]
    reasons = {p.path: p.reason for p in problems}
    assert set(reasons) == {
        "passwd.txt",
        "status.md",
        "secret.txt",
        "again.txt",
        "etc",
        "elsewhere",
        "dangling.html",
    }
    assert all("symbolic link" in r for r in reasons.values())
    assert {p.kind for p in problems} == {"skipped"}
    text = "".join(d.text for d in docs)
    assert "root:" not in text and "VmRSS" not in text and "vault" not in text


def test_symlinks_are_reported_by_sync_and_never_stored(
    corpus: Path, tmp_path: Path, store_dir: Path
) -> None:
    embedder = HashingEmbedder()
    index = CorpusIndex(
        [Source(corpus)], open_store(StoreSettings(store_dir=store_dir), "links", embedder), embedder
    )
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    report = index.sync()
    assert report.added == ("good.txt",)
    assert [p.path for p in report.problems] == ["passwd.txt"]
    assert "symbolic link" in str(report.problems[0])
    assert not any("root:" in e for e in embedder.encoded)


def test_a_file_replaced_by_a_link_is_dropped_from_the_store(corpus: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    index = CorpusIndex(
        [Source(corpus)], open_store(StoreSettings(store_dir=store_dir), "swapped", embedder), embedder
    )
    (corpus / "other.txt").write_text(GOOD.replace("Monday", "Friday"), encoding="utf-8")
    assert sorted(index.sync().added) == ["good.txt", "other.txt"]
    (corpus / "other.txt").unlink()
    (corpus / "other.txt").symlink_to("/etc/passwd")
    report = index.sync()
    # Not an article any more (unlike a file that merely cannot be read now, which keeps its records).
    assert report.removed == ("other.txt",) and [p.path for p in report.problems] == ["other.txt"]
    assert set(index.snapshot.documents) == {"good.txt"}


def test_a_linked_corpus_folder_itself_is_allowed(corpus: Path, tmp_path: Path) -> None:
    link = tmp_path / "linked"
    link.symlink_to(corpus)
    docs, problems = load_folder(link)
    assert [d.doc_id for d in docs] == ["good.txt"] and problems == []


def test_load_document_opens_only_regular_files_inside_the_folder(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.txt").write_text(GOOD, encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside / "x.txt")
    (corpus / "sub").symlink_to(outside)
    with pytest.raises(UnreadableFileError, match="symbolic link"):
        load_document(corpus / "link.txt", corpus)
    with pytest.raises(UnreadableFileError, match="symbolic link"):
        load_document(corpus / "sub" / "x.txt", corpus)  # a linked folder on the way
    with pytest.raises(UnreadableFileError, match="not inside the corpus folder"):
        load_document(outside / "x.txt", corpus)
    with pytest.raises(UnreadableFileError, match="not inside the corpus folder"):
        load_document(corpus / ".." / "outside" / "x.txt", corpus)


def test_a_link_swapped_in_after_the_check_is_not_followed(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "swap.txt").symlink_to("/etc/passwd")
    real_stat = os.stat

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        # What the check saw a moment before the swap: the regular good.txt.
        if str(path) == "swap.txt":
            return real_stat(corpus / "good.txt")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(loading.os, "stat", stale_stat)
    with pytest.raises(UnreadableFileError, match="symbolic link"):
        load_document(corpus / "swap.txt", corpus)


# -- 2. FIFOs, devices, reads without bound -------------------------------------------------


def test_a_fifo_is_skipped_without_blocking(corpus: Path) -> None:
    os.mkfifo(corpus / "pipe.txt")
    docs, problems = within(10, lambda: load_folder(corpus))
    assert [d.doc_id for d in docs] == ["good.txt"]
    assert [(p.path, p.kind) for p in problems] == [("pipe.txt", "skipped")]
    assert "FIFO" in problems[0].reason
    with pytest.raises(UnreadableFileError, match="FIFO"):
        within(10, lambda: load_document(corpus / "pipe.txt", corpus))


def test_a_fifo_swapped_in_after_the_check_is_not_read(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    os.mkfifo(corpus / "pipe.txt")
    real_stat = os.stat

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path) == "pipe.txt":
            return real_stat(corpus / "good.txt")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(loading.os, "stat", stale_stat)
    # O_NONBLOCK: the open returns at once; fstat after opening sees the FIFO.
    with pytest.raises(UnreadableFileError, match="FIFO"):
        within(10, lambda: load_document(corpus / "pipe.txt", corpus))


def test_a_device_node_in_the_folder_is_never_read(corpus: Path) -> None:
    try:
        os.mknod(corpus / "zero.txt", stat.S_IFCHR | 0o644, os.makedev(1, 5))  # /dev/zero
    except OSError as exc:
        pytest.skip(f"cannot create a device node here: {exc}")
    (corpus / "urandom.html").symlink_to("/dev/urandom")
    docs, problems = within(10, lambda: load_folder(corpus))
    assert [d.doc_id for d in docs] == ["good.txt"]
    reasons = {p.path: p.reason for p in problems}
    assert "device" in reasons["zero.txt"] and "symbolic link" in reasons["urandom.html"]
    with pytest.raises(UnreadableFileError, match="device"):
        within(10, lambda: load_document(corpus / "zero.txt", corpus))


def test_reading_stops_one_byte_past_the_limit(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that grows after its size was checked is still read only up to the limit."""
    (corpus / "grows.txt").write_text("word " * 100_000, encoding="utf-8")
    real_stat, real_fstat, real_read = os.stat, os.fstat, os.read
    read = [0]

    def small(result: os.stat_result) -> os.stat_result:
        values = list(result)
        values[stat.ST_SIZE] = 10
        return os.stat_result(values)

    def counting_read(fd: int, n: int) -> bytes:
        block = real_read(fd, n)
        read[0] += len(block)
        return block

    monkeypatch.setattr(
        loading.os,
        "stat",
        lambda p, *a, **k: small(real_stat(p, *a, **k)) if str(p) == "grows.txt" else real_stat(p, *a, **k),
    )
    monkeypatch.setattr(loading.os, "fstat", lambda fd: small(real_fstat(fd)))
    monkeypatch.setattr(loading.os, "read", counting_read)
    with pytest.raises(UnreadableFileError, match="over the 1,000-byte limit"):
        load_document(corpus / "grows.txt", corpus, max_bytes=1000)
    assert read[0] == 1001


# -- 3. pathological HTML -----------------------------------------------------------------

ATTRIBUTES = (
    "<html><body><div " + " ".join(f'a{i}="x"' for i in range(20_000)) + "><p>Text.</p></div></body></html>"
)
NESTING = "<html><body>" + "<div>" * 20_000 + "<p>Text.</p>" + "</div>" * 20_000 + "</body></html>"
TAGS = "<html><body><p>Text.</p>" + "<span>a</span>" * 60_000 + "</body></html>"


@pytest.mark.parametrize(
    ("page", "limit"),
    [
        (ATTRIBUTES, f"limit of {MAX_HTML_ATTRIBUTES} per tag"),
        (NESTING, f"more than {MAX_HTML_DEPTH} levels"),
        (TAGS, f"more than {MAX_HTML_TAGS:,} tags"),
    ],
    ids=["attributes", "nesting", "tags"],
)
def test_pathological_html_is_refused_before_parsing(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, page: str, limit: str
) -> None:
    parsed: list[str] = []
    monkeypatch.setattr(loading, "_extract_html", recording(parsed, lambda html: ("", None, None)))
    (corpus / "bad.html").write_text(page, encoding="utf-8")
    started = time.perf_counter()
    reasons = within(30, lambda: problems_of(corpus))
    assert time.perf_counter() - started < 5
    assert limit in reasons["bad.html"] and "refused before parsing" in reasons["bad.html"]
    assert parsed == []  # the parser never saw it


def test_real_pages_pass_the_structure_check(corpus: Path) -> None:
    lists = "<ul>" + "<li>item" * 500 + "</ul>"  # unclosed <li>, as real pages have
    page = PAGE.replace("</article>", lists + "<br>" * 300 + "<img src=x>" * 300 + "</article>")
    page = page.replace("<body>", "<body><script>if (a<b) { document.write('<div><div><div>') }</script>")
    assert html_structure_problem(page) is None
    (corpus / "g.html").write_text(page, encoding="utf-8")
    assert "grain deal was signed in Istanbul" in load_document(corpus / "g.html", corpus).text


def test_each_html_content_is_parsed_once(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, store_dir: Path
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(loading, "_extract_html", recording(calls, loading._extract_html))
    checks: list[str] = []
    monkeypatch.setattr(loading, "html_structure_problem", recording(checks, loading.html_structure_problem))
    (corpus / "a.html").write_text(PAGE, encoding="utf-8")
    (corpus / "copy.html").write_text(PAGE, encoding="utf-8")  # same bytes, another name
    (corpus / "bad.html").write_text(ATTRIBUTES, encoding="utf-8")
    embedder = HashingEmbedder()
    index = CorpusIndex(
        [Source(corpus)], open_store(StoreSettings(store_dir=store_dir), "once", embedder), embedder
    )
    first = index.sync()
    assert sorted(first.added) == ["a.html", "copy.html", "good.txt"]
    again = index.sync()  # a re-sync of unchanged files parses nothing
    assert [p.path for p in again.problems] == ["bad.html"]
    (corpus / "b.html").write_text(PAGE.replace("Friday", "Monday"), encoding="utf-8")
    index.sync()
    assert len(calls) == 2  # PAGE once, the changed page once
    assert len(checks) == 3  # PAGE, the refused page, the changed page


def test_the_html_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "_HTML_CACHE_ENTRIES", 3)
    for i in range(10):
        page = PAGE.replace("Friday", f"day {i}")
        loading.html_article(page.encode(), page)
    assert len(loading._html_cache) == 3


# -- 4. folders that cannot be read ------------------------------------------------------


def deny(monkeypatch: pytest.MonkeyPatch, *denied: Path) -> None:
    """Make listing ``denied`` fail as it does without read permission (tests run as root)."""
    real = os.scandir
    blocked = {str(p) for p in denied}

    def scandir(path: Any) -> Any:
        if str(path) in blocked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(loading.os, "scandir", scandir)


def test_an_unreadable_subfolder_is_reported(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (corpus / "locked").mkdir()
    (corpus / "locked" / "x.txt").write_text(GOOD, encoding="utf-8")
    deny(monkeypatch, corpus / "locked")
    docs, problems = load_folder(corpus)
    assert [d.doc_id for d in docs] == ["good.txt"]
    assert [(p.path, p.kind) for p in problems] == [("locked/", "folder")]
    assert "cannot be read (Permission denied)" in problems[0].reason
    assert "read access" in problems[0].reason


def test_an_unreadable_subfolder_keeps_what_was_stored(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, store_dir: Path
) -> None:
    (corpus / "locked").mkdir()
    (corpus / "locked" / "x.txt").write_text(GOOD.replace("Monday", "Tuesday"), encoding="utf-8")
    embedder = HashingEmbedder()
    index = CorpusIndex(
        [Source(corpus)], open_store(StoreSettings(store_dir=store_dir), "keep", embedder), embedder
    )
    assert sorted(index.sync().added) == ["good.txt", "locked/x.txt"]
    stored = index.store.count()
    deny(monkeypatch, corpus / "locked")
    report = index.sync()
    assert report.removed == () and [p.path for p in report.problems] == ["locked/"]
    assert index.store.count() == stored


def test_an_unreadable_corpus_folder_is_an_error(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deny(monkeypatch, corpus)
    with pytest.raises(CorpusUnreadableError, match="read access"):
        load_folder(corpus)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv to drop privileges"
)
def test_an_unreadable_subfolder_is_reported_without_root_privileges(corpus: Path) -> None:
    """The same, for real: permissions bind a process without CAP_DAC_OVERRIDE."""
    (corpus / "locked").mkdir()
    (corpus / "locked" / "x.txt").write_text(GOOD, encoding="utf-8")
    (corpus / "locked").chmod(0)
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(REPO)!r})
        from vectorstore import load_folder
        docs, problems = load_folder(__import__("pathlib").Path({str(corpus)!r}))
        print(json.dumps([[d.doc_id for d in docs], [[p.path, p.kind, p.reason] for p in problems]]))
        """
    )
    try:
        done = subprocess.run(
            [
                "setpriv",
                "--bounding-set=-dac_override,-dac_read_search,-fowner",
                sys.executable,
                "-c",
                script,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        (corpus / "locked").chmod(0o755)
    assert done.returncode == 0, done.stderr
    docs, problems = json.loads(done.stdout)
    assert docs == ["good.txt"]
    assert [p[:2] for p in problems] == [["locked/", "folder"]] and "Permission denied" in problems[0][2]


# -- 5. whole disks and huge trees -------------------------------------------------------


@pytest.mark.parametrize(
    "folder", ["/", "/usr", "/etc", "/proc", "/sys", "/dev", "/var", "/proc/self", "/home"]
)
def test_system_folders_are_refused(folder: str) -> None:
    with pytest.raises(CorpusRefusedError, match="folder of their own") as info:
        within(10, lambda: list(iter_article_paths(Path(folder))))
    assert folder in str(info.value) and "--corpus" in str(info.value)
    with pytest.raises(CorpusRefusedError):
        collection_for(Path(folder))  # refused before any store is opened for it


def test_the_home_folder_itself_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / "articles").mkdir(parents=True)
    (home / "articles" / "a.txt").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(CorpusRefusedError, match="your home folder"):
        scan_folder(home)
    assert [p.name for p in iter_article_paths(home / "articles")] == ["a.txt"]  # a folder in it is fine


def test_ask_with_the_disk_root_stops_at_once_with_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    started = time.perf_counter()
    assert main(["ask", "--corpus", "/", "Who is Cuba's foreign minister?"]) == 2
    assert time.perf_counter() - started < 10
    err = capsys.readouterr().err
    assert "Refusing to use / as a corpus" in err and "--corpus" in err


def many_files(folder: Path, n: int) -> None:
    for i in range(n):
        (folder / f"n{i}.txt").write_text(f"Note {i}\n\nNote number {i} is short.\n", encoding="utf-8")


def test_past_the_file_limit_the_scan_stops_with_the_fix(corpus: Path) -> None:
    many_files(corpus, 5)
    with pytest.raises(TooManyFilesError) as info:
        scan_folder(corpus, max_files=3)
    message = str(info.value)
    assert "more than 3 article files" in message
    assert "CORPUS_QA_MAX_FILES" in message and "max_files" in message
    assert len(scan_folder(corpus, max_files=6).paths) == 6


def test_the_file_limit_comes_from_settings_or_the_environment(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_files(corpus, 5)
    monkeypatch.setenv("CORPUS_QA_MAX_FILES", "4")
    with pytest.raises(TooManyFilesError, match="more than 4"):
        list(iter_article_paths(corpus))
    assert StoreSettings().resolved().max_files == 4
    assert StoreSettings(max_files=100).resolved().max_files == 100
    monkeypatch.setenv("CORPUS_QA_MAX_FILES", "lots")
    with pytest.raises(InvalidSettingError, match="CORPUS_QA_MAX_FILES"):
        StoreSettings().resolved()
    monkeypatch.delenv("CORPUS_QA_MAX_FILES")
    assert StoreSettings().resolved().max_files == 10_000


def test_too_many_files_leaves_the_store_alone(corpus: Path, store_dir: Path) -> None:
    embedder = HashingEmbedder()
    store = open_store(StoreSettings(store_dir=store_dir), "limit", embedder)
    CorpusIndex([Source(corpus)], store, embedder).sync()
    stored = store.count()
    many_files(corpus, 5)
    with pytest.raises(TooManyFilesError):
        CorpusIndex([Source(corpus)], store, embedder, max_files=3).sync()
    assert store.count() == stored


def test_scanning_shows_progress(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    many_files(corpus, 3)
    load_folder(corpus, progress=True)
    err = capsys.readouterr().err
    assert "Scanning" in err and "Reading" in err
    load_folder(corpus)
    assert capsys.readouterr().err == ""
