"""Presentation, in one place: Markdown for ``Answer.text`` and the CLI, HTML for the chat.

One citation format everywhere: ``[n] Title — Byline · paragraph p of m``.
Article and question text is escaped by one rule per target — Markdown
specials backslash-escaped, HTML through :func:`html.escape` — so markup in an
article or a file name is shown as text and never runs. In HTML a quote's
characters reach the page unchanged (entities decode to the exact text), and
its copy button copies the rendered text, i.e. the article's own characters.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence

from vectorstore.records import Document

from .records import Answer, Passage, Quote

NOT_IN_ARTICLES = "The articles don't answer this question."
SUPPORT_WORDS = {
    "strong": "Strong support",
    "partial": "Partial support — read the source",
    "none": "The articles don't say",
}

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()!|~<>&$#+])")


def escape_markdown(text: str) -> str:
    """Text shown literally by any Markdown renderer: no link, image, tag, emphasis or list can form.

    Newlines become spaces (a quote renders as one line), so only the start
    of the text can open a list or a heading.
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", re.sub(r"\s*[\r\n]\s*", " ", text))
    escaped = re.sub(r"^(\s*)([-=])", r"\1\\\2", escaped)
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", escaped)


def citation_label(n: int, quote: Quote) -> str:
    byline = f" — {quote.byline}" if quote.byline else ""
    where = (
        f"paragraphs {quote.paragraph}–{quote.last_paragraph}"
        if quote.last_paragraph > quote.paragraph
        else f"paragraph {quote.paragraph}"
    )
    return f"[{n}] {quote.title}{byline} · {where} of {quote.paragraphs}"


def abstention_text(answer: Answer) -> str:
    """The abstention, and why when the closest passage lacks the kind of answer asked for ("no date" for "when")."""
    if not answer.passages and not answer.closest:  # nothing retrieved at all: the corpus is empty
        return NOT_IN_ARTICLES + " The corpus holds no articles yet."
    return NOT_IN_ARTICLES + (f" The closest passage gives no {answer.missing}." if answer.missing else "")


def support_line(answer: Answer) -> str:
    caveat = f": {answer.caveat}" if answer.caveat and not answer.abstained else ""
    return f"{SUPPORT_WORDS[answer.support]}{caveat} (confidence {answer.confidence:.2f})"


# -- Markdown ----------------------------------------------------------------------


def answer_markdown(answer: Answer) -> str:
    """Block quotes with [n] markers, then one source line each (article id, never a server path)."""
    if answer.abstained:
        return escape_markdown(abstention_text(answer))
    lines = [f"> {_ellipses(q, escape_markdown(q.text))} [{n}]" for n, q in enumerate(answer.quotes, 1)]
    lines.append("")
    for n, q in enumerate(answer.quotes, 1):
        lines.append(f"{escape_markdown(citation_label(n, q))} · {escape_markdown(q.doc_id)}")
    lines.append("")
    lines.append(f"*{escape_markdown(support_line(answer))}*")
    return "\n".join(lines)


def _ellipses(quote: Quote, shown: str, mark: str = "…") -> str:
    """``shown`` with ``mark`` where the quote cuts into its sentence (the quoted text stays exact)."""
    return (mark if quote.starts_mid_sentence else "") + shown + (mark if quote.ends_mid_sentence else "")


# -- HTML for the chat --------------------------------------------------------------

# Outside the quote's own span, so the copy button still copies the article's characters alone.
_ELLIPSIS = '<span class="cqa-elided" title="The sentence goes on: the article has all of it">…</span>'


_e = html.escape


def question_html(question: str) -> str:
    return f'<div class="cqa-question">{_e(question)}</div>'


def answer_html(answer: Answer) -> str:
    """The chat message. ``[n]`` markers are buttons the page script turns into "open the article"."""
    support = f'<p class="cqa-support cqa-{answer.support}">{_e(support_line(answer))}</p>'
    if answer.abstained:
        closest = (
            '<p class="cqa-hint">The closest passages are under <em>Sources</em>, marked as not an answer.</p>'
            if answer.closest
            else ""
        )
        return f'<div class="cqa-answer"><p class="cqa-none">{_e(abstention_text(answer))}</p>{support}{closest}</div>'
    quotes = "".join(
        f'<blockquote class="cqa-quote" data-n="{n}">{_ellipses(q, _quote_span(q), _ELLIPSIS)} '
        f'<button class="cqa-cite" value="{_e(_target(q))}" title="Open the article at this quote">[{n}]</button> '
        f'<button class="cqa-copy" title="Copy the quote exactly">Copy</button></blockquote>'
        for n, q in enumerate(answer.quotes, 1)
    )
    sources = "".join(
        f'<p class="cqa-cite-line" data-n="{n}">{_e(citation_label(n, q))}</p>'
        for n, q in enumerate(answer.quotes, 1)
    )
    return f'<div class="cqa-answer">{quotes}{sources}{support}</div>'


