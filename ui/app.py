"""The Gradio chat: ask, read the cited quotes, open the articles, add articles."""

from __future__ import annotations

import hmac
import os
import re
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa import Answer, CorpusQA, QAError, Quote, open_corpus
from vectorstore import SUPPORTED_SUFFIXES, StoreSettings, VectorStoreError, default_corpus_dir
from vectorstore.loading import load_document

from .errors import UIError

ENV_AUTH = "CORPUS_QA_AUTH"  # "user:password"
MAX_UPLOAD = "5mb"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
EXAMPLES = [
    "Who is Cuba's foreign minister?",
    "What did Putin promise about trade with Cuba?",
    "How should all disputes be settled, according to Lavrov?",
    "Who gave Cuba an economic lifeline during the cold war?",
]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")

CSS = """
.cqa-sources, .cqa-article { font-size: 0.95rem; line-height: 1.5; }
.cqa-passage { border-left: 3px solid #c7d2fe; padding: 0.4rem 0.7rem; margin-bottom: 0.8rem; }
.cqa-src { font-weight: 600; margin-bottom: 0.2rem; }
.cqa-text { white-space: pre-wrap; }
mark.cqa-hl { background: #fde68a; padding: 0 0.1rem; }
.cqa-scroll { max-height: 30rem; overflow-y: auto; padding-right: 0.5rem; }
.cqa-byline, .cqa-doc-id { color: #6b7280; font-size: 0.85rem; }
.cqa-none { font-weight: 600; }
.cqa-empty { color: #6b7280; }
"""

# After an article opens, bring the highlighted quote into view.
SCROLL_JS = """
() => { setTimeout(() => {
  const m = document.querySelector('#cqa-article mark.cqa-hl');
  if (m) { m.scrollIntoView({block: 'center'}); }
}, 50); }
"""


@dataclass(frozen=True)
class AppConfig:
    """Everything the app needs at construction; nothing is read from globals later."""

    corpus: Path | None = None
    store: StoreSettings | None = None
    uploads: Path | None = None
    max_queue: int = 64
    concurrency: int = 4


def safe_upload_name(original: str) -> str:
    """The base name only, in safe characters: "../../x.txt" is stored as "x.txt", inside the folder."""
    base = re.split(r"[/\\]", original)[-1]
    name = _SAFE_NAME.sub("_", base).strip(" .")
    return name if name and not name.startswith(".") else "upload.txt"


def _default_uploads() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("corpus-qa", appauthor=False)) / "uploads"


