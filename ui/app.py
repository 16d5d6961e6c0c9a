"""The chat's handlers: one :class:`ChatApp` serves all visitors of the page built in ui/layout.py."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qa import Answer, CorpusQA, QAError, Quote, open_index
from qa.api import engine_over, open_collection
from qa.render import ARTICLE_CHANGED, answer_html, article_html, articles_table, question_html, sources_html
from vectorstore import CorpusIndex, Document, StoreSettings, VectorStoreError, default_corpus_dir
from vectorstore.index import FOLDER_REFRESH_S, Snapshot

from .auth import ENV_AUTH, LoginGuard, auth_from_env
from .errors import UIError
from .launch import launch, serve
from .uploads import (
    MAX_UPLOAD,
    MAX_UPLOAD_BYTES,
    accept_upload,
    add_uploads,
    default_uploads,
    safe_upload_name,
)

__all__ = [  # the launch, login and upload names moved to their modules stay importable from here
    "ENV_AUTH", "MAX_UPLOAD", "MAX_UPLOAD_BYTES", "AppConfig", "ChatApp", "ChatView", "LoginGuard", "UIError",
    "auth_from_env", "create_app", "launch", "safe_upload_name", "serve",
]  # fmt: skip


@dataclass(frozen=True)
class AppConfig:
    """Everything the app needs at construction; nothing is read from globals later."""

    corpus: Path | None = None
    store: StoreSettings | None = None
    uploads: Path | None = None
    max_queue: int = 64
    concurrency: int = 4
    # Answer from corpus ``store.collection`` without its folder (no sync, no uploads).
    folderless: bool = False
    citation_chars: int = 90  # longest entry in the "Open a citation" list
    # Seconds between checks of the corpus folder for added, edited or deleted articles (a stat of
    # each file, no reading); a change found is synced before the question is answered.
    refresh_s: float = FOLDER_REFRESH_S
    context_chars: int = 300  # text shown around a quote in Sources when its passage is not at hand


@dataclass(frozen=True)
class ChatView:
    """What one chat event shows; ``None`` leaves that part of the page as it is."""

    question: str | None = None
    chat: list[dict[str, Any]] | None = None
    asked: list[dict[str, str]] | None = None
    sources: str | None = None
    citations: list[tuple[str, str]] | None = None
    quotes: list[dict[str, Any]] | None = None
    article: str | None = None

    @classmethod
    def empty(cls) -> ChatView:
        return cls("", [], [], sources_html(None, {}), [], [], article_html(None))


class ChatApp:
    """The engine (answers) and the index (uploads, corpus listing) behind one page.

    ``index`` is None when the chat reads the store alone: articles are listed
    from the reader's snapshot, and uploads are refused (they need the folder).
    """

    def __init__(
        self, engine: CorpusQA, index: CorpusIndex | None, *, upload_dir: Path, config: AppConfig | None = None
    ) -> None:
        self.engine = engine
        self.index = index
        self.upload_dir = upload_dir
        self.config = config or AppConfig()
        self._upload_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._checked_at = time.monotonic()

    def build(self) -> Any:
        from .layout import build

        return build(self)

    @property
    def serves_shipped_corpus(self) -> bool:
        """The chat answers from the two shipped articles (the page's examples ask about them)."""
        folder = self.index.sources[0].folder if self.index is not None and self.index.sources else None
        return folder is not None and folder.expanduser().resolve() == default_corpus_dir().resolve()

    @property
    def snapshot(self) -> Snapshot:
        if self.index is not None:
            return self.index.snapshot
        return self.engine.reader.snapshot  # type: ignore[return-value]  # a StoreReader's StoreSnapshot

    # -- answers -------------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> None:
        """Sync the folder when an article was added, edited or deleted since the last look.

        Looks at most every ``refresh_s`` seconds, and one visitor at a time (the others answer from
        the snapshot at hand meanwhile), so a quote is never cut from a text the file no longer holds
        for longer than that.
        """
        index = self.index
        if index is None or not self._refresh_lock.acquire(blocking=force):
            return
        try:
            if not force and time.monotonic() - self._checked_at < self.config.refresh_s:
                return
            with self._upload_lock:
                index.sync_if_changed()
            self._checked_at = time.monotonic()
        finally:
            self._refresh_lock.release()

    def api_ask(self, question: str, history: list[str] | None = None) -> dict[str, Any]:
        """``/ask``: the answer as JSON (quotes with offsets, confidence, passages, abstained).

        ``history``: the earlier questions of the conversation, oldest first, for follow-ups.
        Bad input gets ``error`` (what is wrong and the fix) and no ``abstained``, ``confidence`` or
        ``text``: a refused question must not read as "the articles don't say"."""
        try:
            self.refresh()
            return self.engine.answer(question, history=history or None).to_dict()
        except (QAError, VectorStoreError) as exc:
            # Only text is echoed: a null question must not come back as the question "None".
            echo = question[:200] if isinstance(question, str) else ""
            return {"question": echo, "error": str(exc), "quotes": []}

    def respond(self, message: str, chat: list[dict[str, Any]], asked: list[dict[str, str]]) -> ChatView:
        """One chat turn: one pipeline run gives the message, the Sources panel and the citations."""
        import gradio as gr

        try:
            self.refresh()
            answer: Answer = self.engine.answer(message, history=list(asked or []) or None)
            # The Sources panel reads the articles the answer drew on (their texts fetched with it).
            sources = sources_html(answer, self.snapshot.documents, self.config.context_chars)
        except (QAError, VectorStoreError) as exc:
            gr.Warning(str(exc))
            return ChatView()
        turn = [
            {"role": "user", "content": question_html(answer.question)},
            {"role": "assistant", "content": answer_html(answer)},
        ]
        return ChatView(
            question="",
            chat=[*(chat or []), *turn],
            asked=[*(asked or []), {"role": "user", "content": answer.question}, {"role": "assistant", "content": answer.text}],
            sources=sources,
            citations=[
                (f"[{n}] {q.title}"[: self.config.citation_chars], str(n - 1)) for n, q in enumerate(answer.quotes, 1)
            ],
            quotes=[q.to_dict() for q in answer.quotes],
            article=article_html(None),
        )

    def open_citation(self, choice: str | None, quotes: list[dict[str, Any]]) -> str:
        """The article of the chosen citation (the keyboard and screen-reader path)."""
        if choice is None or not quotes:
            return article_html(None)
        quote = Quote(**quotes[int(choice)])
        return self._article_at(quote.doc_id, quote.start, quote.end, quote.text)

    def _document(self, doc_id: str) -> Document | None:
        """The article, its text fetched from the store when needed; None (and a warning) when it cannot be."""
        try:
            return self.snapshot.documents.get(doc_id)
        except VectorStoreError as exc:
            import gradio as gr

            gr.Warning(str(exc))
            return None

    def open_target(self, target: str) -> str:
        """The article a clicked ``[n]`` names, as ``{"doc", "start", "end", "text"}`` from the page (untrusted)."""
        try:
            data = json.loads(target)
            doc_id, start, end = str(data["doc"]), int(data["start"]), int(data["end"])
            quoted = data.get("text")
        except (ValueError, KeyError, TypeError, AttributeError):
            return article_html(None)
        return self._article_at(doc_id, start, end, quoted if isinstance(quoted, str) else None)

    def _article_at(self, doc_id: str, start: int, end: int, quoted: str | None) -> str:
        """The article as it is now, with the quoted words highlighted where they stand now: at their
        offsets, else at the one place they moved to; an edit that removed them is said, never a
        highlight over other words."""
        self.refresh()
        doc = self._document(doc_id)
        if doc is None:
            return article_html(None)
        if quoted is not None and doc.text[start:end] != quoted:
            moved = doc.text.find(quoted) if quoted else -1
            if moved < 0 or doc.text.find(quoted, moved + 1) >= 0:
                return article_html(doc, notice=ARTICLE_CHANGED)
            start, end = moved, moved + len(quoted)
        if not 0 <= start < end <= len(doc.text):
            return article_html(doc, notice=ARTICLE_CHANGED) if quoted is not None else article_html(None)
        quote = Quote(doc.text[start:end], doc.doc_id, doc.title, start, end, 0.0, doc.byline)
        return article_html(doc, quote)

    # -- corpus --------------------------------------------------------------------

    def corpus_rows(self) -> list[list[object]]:
        self.refresh()
        return articles_table(self.snapshot.catalog())

    def store_line(self) -> str:
        store = self.index.store if self.index is not None else self.engine.reader
        where = f"**Store:** {store.location}, collection `{getattr(store, 'name', '?')}`"
        if self.index is None:
            where += " (read from the store alone: add articles with `corpus-qa ingest`)"
        return f"{where} · {len(self.snapshot.documents)} articles"

    def upload(self, files: list[Any] | None) -> tuple[str, list[list[object]], str]:
        """Check each upload, keep it without overwriting any article, then sync (ui/uploads.py)."""
        index = self.index
        if index is None:
            message = (
                "Uploads need the corpus folder: this chat reads its articles from the store alone. Add them "
                "with `corpus-qa ingest FOLDER --chroma-url URL --collection NAME` (the writer); they show here "
                "within the staleness bound."
            )
            return message, self.corpus_rows(), self.store_line()
        with self._upload_lock:
            message = add_uploads(files, self.upload_dir, lambda: index.sync(progress=True))
        return message, self.corpus_rows(), self.store_line()

    def _accept(self, source: Path, original_name: str | None = None) -> Path:
        return accept_upload(source, self.upload_dir, original_name).path


def create_app(
    config: AppConfig | None = None, *, engine: CorpusQA | None = None, index: CorpusIndex | None = None
) -> ChatApp:
    """Open the corpus (the shipped one keeps uploads beside the store: package data is read-only)."""
    config = config or AppConfig()
    corpus = config.corpus
    if config.folderless and engine is None:
        store = config.store or StoreSettings()
        if not store.collection:
            raise UIError("Reading the store alone needs the corpus's name: pass --collection NAME.")
        engine = open_collection(store.collection, store=store)
        return ChatApp(engine, None, upload_dir=config.uploads or Path("."), config=replace(config))
    if corpus is None or Path(corpus).resolve() == default_corpus_dir().resolve():
        upload_dir = config.uploads or default_uploads()
        upload_dir.mkdir(parents=True, exist_ok=True)
        index = index or open_index(None, uploads=upload_dir, store=config.store, progress=True)
    else:
        upload_dir = config.uploads or Path(corpus)
        index = index or open_index(corpus, store=config.store, progress=True)
    engine = engine or engine_over(index)
    return ChatApp(engine, index, upload_dir=upload_dir, config=replace(config))
