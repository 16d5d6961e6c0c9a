"""One renderer: Markdown for Answer.text and the CLI, HTML for the chat; both show quotes exactly."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import pytest

from qa.records import Answer, Passage, Quote
from qa.render import (
    NOT_IN_ARTICLES,
    answer_html,
    answer_markdown,
    article_html,
    citation_label,
    escape_markdown,
    question_html,
    sources_html,
)
from vectorstore.records import Document

HOSTILE = "Army General [Raul] Castro said <img src=x onerror=alert(1)> a *md-link*](http://evil) along & more"
NAME = "<img src=x onerror=alert(1)>.txt"


def quote(text: str = HOSTILE, doc_id: str = NAME) -> Quote:
    return Quote(text, doc_id, "Title <b>", 10, 10 + len(text), 0.9, "By [Jane](x)", 3, 9, "/srv/secret/corpus/a.txt")


def answer(*quotes: Quote, confidence: float = 0.9) -> Answer:
    return Answer("Q?", "", quotes, False, confidence, "strong", (), ())


def test_markdown_escapes_every_mark_that_could_act() -> None:
    out = escape_markdown(HOSTILE)
    assert re.search(r"(?<!\\)[<\[(*]", out) is None  # every mark backslash-escaped
    assert "\\[Raul\\]" in out and "](http" not in out
    assert escape_markdown("- item\nnext") == "\\- item next"
    assert escape_markdown("12. Not a list") == "12\\. Not a list"


def test_markdown_answer_has_one_citation_format_and_no_server_path() -> None:
    text = answer_markdown(answer(quote()))
    assert "/srv/secret" not in text
    assert re.search(r"(?<!\\)<", text) is None and "\\<img src=x" in text
    assert "paragraph 3 of 9" in text and "[1]" in text and "Strong support" in text


def test_html_answer_shows_the_quote_exactly() -> None:
    page = answer_html(answer(quote()))
    inner = re.search(r'<span class="cqa-qtext">(.*?)</span>', page, re.S)
    assert inner is not None and html.unescape(inner.group(1)) == HOSTILE
    assert "<img" not in page and "/srv/secret" not in page


def test_a_quote_cut_from_a_long_sentence_shows_where_it_goes_on() -> None:
    cut = replace(quote("the intended message is to negotiate,", "a.txt"), starts_mid_sentence=True, ends_mid_sentence=True)
    assert "> …the intended message is to negotiate,… [1]" in answer_markdown(answer(cut))
    page = answer_html(answer(cut))
    # The ellipses stand outside the quote's own span: copying it copies the article's characters alone.
    inner = re.search(r'<span class="cqa-qtext">(.*?)</span>', page, re.S)
    assert inner is not None and inner.group(1) == "the intended message is to negotiate,"
    assert page.count('class="cqa-elided"') == 2
    whole = answer_html(answer(quote("A whole sentence.", "a.txt")))
    assert "cqa-elided" not in whole and "…" not in answer_markdown(answer(quote("A whole sentence.", "a.txt")))


def test_a_quote_over_two_paragraphs_cites_both() -> None:
    spanning = replace(quote("Headline\n\nThe sentence under it.", "a.txt"), paragraph=4, last_paragraph=5)
    assert citation_label(1, spanning).endswith("· paragraphs 4–5 of 9")
    assert citation_label(1, quote("One.", "a.txt")).endswith("· paragraph 3 of 9")


def test_html_citation_buttons_name_the_article_and_offsets() -> None:
    page = answer_html(answer(quote()))
    button = re.search(r'<button class="cqa-cite"[^>]*>', page)
    assert button is not None
    value = re.search(r'value="([^"]*)"', button.group(0))
    assert value is not None
    # The quoted words travel too (escaped in the attribute), so an edited article is checked on open.
    assert json.loads(html.unescape(value.group(1))) == {
        "doc": NAME, "start": 10, "end": 10 + len(HOSTILE), "text": HOSTILE,
    }  # fmt: skip


def test_citation_label_is_the_same_in_markdown_html_and_sources() -> None:
    q = quote("Plain text.", "a.txt")
    label = citation_label(1, q)
    assert label == "[1] Title <b> — By [Jane](x) · paragraph 3 of 9"
    assert html.escape(label) in answer_html(answer(q))
    assert html.escape(label) in sources_html(answer(q), {})
    assert escape_markdown(label) in answer_markdown(answer(q))


def test_abstention_renders_plainly() -> None:
    no = Answer("Q?", NOT_IN_ARTICLES, (), True, 0.1, "none", (), (Passage("<b>near</b>", "a.txt", "T", 0, 11, 0.1),))
    assert answer_markdown(no) == NOT_IN_ARTICLES
    page = answer_html(no)
    assert "don&#x27;t answer" in page and "The articles don&#x27;t say" in page
    panel = sources_html(no, {})
    assert "Closest passages — not an answer" in panel and "&lt;b&gt;near" in panel
    why = replace(no, missing="date")
    assert answer_markdown(why) == "The articles don't answer this question. The closest passage gives no date."
    assert "gives no date" in answer_html(why) and why.to_dict()["missing"] == "date"


@pytest.mark.parametrize("confidence", [0.55, 0.95])
def test_support_line_shows_the_probability(confidence: float) -> None:
    assert f"confidence {confidence:.2f}" in answer_html(answer(quote(), confidence=confidence))


def test_article_highlights_the_quote_and_escapes_the_rest() -> None:
    text = "Intro <script>x</script>. " + HOSTILE
    doc = Document("a.txt", "T", None, text, "h", "/srv/a.txt")
    q = Quote(HOSTILE, "a.txt", "T", text.index("Army"), len(text), 1.0)
    page = article_html(doc, q)
    marked = re.search(r'<mark class="cqa-hl" id="cqa-current">(.*?)</mark>', page, re.S)
    assert marked is not None and html.unescape(marked.group(1)) == HOSTILE
    assert "<script>" not in page and question_html("<b>") == '<div class="cqa-question">&lt;b&gt;</div>'
