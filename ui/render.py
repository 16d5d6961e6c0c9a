"""HTML for answers, sources and articles.

Every piece of article or question text goes through :func:`html.escape`
first: text is shown as text, so markup inside an article or a question can
never run, load an image or navigate anywhere.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from qa import Answer, Passage, Quote
from vectorstore import Document

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()!|~<>&$])")
_LINE_START = re.compile(r"(?m)^(\s*|\s*\d+)([#+=-]|(?<=\d)[.)])")


def escape_text(text: str) -> str:
    """Text for the Markdown-rendering Chatbot, shown literally.

    Backslash-escaping every mark Markdown or HTML could act on (``<`` so no
    tag can form; ``!``, ``[`` and ``(`` so no image or link) displays the
    characters themselves; list and heading markers only matter at a line's start.
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def paragraph_of(doc: Document, offset: int) -> tuple[int, int]:
    """(paragraph number, paragraph count) of ``offset``: "where in the article" for readers."""
    paragraphs = [m.start() for m in re.finditer(r"(?m)^[ \t]*\S", doc.text)]
    number = sum(1 for start in paragraphs if start <= offset)
    return max(number, 1), max(len(paragraphs), 1)


def citation_label(n: int, quote: Quote, doc: Document | None) -> str:
    where = f"characters {quote.start}–{quote.end}"
    if doc is not None:
        para, total = paragraph_of(doc, quote.start)
        where = f"paragraph {para} of {total}"
    byline = f" — {quote.byline}" if quote.byline else ""
    return f"[{n}] {quote.title}{byline} · {where}"


def answer_markdown(answer: Answer, documents: dict[str, Document]) -> str:
    """The chat message: quotes as block quotes with markers, then one source line each."""
    if answer.abstained:
        lines = ["**Not in the articles.** " + escape_text(answer.text)]
        if answer.closest:
            lines.append("\nThe closest passages are under *Sources*, marked as not an answer.")
        return "\n".join(lines)
    parts = []
    for n, quote in enumerate(answer.quotes, 1):
        parts.append(f"> {escape_text(quote.text)} **[{n}]**")
        parts.append("")
    for n, quote in enumerate(answer.quotes, 1):
        parts.append(escape_text(citation_label(n, quote, documents.get(quote.doc_id))) + "  ")
    return "\n".join(parts)


def _highlighted(text: str, start: int, end: int, mark_id: str | None = None) -> str:
    ident = f' id="{html.escape(mark_id)}"' if mark_id else ""
    return (
        html.escape(text[:start])
        + f'<mark class="cqa-hl"{ident}>'
        + html.escape(text[start:end])
        + "</mark>"
        + html.escape(text[end:])
    )


def sources_html(answer: Answer | None, documents: dict[str, Document], passages: Sequence[Passage]) -> str:
    """The sources panel: each cited passage with its quote highlighted."""
    if answer is None:
        return '<div class="cqa-sources cqa-empty">Sources of the current answer appear here.</div>'
    blocks = []
    if answer.abstained:
        items = []
        for p in answer.closest:
            items.append(
                f'<div class="cqa-passage"><div class="cqa-src">{html.escape(p.title)}</div>'
                f'<div class="cqa-text">{html.escape(p.text)}</div></div>'
            )
        return (
            '<div class="cqa-sources"><p class="cqa-none">The articles do not answer this question.</p>'
            '<details class="cqa-closest"><summary>Closest passages — not an answer</summary>'
            + "".join(items)
            + "</details></div>"
        )
    for n, quote in enumerate(answer.quotes, 1):
        passage = next(
            (
                p
                for p in passages
                if p.doc_id == quote.doc_id and p.start <= quote.start and quote.end <= p.end
            ),
            None,
        )
        doc = documents.get(quote.doc_id)
        if passage is not None:
            context, offset = passage.text, passage.start
        elif doc is not None:
            offset = max(0, quote.start - 300)
            context = doc.text[offset : min(len(doc.text), quote.end + 300)]
        else:
            context, offset = quote.text, quote.start
        body = _highlighted(context, quote.start - offset, quote.end - offset)
        label = citation_label(n, quote, doc)
        blocks.append(
            f'<div class="cqa-passage" data-cite="{n}"><div class="cqa-src">{html.escape(label)}</div>'
            f'<div class="cqa-text">{body}</div></div>'
        )
    return '<div class="cqa-sources">' + "".join(blocks) + "</div>"


def article_html(doc: Document | None, quote: Quote | None = None) -> str:
    """The full article, the chosen quote highlighted (and scrolled to by the page script)."""
    if doc is None:
        return '<div class="cqa-article cqa-empty">Click a citation to read the article.</div>'
    byline = f'<div class="cqa-byline">{html.escape(doc.byline)}</div>' if doc.byline else ""
    if quote is not None and quote.doc_id == doc.doc_id:
        body = _highlighted(doc.text, quote.start, quote.end, "cqa-current")
    else:
        body = html.escape(doc.text)
    return (
        f'<div class="cqa-article"><h3 class="cqa-title">{html.escape(doc.title)}</h3>{byline}'
        f'<div class="cqa-doc-id">{html.escape(doc.doc_id)}</div>'
        f'<div class="cqa-text cqa-scroll">{body}</div></div>'
    )


def articles_table(documents: dict[str, Document], chunk_counts: dict[str, int]) -> list[list[object]]:
    return [
        [doc.title, doc.byline or "", doc.doc_id, chunk_counts.get(doc.doc_id, 0)]
        for doc in sorted(documents.values(), key=lambda d: d.doc_id)
    ]
