from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore import (
    InvalidSettingError,
    StoreSettings,
    UnreadableFileError,
    default_corpus_dir,
    load_document,
    load_folder,
)
from vectorstore.sentences import quotable_sentences

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


def test_oversized_file_is_refused_naming_how_to_raise_the_limit(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="limit") as info:
        load_document(tmp_path / "big.txt", tmp_path, max_bytes=100)
    assert "CORPUS_QA_MAX_FILE_BYTES=N" in str(info.value)
    assert "StoreSettings(max_file_bytes=N)" in str(info.value)


def test_the_file_size_limit_is_raised_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.txt").write_text("Big news\n\n" + "The harvest was large. " * 300, encoding="utf-8")
    store = StoreSettings(store_dir=tmp_path / "store")
    monkeypatch.setenv("CORPUS_QA_MAX_FILE_BYTES", "100")
    assert store.resolved().max_file_bytes == 100
    with pytest.raises(UnreadableFileError, match="over the 100-byte limit"):
        load_document(tmp_path / "big.txt", tmp_path, max_bytes=store.resolved().max_file_bytes or 0)
    monkeypatch.setenv("CORPUS_QA_MAX_FILE_BYTES", "20_000")
    assert store.resolved().max_file_bytes == 20_000
    assert StoreSettings(store_dir=tmp_path, max_file_bytes=7).resolved().max_file_bytes == 7
    monkeypatch.setenv("CORPUS_QA_MAX_FILE_BYTES", "5MB")
    with pytest.raises(InvalidSettingError, match="CORPUS_QA_MAX_FILE_BYTES='5MB' is not a number"):
        store.resolved()
    monkeypatch.delenv("CORPUS_QA_MAX_FILE_BYTES")
    assert store.resolved().max_file_bytes == 5 * 1024 * 1024
    with pytest.raises(InvalidSettingError, match="at least 1 byte"):
        StoreSettings(store_dir=tmp_path, max_file_bytes=0).resolved()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"chunk_tokens": 0}, "StoreSettings.chunk_tokens must be a whole number of at least 1"),
        ({"text_cache_chars": 2.5}, "StoreSettings.text_cache_chars must be a whole number"),
        ({"staleness_s": -1}, "StoreSettings.staleness_s must be a number of seconds above 0"),
        ({"lease_ttl_s": 0}, "StoreSettings.lease_ttl_s must be a number of seconds above 0"),
        ({"chunk_vectors": "max"}, "StoreSettings.chunk_vectors must be 'mean' or 'encode'"),
    ],
)
def test_store_settings_refuse_nonsense_when_built(tmp_path: Path, bad: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidSettingError, match=message):
        StoreSettings(store_dir=tmp_path, **bad)  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir()), "nothing is created for a refused setting"


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


# -- HTML: recall, visible text, accurate reasons -----------------------------------------


def test_tagless_html_text_is_kept(tmp_path: Path) -> None:
    (tmp_path / "plain.htm").write_text("Plain text: the eagle nests on cliffs.\n", encoding="utf-8")
    doc = load_document(tmp_path / "plain.htm", tmp_path)
    assert doc.text == "Plain text: the eagle nests on cliffs."


def test_short_html_keeps_heading_table_cells_and_list_items_as_lines(tmp_path: Path) -> None:
    html = (
        "<article><h2>Heading</h2><table><tr><td>Table cell: 42 votes were cast.</td></tr></table>"
        "<ul><li>List item: the vote passed.</li><li>Second item.</li></ul></article>"
    )
    (tmp_path / "short.html").write_text(html, encoding="utf-8")
    doc = load_document(tmp_path / "short.html", tmp_path)
    lines = [line for line in doc.text.splitlines() if line]
    assert lines == [
        "Heading",
        "Table cell: 42 votes were cast.",
        "List item: the vote passed.",
        "Second item.",
    ]