class ChatApp:
    """Holds the engine and builds the Blocks; one instance serves all visitors."""

    def __init__(self, engine: CorpusQA, *, upload_dir: Path, config: AppConfig | None = None) -> None:
        self.engine = engine
        self.upload_dir = upload_dir
        self.config = config or AppConfig()
        self._upload_lock = threading.Lock()

    # -- handlers -------------------------------------------------------------

    def ask(self, question: str, history: list[dict[str, Any]] | None = None) -> Answer:
        return self.engine.answer(question, history=history or None)

    def api_ask(self, question: str) -> dict[str, Any]:
        """``/ask``: the answer as JSON (text, quotes with offsets, abstained)."""
        try:
            return self.ask(question).to_dict()
        except (QAError, VectorStoreError) as exc:
            return {
                "question": str(question)[:200],
                "error": str(exc),
                "quotes": [],
                "abstained": True,
                "text": "",
            }

    def respond(
        self, message: str, chat: list[dict[str, Any]], asked: list[dict[str, str]]
    ) -> tuple[Any, ...]:
        import gradio as gr

        from .render import answer_markdown, article_html, sources_html

        chat = list(chat or [])
        asked = list(asked or [])
        try:
            answer = self.ask(message, asked)
        except (QAError, VectorStoreError) as exc:
            gr.Warning(str(exc))
            return (message, chat, asked, gr.skip(), gr.skip(), gr.skip(), gr.skip())
        snapshot = self.engine.index.snapshot
        documents = dict(snapshot.documents)
        passages = self.engine.retrieve(answer.question, k=6, history=asked or None)
        from .render import escape_text

        chat.append({"role": "user", "content": escape_text(answer.question)})
        chat.append({"role": "assistant", "content": answer_markdown(answer, documents)})
        asked.append({"role": "user", "content": answer.question})
        asked.append({"role": "assistant", "content": answer.text})
        quotes = [q.to_dict() for q in answer.quotes]
        choices = [(f"[{n}] {q.title}"[:90], str(n - 1)) for n, q in enumerate(answer.quotes, 1)]
        return (
            "",
            chat,
            asked,
            sources_html(answer, documents, passages),
            gr.update(choices=choices, value=None, visible=bool(choices)),
            quotes,
            article_html(None),
        )

    def open_citation(self, choice: str | None, quotes: list[dict[str, Any]]) -> str:
        from .render import article_html

        if choice is None or not quotes:
            return article_html(None)
        quote = Quote(**quotes[int(choice)])
        doc = self.engine.index.snapshot.documents.get(quote.doc_id)
        return article_html(doc, quote)

    def corpus_rows(self) -> list[list[object]]:
        from .render import articles_table

        snapshot = self.engine.index.snapshot
        counts = Counter(c.doc_id for c in snapshot.chunks.values())
        return articles_table(dict(snapshot.documents), counts)

    def store_line(self) -> str:
        store = self.engine.index.store
        docs = len(self.engine.index.snapshot.documents)
        return f"**Store:** {store.location}, collection `{store.name}` · {docs} articles"

    def upload(self, files: list[Any] | None) -> tuple[str, list[list[object]], str]:
        """Copy uploads into the upload folder, check each, then sync; bad files are reported, not kept."""
        if not files:
            return "Choose one or more .txt, .md or .html files first.", self.corpus_rows(), self.store_line()
        messages: list[str] = []
        accepted = 0
        with self._upload_lock:
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            for item in files:
                source = Path(getattr(item, "name", None) or str(item))
                try:
                    self._accept(source)
                    accepted += 1
                except UIError as exc:
                    messages.append(f"✗ {exc}")
            if accepted:
                report = self.engine.index.sync(progress=True)
                messages.insert(0, f"✓ {accepted} file(s) added: {report.summary()}.")
                messages.extend(f"✗ {p}" for p in report.problems if p.path.startswith("uploads/"))
        return "\n\n".join(messages), self.corpus_rows(), self.store_line()

    def _accept(self, source: Path, original_name: str | None = None) -> Path:
        name = safe_upload_name(original_name or source.name)
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise UIError(f"{name}: unsupported type; upload .txt, .md or .html files.")
        if source.stat().st_size > MAX_UPLOAD_BYTES:
            raise UIError(f"{name}: over the {MAX_UPLOAD} upload limit.")
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        staging = self.upload_dir / f".incoming-{os.getpid()}-{threading.get_ident()}{suffix}"
        shutil.copyfile(source, staging)
        try:
            load_document(staging, self.upload_dir, max_bytes=MAX_UPLOAD_BYTES)
        except VectorStoreError as exc:
            staging.unlink(missing_ok=True)
            reason = getattr(exc, "reason", str(exc))
            raise UIError(f"{name}: {reason}") from None
        target = self.upload_dir / name
        os.replace(staging, target)  # atomic: a half-copied file is never ingested
        return target

    # -- layout ---------------------------------------------------------------

    def build(self) -> Any:
        import gradio as gr

        from .render import article_html, sources_html

        with gr.Blocks(title="corpus-qa", analytics_enabled=False) as demo:
            gr.Markdown(
                "## corpus-qa\nAsk about the articles. Every answer is made of **verbatim quotes**, "
                "each cited to its article; when the articles don't say, you are told so."
            )
            with gr.Tab("Ask"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label="Chat",
                            height=480,
                            buttons=["copy"],
                            sanitize_html=True,
                            feedback_options=None,
                            elem_id="cqa-chat",
                            placeholder="Ask a question about the articles, or pick an example below.",
                        )
                        box = gr.Textbox(
                            label="Your question",
                            placeholder="e.g. Who is Cuba's foreign minister?",
                            lines=1,
                            max_lines=4,
                            elem_id="cqa-question",
                        )
                        with gr.Row():
                            send = gr.Button("Ask", variant="primary", elem_id="cqa-ask")
                            clear = gr.Button("New chat", elem_id="cqa-clear")
                        gr.Examples(EXAMPLES, inputs=[box], label="Examples")
                    with gr.Column(scale=2):
                        gr.Markdown("### Sources")
                        sources = gr.HTML(sources_html(None, {}, []), elem_id="cqa-sources")
                        cite = gr.Radio(
                            choices=[],
                            label="Open a citation",
                            visible=False,
                            elem_id="cqa-cite",
                        )
                        article = gr.HTML(article_html(None), elem_id="cqa-article")
                asked = gr.State([])
                quotes = gr.State([])
                outputs = [box, chatbot, asked, sources, cite, quotes, article]
                send.click(self.respond, [box, chatbot, asked], outputs, api_visibility="private")
                box.submit(self.respond, [box, chatbot, asked], outputs, api_visibility="private")
                clear.click(
                    lambda: (
                        "",
                        [],
                        [],
                        sources_html(None, {}, []),
                        gr.update(choices=[], visible=False),
                        [],
                        article_html(None),
                    ),
                    None,
                    outputs,
                    api_visibility="private",
                )
                cite.change(self.open_citation, [cite, quotes], [article], api_visibility="private").then(
                    None, None, None, js=SCROLL_JS
                )
            with gr.Tab("Corpus"):
                store_info = gr.Markdown(self.store_line(), elem_id="cqa-store")
                table = gr.Dataframe(
                    value=self.corpus_rows(),
                    headers=["Title", "Byline", "File", "Chunks"],
                    interactive=False,
                    elem_id="cqa-articles",
                )
                files = gr.File(
                    label=f"Add articles (.txt, .md, .html; up to {MAX_UPLOAD} each)",
                    file_count="multiple",
                    file_types=sorted(SUPPORTED_SUFFIXES),
                    elem_id="cqa-upload",
                )
                add = gr.Button("Add to corpus", variant="primary", elem_id="cqa-add")
                status = gr.Markdown(elem_id="cqa-upload-status")

                # Gradio injects the progress tracker through this default; tqdm bars show in the page.
                track = gr.Progress(track_tqdm=True)

                def do_upload(items: list[Any] | None, progress: gr.Progress = track) -> Any:
                    return self.upload(items)  # tqdm bars inside sync are what `progress` tracks

                add.click(do_upload, [files], [status, table, store_info], api_visibility="private")
            gr.api(self.api_ask, api_name="ask")
        # api_open=False: REST calls go through the queue like the page does (no bypass, bounded).
        demo.queue(
            max_size=self.config.max_queue, default_concurrency_limit=self.config.concurrency, api_open=False
        )
        return demo


