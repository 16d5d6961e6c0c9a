from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore import UnreadableFileError, default_corpus_dir, load_document, load_folder

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def test_default_corpus_ships_byte_identical() -> None:
    shipped = sorted(default_corpus_dir().glob("*.txt"))
    assert [p.name for p in shipped] == ["000_4041c492b9a4318a.txt", "003_be4eb61250a9198f.txt"]
    if SHARED_CORPUS.is_dir():
        for path in shipped:
            assert path.read_bytes() == (SHARED_CORPUS / path.name).read_bytes()


def test_titles_and_bylines_of_the_default_corpus() -> None:
    docs, problems = load_folder(default_corpus_dir())
    assert problems == []
    by_id = {d.doc_id: d for d in docs}
    helmer = by_id["000_4041c492b9a4318a.txt"]
    assert helmer.byline == "By John Helmer, Moscow"
    # The first line is a byline, so the title is cut from the first sentence, not invented.
    assert helmer.title.startswith("President Vladimir Putin will not run the gauntlet")
    assert helmer.title.rstrip("…") in helmer.text
    guardian = by_id["003_be4eb61250a9198f.txt"]
    assert guardian.title == "Moscow and Havana look to strengthen political and economic links"
    assert guardian.text == (default_corpus_dir() / guardian.doc_id).read_text(encoding="utf-8")


def test_markdown_title_drops_heading_marks(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Ports reopen\n\nShips sailed on Monday.\n", encoding="utf-8")
    doc = load_document(tmp_path / "a.md", tmp_path)
    assert doc.title == "Ports reopen"
    assert doc.text.startswith("# Ports reopen")  # the text itself is unchanged


def test_html_main_text_is_extracted_without_script(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Grain deal signed</title><script>alert('x')</script></head><body>"
        "<nav>Home | World</nav><article><h1>Grain deal signed</h1>"
        + "".join(
            f"<p>Paragraph {i} says the grain deal was signed in Istanbul on Friday by both sides.</p>"
            for i in range(6)
        )
        + "</article></body></html>"
    )
    (tmp_path / "g.html").write_text(html, encoding="utf-8")
    doc = load_document(tmp_path / "g.html", tmp_path)
    assert "grain deal was signed in Istanbul" in doc.text
    assert "alert" not in doc.text and "<p>" not in doc.text
    assert doc.title == "Grain deal signed"


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("empty.txt", b"  \n\n", "empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("latin1.txt", "Caf\xe9 society".encode("latin-1"), "UTF-8"),
        ("notes.pdf", b"%PDF", "unsupported"),
    ],
)
def test_unreadable_files_raise_a_clear_error(
    tmp_path: Path, name: str, payload: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(payload)
    with pytest.raises(UnreadableFileError, match=message) as info:
        load_document(tmp_path / name, tmp_path)
    assert name in str(info.value)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="limit"):
        load_document(tmp_path / "big.txt", tmp_path, max_bytes=100)


def test_folder_load_reports_bad_files_and_keeps_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Good news\n\nThe harvest was large.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01")
    (tmp_path / ".hidden.txt").write_text("skip me", encoding="utf-8")
    docs, problems = load_folder(tmp_path)
    assert [d.doc_id for d in docs] == ["good.txt"]
    assert len(problems) == 1 and problems[0].path == "bad.txt" and "binary" in problems[0].reason


def test_crlf_offsets_stay_verbatim(tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes(b"Title\r\n\r\nFirst sentence here. Second one.\r\n")
    doc = load_document(tmp_path / "w.txt", tmp_path)
    assert "\r\n" in doc.text