ARTICLE_PAGE = (
    "<html><head><title>Council elected</title><script>var leak = 'SCRIPT_LEAK';</script>"
    "<style>.x { content: 'STYLE_LEAK' }</style></head><body>"
    "<nav><a href='/'>Home</a> | <a href='/w'>NAV_LEAK</a></nav><article><h1>Council elected</h1>"
    + "".join(
        f"<p>Paragraph {i} says the new council was elected in the city on Sunday by its voters.</p>"
        for i in range(5)
    )
    + "<table><tr><th>Party</th><th>Seats</th></tr><tr><td>Greens</td><td>12 seats won.</td></tr></table>"
    "<div>The new council will meet on 3 June.</div><!-- COMMENT_LEAK -->"
    "<noscript>NOSCRIPT_LEAK</noscript><template>TEMPLATE_LEAK</template>"
    "<p style='DISPLAY: None'>HIDDEN_LEAK in a paragraph that no reader of the page can see.</p>"
    "<p hidden>HIDDEN_LEAK in another paragraph that no reader of the page can see.</p></article>"
    "<footer>FOOTER_LEAK, all rights reserved.</footer></body></html>"
)


def test_html_article_keeps_tables_and_trailing_divs_without_boilerplate(tmp_path: Path) -> None:
    (tmp_path / "council.html").write_text(ARTICLE_PAGE, encoding="utf-8")
    doc = load_document(tmp_path / "council.html", tmp_path)
    lines = doc.text.splitlines()
    # Each block is a line of its own, so no sentence runs into the next block's.
    assert "Greens | 12 seats won." in lines
    assert "The new council will meet on 3 June." in lines
    assert "Paragraph 4 says the new council was elected in the city on Sunday by its voters." in lines
    for leak in ("SCRIPT", "STYLE", "NAV", "COMMENT", "NOSCRIPT", "TEMPLATE", "HIDDEN", "FOOTER"):
        assert f"{leak}_LEAK" not in doc.text
    assert doc.title == "Council elected"


def test_visible_text_fallback_skips_invisible_elements(tmp_path: Path) -> None:
    html = (
        "<html><body><script>SCRIPT_LEAK()</script><noscript>NOSCRIPT_LEAK</noscript>"
        "<template>TEMPLATE_LEAK</template><style>STYLE_LEAK</style><!-- COMMENT_LEAK -->"
        "<p hidden>HIDDEN_LEAK</p><p>Kept <b>bold</b> words.<br>Next line.</p></body></html>"
    )
    (tmp_path / "tiny.html").write_text(html, encoding="utf-8")
    doc = load_document(tmp_path / "tiny.html", tmp_path)
    assert doc.text == "Kept bold words.\nNext line."


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            "<html><head><script>var x = 1;</script></head><body><!-- only this --></body></html>",
            "no visible article text",
        ),
        (
            "<html><body><style>p { color: red }</style><noscript>x</noscript></body></html>",
            "no visible article text",
        ),
        ("<!-- nothing but a comment -->", "no visible article text"),
        (" \n\t\n", "the file is empty"),
        ("\ufeff\n", "the file is empty"),
    ],
)
def test_html_without_text_says_why(tmp_path: Path, payload: str, message: str) -> None:
    (tmp_path / "blank.html").write_text(payload, encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=message) as info:
        load_document(tmp_path / "blank.html", tmp_path)
    if message != "the file is empty":
        assert "the file is empty" not in str(info.value)


# -- Markdown front matter and byte-order marks ------------------------------------------------

FRONT_MATTER_ARTICLE = (
    "---\ntitle: Bridge vote\nauthor: Jane Roe\nsecret: FRONTMATTER_LEAK\n---\n"
    "# Council approves bridge\n\nThe council approved the $77 million bridge on Monday.\n"
)


def test_markdown_front_matter_is_metadata_not_text(tmp_path: Path) -> None:
    (tmp_path / "bridge.md").write_text(FRONT_MATTER_ARTICLE, encoding="utf-8")
    doc = load_document(tmp_path / "bridge.md", tmp_path)
    assert doc.title == "Bridge vote" and doc.byline == "By Jane Roe"
    assert doc.text == "# Council approves bridge\n\nThe council approved the $77 million bridge on Monday.\n"
    quotes = [doc.text[s.start : s.end] for s in quotable_sentences(doc.text)]
    assert quotes == ["# Council approves bridge", "The council approved the $77 million bridge on Monday."]