def _quote_span(quote: Quote) -> str:
    return f'<span class="cqa-qtext">{_e(quote.text)}</span>'


def _target(quote: Quote) -> str:
    # The button's value (Gradio's sanitizer keeps it; it drops data-* attributes) tells the
    # page which article and span to open; the server checks it against the snapshot.
    # The quoted words go too: the article may change after the answer, and then the span must be
    # found again (or the reader told it is gone), never highlighted over other words.
    return json.dumps({"doc": quote.doc_id, "start": quote.start, "end": quote.end, "text": quote.text})


def _highlighted(text: str, start: int, end: int, mark_id: str | None = None) -> str:
    ident = f' id="{_e(mark_id)}"' if mark_id else ""
    return f'{_e(text[:start])}<mark class="cqa-hl"{ident}>{_e(text[start:end])}</mark>{_e(text[end:])}'


def sources_html(answer: Answer | None, documents: Mapping[str, Document], context_chars: int = 300) -> str:
    """The sources panel: each cited passage with its quote highlighted (closest passages when abstaining)."""
    if answer is None:
        return '<div class="cqa-sources cqa-empty">Sources of the current answer appear here.</div>'
    if answer.abstained:
        items = "".join(
            f'<div class="cqa-passage"><div class="cqa-src">{_e(p.title)}</div>'
            f'<div class="cqa-text">{_e(p.text)}</div></div>'
            for p in answer.closest
        )
        return (
            f'<div class="cqa-sources"><p class="cqa-none">{_e(NOT_IN_ARTICLES)}</p>'
            '<details class="cqa-closest"><summary>Closest passages — not an answer</summary>'
            f"{items}</details></div>"
        )
    blocks = []
    for n, quote in enumerate(answer.quotes, 1):
        context, offset = _context(quote, answer.passages, documents.get(quote.doc_id), context_chars)
        body = _highlighted(context, quote.start - offset, quote.end - offset)
        blocks.append(
            f'<div class="cqa-passage" data-cite="{n}"><div class="cqa-src">{_e(citation_label(n, quote))}</div>'
            f'<div class="cqa-text">{body}</div></div>'
        )
    return '<div class="cqa-sources">' + "".join(blocks) + "</div>"


def _context(quote: Quote, passages: Sequence[Passage], doc: Document | None, chars: int) -> tuple[str, int]:
    """The retrieved passage holding the quote, else the text around it."""
    for p in passages:
        if p.doc_id == quote.doc_id and p.start <= quote.start and quote.end <= p.end:
            return p.text, p.start
    if doc is not None:
        offset = max(0, quote.start - chars)
        return doc.text[offset : min(len(doc.text), quote.end + chars)], offset
    return quote.text, quote.start


ARTICLE_CHANGED = (
    "This article has changed since the answer was given: the quoted words are no longer in it. "
    "Ask again for an answer from the article as it is now."
)


def article_html(doc: Document | None, quote: Quote | None = None, *, notice: str = "") -> str:
    """The full article, the chosen quote highlighted (and scrolled to by the page script)."""
    if doc is None:
        return '<div class="cqa-article cqa-empty">Click a citation to read the article.</div>'
    byline = f'<div class="cqa-byline">{_e(doc.byline)}</div>' if doc.byline else ""
    if notice:
        byline += f'<div class="cqa-notice" role="status">{_e(notice)}</div>'
    if quote is not None and quote.doc_id == doc.doc_id:
        body = _highlighted(doc.text, quote.start, quote.end, "cqa-current")
    else:
        body = _e(doc.text)
    return (
        f'<div class="cqa-article"><h3 class="cqa-title">{_e(doc.title)}</h3>{byline}'
        f'<div class="cqa-doc-id">{_e(doc.doc_id)}</div>'
        f'<div class="cqa-text cqa-scroll">{body}</div></div>'
    )


def articles_table(catalog: Iterable[tuple[str, str, str | None, int]]) -> list[list[object]]:
    """Rows for the articles list from ``(doc_id, title, byline, chunk count)``, by doc id."""
    return [[title, byline or "", doc_id, count] for doc_id, title, byline, count in sorted(catalog)]