def create_app(config: AppConfig | None = None, *, engine: CorpusQA | None = None) -> ChatApp:
    config = config or AppConfig()
    corpus = config.corpus
    is_default = corpus is None or Path(corpus).resolve() == default_corpus_dir().resolve()
    if is_default:
        # The shipped corpus is read-only package data: uploads live beside the store.
        upload_dir = config.uploads or _default_uploads()
        upload_dir.mkdir(parents=True, exist_ok=True)
        engine = engine or open_corpus(None, uploads=upload_dir, store=config.store, progress=True)
    else:
        assert corpus is not None
        upload_dir = config.uploads or Path(corpus)
        engine = engine or open_corpus(corpus, store=config.store, progress=True)
    return ChatApp(engine, upload_dir=upload_dir, config=config)


class LoginGuard:
    """Checks the one configured login; slows every wrong try and locks out after a few.

    Gradio passes only the user name and password, so failures are counted per
    user name (and in total, so guessing names does not help).
    """

    def __init__(
        self,
        user: str,
        password: str,
        *,
        max_failures: int = 5,
        lockout_s: float = 300.0,
        delay_s: float = 1.0,
    ) -> None:
        self._user = user.encode()
        self._password = password.encode()
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._failures: list[float] = []

    def locked(self) -> bool:
        now = time.monotonic()
        with self._lock:
            self._failures = [t for t in self._failures if now - t < self.lockout_s]
            return len(self._failures) >= self.max_failures

    def __call__(self, username: str, password: str) -> bool:
        if self.locked():
            time.sleep(self.delay_s)
            return False
        ok = hmac.compare_digest(str(username).encode(), self._user) & hmac.compare_digest(
            str(password).encode(), self._password
        )
        if not ok:
            with self._lock:
                self._failures.append(time.monotonic())
            time.sleep(self.delay_s)  # slows guessing; Gradio runs this in a worker thread
        return bool(ok)


def auth_from_env() -> LoginGuard | None:
    raw = os.environ.get(ENV_AUTH)
    if not raw:
        return None
    user, sep, password = raw.partition(":")
    if not sep or not user or not password:
        raise UIError(f"{ENV_AUTH} must look like user:password.")
    lockout = float(os.environ.get("CORPUS_QA_AUTH_LOCKOUT_S", "300"))
    return LoginGuard(user, password, lockout_s=lockout)


def launch(app: ChatApp, *, host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> Any:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo = app.build()
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth_from_env(),
        max_file_size=MAX_UPLOAD,
        enable_monitoring=False,
        ssr_mode=False,
        css=CSS,
        prevent_thread_lock=not block,
        quiet=not block,
        footer_links=["api"],
        mcp_server=False,
    )
    return demo


def serve(
    *,
    corpus: Path | None = None,
    store: StoreSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    uploads: Path | None = None,
    max_queue: int = 64,
    concurrency: int = 4,
) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    app = create_app(
        AppConfig(corpus=corpus, store=store, uploads=uploads, max_queue=max_queue, concurrency=concurrency)
    )
    print(f"corpus-qa chat on http://{host}:{port} ({len(app.engine.index.snapshot.documents)} articles)")
    launch(app, host=host, port=port, block=True)