@pytest.mark.parametrize(
    ("front", "title", "byline"),
    [
        ("\ufeff---\r\ntitle: 'It''s a deal'\r\n...\r\n", "It's a deal", None),
        (
            '--- \nlayout: post\ntitle: "Quoted title" # a comment\ntags:\n  - news\n---\n',
            "Quoted title",
            None,
        ),
        ("---\nauthor: Jane Roe\n---\n", "Ports reopen", "By Jane Roe"),  # no title: the heading
        ("---\ntitle: [not, a, scalar]\n---\n", "Ports reopen", None),
        ('+++\ntitle = "Hugo post"\nauthor = "Jo Lind"\n[params]\n  toc = true\n+++\n', "Hugo post", "By Jo Lind"),
        ("---\nlayout: post\nfeatured: yes\n---\n", "Ports reopen", None),  # lowercase keys, no prose
    ],
)
def test_markdown_front_matter_variants(tmp_path: Path, front: str, title: str, byline: str | None) -> None:
    (tmp_path / "a.md").write_text(front + "# Ports reopen\n\nShips sailed on Monday.\n", encoding="utf-8")
    doc = load_document(tmp_path / "a.md", tmp_path)
    assert (doc.title, doc.byline) == (title, byline)
    assert doc.text == "# Ports reopen\n\nShips sailed on Monday.\n"


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: Never closed\n\nShips sailed on Monday.\n",  # unterminated: not swallowed
        "---\n\nShips sailed on Monday.\n\n---\n\nMore text.\n",  # prose between rules, not YAML
        "Intro line.\n---\ntitle: Not at the start\n---\nShips sailed on Monday.\n",
        # An editor's note between rules is valid YAML, yet prose: never dropped as front matter.
        "---\nUpdate: the mayor has now resigned, her office confirmed on Tuesday evening.\n---\n\nShips sailed.\n",
        "---\nNote: see the correction below\n---\n\nShips sailed on Monday.\n",
    ],
)
def test_markdown_without_front_matter_keeps_its_text(tmp_path: Path, text: str) -> None:
    (tmp_path / "a.md").write_text(text, encoding="utf-8")
    doc = load_document(tmp_path / "a.md", tmp_path)
    assert doc.text == text
    assert doc.title not in ("---", "\\-\\-\\-") and not doc.title.startswith("---")  # a rule is no title


def test_front_matter_is_only_read_from_markdown(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(FRONT_MATTER_ARTICLE, encoding="utf-8")
    assert load_document(tmp_path / "a.txt", tmp_path).text == FRONT_MATTER_ARTICLE


def test_markdown_with_only_front_matter_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: Bridge vote\n---\n\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="only YAML front matter"):
        load_document(tmp_path / "a.md", tmp_path)


def test_a_byte_order_mark_opens_neither_title_nor_quote(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_bytes("\ufeffPorts reopen\n\nShips sailed on Monday.\n".encode())
    doc = load_document(tmp_path / "b.txt", tmp_path)
    assert doc.text.startswith("\ufeff")  # the text is the file's, so offsets stay verbatim
    assert doc.title == "Ports reopen"
    first = quotable_sentences(doc.text)[0]
    assert doc.text[first.start : first.end] == "Ports reopen"


LEDE_PAGE = (
    "<html><head><title>Velby airport to close runway</title></head><body>"
    "<header><div>Velby Courier</div><nav><a>News</a><a>Sport</a></nav></header><main><article>"
    "<header class='article-header'><h1>Velby airport to close runway for six months</h1>"
    "<p class='standfirst'>Flights will move to Tarvik from October while the runway is rebuilt, "
    "at a cost of 95 million euros.</p><div class='byline'>By <a>Nils Brandt</a>, Aviation editor</div></header>"
    "<div class='article-body'><p>Velby airport will close its only runway on 1 October for a full "
    "rebuild, the airport company said on Thursday.</p><p>Chief executive Petra Lind said the closure "
    "was unavoidable. About 1.2 million passengers used the airport last year.</p>"
    "<p>Airlines were told in March, and two of them said they would run free buses to Tarvik.</p></div>"
    "<footer class='article-footer'><p>FOOTER_LEAK is the Courier's aviation editor.</p></footer>"
    "</article></main><footer><p>SITE_LEAK</p></footer></body></html>"
)


def test_an_articles_own_header_is_kept_before_its_body(tmp_path: Path) -> None:
    # trafilatura drops the <header> inside <article>: the headline, the standfirst (often the key
    # fact) and the byline must come back, in order, before the body.
    (tmp_path / "lede.html").write_text(LEDE_PAGE, encoding="utf-8")
    doc = load_document(tmp_path / "lede.html", tmp_path)
    lines = [line for line in doc.text.splitlines() if line]
    assert lines[:4] == [
        "Velby airport to close runway for six months",
        "Flights will move to Tarvik from October while the runway is rebuilt, at a cost of 95 million euros.",
        "By Nils Brandt, Aviation editor",
        "Velby airport will close its only runway on 1 October for a full rebuild, the airport company said on Thursday.",
    ]
    assert len(lines) == len(set(lines))  # nothing the extraction kept is repeated
    assert "FOOTER_LEAK" not in doc.text and "SITE_LEAK" not in doc.text and "Velby Courier" not in doc.text


def test_a_table_cell_holding_paragraphs_stays_on_its_rows_line(tmp_path: Path) -> None:
    html = (
        "<table><tr><th><p>Party</p></th><th><p>Votes</p></th></tr>"
        "<tr><td><p>Farmers' Union</p></td><td><div>6,120</div></td></tr>"
        "<tr><td>Independents</td><td><p>1,870</p> <p>(one seat)</p></td></tr></table>"
    )
    (tmp_path / "t.html").write_text(html, encoding="utf-8")
    lines = load_document(tmp_path / "t.html", tmp_path).text.splitlines()
    assert lines == ["Party | Votes", "Farmers' Union | 6,120", "Independents | 1,870 (one seat)"]


def test_titles_skip_rules_and_byte_order_marks_anywhere() -> None:
    from vectorstore.loading import describe

    assert describe("\n\n\ufeffPorts reopen\n\nShips sailed on Monday.\n")[0] == "Ports reopen"
    assert describe("---\n+++\n* * *\nPorts reopen\n")[0] == "Ports reopen"


def test_utf16_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    # What Windows Notepad saves as "Unicode" and PowerShell 5's `>` writes.
    text = "Ports reopen\r\n\r\nShips sailed on Monday.\r\n"
    (tmp_path / "le.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "be.txt").write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    for name in ("le.txt", "be.txt"):
        doc = load_document(tmp_path / name, tmp_path)
        assert doc.text == text and doc.title == "Ports reopen"
    (tmp_path / "nobom.txt").write_bytes(text.encode("utf-16-le"))
    with pytest.raises(UnreadableFileError, match="UTF-16 text without a byte-order mark: re-save"):
        load_document(tmp_path / "nobom.txt", tmp_path)


def test_html_in_its_declared_encoding_is_read(tmp_path: Path) -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Caf\xe9 reopens in Malm\xf6.</p></body></html>'
    (tmp_path / "latin.html").write_bytes(page.encode("latin-1"))
    assert load_document(tmp_path / "latin.html", tmp_path).text == "Café reopens in Malmö."
    # A page that declares UTF-8 (or nothing) and is not, and a .txt, are still refused.
    (tmp_path / "liar.html").write_bytes(page.replace("iso-8859-1", "utf-8").encode("latin-1"))
    (tmp_path / "latin.txt").write_bytes("Caf\xe9 reopens.".encode("latin-1"))
    for name in ("liar.html", "latin.txt"):
        with pytest.raises(UnreadableFileError, match="not valid UTF-8"):
            load_document(tmp_path / name, tmp_path)
    (tmp_path / "odd.html").write_bytes(page.replace("iso-8859-1", "klingon-7").encode("latin-1"))
    with pytest.raises(UnreadableFileError, match="unknown encoding 'klingon-7'"):
        load_document(tmp_path / "odd.html", tmp_path)


def test_text_a_browser_hides_is_not_kept_and_the_site_name_leaves_the_title(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Dog rescued from ice | Velby Daily</title></head><body><article>"
        "<h1>Dog rescued from ice</h1><p>A dog was pulled from the frozen lake on Sunday by two "
        "fire\u00adfighters.</p><dialog><p>DIALOG_LEAK: subscribe now</p></dialog>"
        "<p style='visibility: hidden'>VISIBILITY_LEAK</p><p aria-hidden='TRUE'>ARIA_LEAK</p>"
        "<dialog open><p>Shown: an open dialog is visible.</p></dialog></article></body></html>"
    )
    (tmp_path / "dog.html").write_text(html, encoding="utf-8")
    doc = load_document(tmp_path / "dog.html", tmp_path)
    assert "firefighters" in doc.text  # a soft hyphen is not kept inside the word
    for leak in ("DIALOG", "VISIBILITY", "ARIA"):
        assert f"{leak}_LEAK" not in doc.text
    assert "Shown: an open dialog is visible." in doc.text
    assert doc.title == "Dog rescued from ice"


def test_the_articles_own_byline_line_wins_over_page_metadata(tmp_path: Path) -> None:
    page = LEDE_PAGE.replace("<head>", "<head><meta name='author' content='Nils Brandt; Aviation desk'>")
    (tmp_path / "lede.html").write_text(page, encoding="utf-8")
    doc = load_document(tmp_path / "lede.html", tmp_path)
    assert doc.byline == "By Nils Brandt, Aviation editor" and doc.byline in doc.text


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "lone-cr"])
def test_front_matter_is_read_whatever_breaks_its_lines(tmp_path: Path, newline: str) -> None:
    # A classic-Mac "\r" file's front matter was one long first line, quoted as article text.
    text = "---\ntitle: Port deal signed\nauthor: Ana Ruiz\n---\n\nThe port reopened on Monday.\n"
    (tmp_path / "a.md").write_bytes(text.replace("\n", newline).encode())
    doc = load_document(tmp_path / "a.md", tmp_path)
    assert (doc.title, doc.byline) == ("Port deal signed", "By Ana Ruiz")
    assert doc.text == f"{newline}The port reopened on Monday.{newline}"


def test_superscript_and_subscript_digits_read_as_a_reader_sees_them(tmp_path: Path) -> None:
    # As plain text "10<sup>3</sup>" was "103" (a wrong number) and "dawn.<sup>2</sup> The" hid the
    # sentence's end; a footnote link keeps its "[1]", which ends no sentence early nor hides one.
    body = (
        '<p>The port reopened on Monday.<sup><a href="#n1">[1]</a></sup> Ships sailed at dawn.<sup>2</sup> '
        "The mayor said trade would grow by 10<sup>3</sup> tonnes of CO<sub>2</sub> a year.</p>"
    )
    filler = "<p>" + "Officials expect more ships next month, the harbour master said. " * 5 + "</p>"
    for name, extra in (("short.html", ""), ("long.html", filler)):  # kept whole, and through trafilatura
        (tmp_path / name).write_text(f"<html><body><article><h1>Port deal</h1>{body}{extra}</article></body></html>")
        doc = load_document(tmp_path / name, tmp_path)
        sentences = [doc.text[s.start : s.end] for s in quotable_sentences(doc.text)]
        assert sentences[1:4] == [
            "The port reopened on Monday.[1]",
            "Ships sailed at dawn.²",
            "The mayor said trade would grow by 10³ tonnes of CO₂ a year.",
        ], name


def test_an_author_known_only_from_page_metadata_is_the_byline(tmp_path: Path) -> None:
    # Schema.org JSON-LD (one author, several, or inside an @graph) and <meta name="author">; several
    # authors read "A, B", not trafilatura's "A; B".
    people = {
        "one": '"author": {"@type": "Person", "name": "Ana Ruiz"}',
        "two": '"author": [{"@type": "Person", "name": "Ana Ruiz"}, {"@type": "Person", "name": "Tom Lee"}]',
    }
    expected = {"one": "By Ana Ruiz", "two": "By Ana Ruiz, Tom Lee", "graph": "By Ana Ruiz", "meta": "By Ana Ruiz"}
    heads = {
        name: f'<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle", '
        f'"headline": "Port deal", {author}}}</script>'
        for name, author in people.items()
    }
    heads["graph"] = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "x"}, '
        '{"@type": "NewsArticle", "headline": "Port deal", "author": {"@type": "Person", "name": "Ana Ruiz"}}]}</script>'
    )
    heads["meta"] = '<meta name="author" content="Ana Ruiz">'
    for name, head in heads.items():
        (tmp_path / f"{name}.html").write_text(
            f"<html><head><title>Port deal</title>{head}</head><body><article><h1>Port deal</h1>"
            "<p>The port reopened on Monday after a long strike, officials said.</p></article></body></html>"
        )
        doc = load_document(tmp_path / f"{name}.html", tmp_path)
        assert doc.byline == expected[name], name
        assert "Ana Ruiz" not in doc.text  # metadata, never quoted
