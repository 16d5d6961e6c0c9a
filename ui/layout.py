"""The page: components, their wiring to :class:`ui.app.ChatApp`'s handlers, CSS and script."""

from __future__ import annotations

from dataclasses import fields
from importlib import resources
from typing import TYPE_CHECKING, Any

from qa.render import article_html, sources_html

from .uploads import MAX_UPLOAD

if TYPE_CHECKING:
    from .app import ChatApp, ChatView

EXAMPLES = [
    "Who is Cuba's foreign minister?",
    "What did Putin promise about trade with Cuba?",
    "How should all disputes be settled, according to Lavrov?",
    "Who gave Cuba an economic lifeline during the cold war?",
]

# After an article opens, bring the highlighted quote into view.
SCROLL_JS = """
() => { setTimeout(() => {
  const m = document.querySelector('#cqa-article mark.cqa-hl');
  if (m) { m.scrollIntoView({block: 'center'}); }
}, 50); }
"""
# After a [n] marker (a button in the message): the keyboard focus follows to the quote, so a
# screen reader reads it and Tab goes on from there. Not after the citation list, whose arrow keys
# must keep moving through the list.
SCROLL_AND_FOCUS_JS = """
() => { setTimeout(() => {
  const m = document.querySelector('#cqa-article mark.cqa-hl');
  if (m) { m.scrollIntoView({block: 'center'}); m.setAttribute('tabindex', '-1'); m.focus({preventScroll: true}); }
}, 50); }
"""


def static_text(name: str) -> str:
    return (resources.files("ui") / "static" / name).read_text(encoding="utf-8")


def page_css() -> str:
    return static_text("chat.css")


def page_js() -> str:
    return static_text("chat.js")


def build(app: ChatApp) -> Any:
    import gradio as gr

    from .app import ChatView

    shipped = app.serves_shipped_corpus
    with gr.Blocks(title="corpus-qa", analytics_enabled=False) as demo:
        gr.Markdown(
            "## corpus-qa\nAsk about the articles. Every answer is made of **verbatim quotes**, "
            "each cited to its article; when the articles don't say, you are told so."
        )
        with gr.Tab("Ask"), gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    height=480,
                    buttons=[],  # each quote has its own exact-copy button (ui/static/chat.js)
                    render_markdown=False,  # messages are HTML from qa.render, escaped there
                    sanitize_html=True,
                    feedback_options=None,
                    elem_id="cqa-chat",
                    placeholder="Ask a question about the articles"
                    + (", or pick an example below." if shipped else "."),
                )
                box = gr.Textbox(
                    label="Your question",
                    placeholder=f"e.g. {EXAMPLES[0]}" if shipped else "Ask about your articles",
                    lines=1,
                    max_lines=4,
                    elem_id="cqa-question",
                )
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="cqa-ask")
                    clear = gr.Button("New chat", elem_id="cqa-clear")
                if shipped:  # the examples ask about the shipped articles; another corpus gets none
                    gr.Examples(EXAMPLES, inputs=[box], label="Examples")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(sources_html(None, {}), elem_id="cqa-sources")
                cite = gr.Radio(choices=[], label="Open a citation", visible=False, elem_id="cqa-cite")
                # Clicking [n] in a message: the page script stores the quote's target and clicks
                # this hidden button, whose js hands that target to the handler as the textbox's value.
                target = gr.Textbox(elem_id="cqa-open-target", elem_classes=["cqa-hidden"], show_label=False)
                opener = gr.Button(elem_id="cqa-open", elem_classes=["cqa-hidden"])
                article = gr.HTML(article_html(None), elem_id="cqa-article")
        asked = gr.State([])
        quotes = gr.State([])
        view = {
            "question": box,
            "chat": chatbot,
            "asked": asked,
            "sources": sources,
            "citations": cite,
            "quotes": quotes,
            "article": article,
        }

        def shown(result: ChatView) -> dict[Any, Any]:
            out: dict[Any, Any] = {}
            for f in fields(result):
                value = getattr(result, f.name)
                if value is None:
                    # Unchanged. Every output needs a value: an empty dict reads as one missing output.
                    out[view[f.name]] = gr.skip()
                    continue
                if f.name == "citations":
                    value = gr.update(choices=value, value=None, visible=bool(value))
                out[view[f.name]] = value
            return out

        def respond(message: str, chat: list[Any], history: list[Any]) -> dict[Any, Any]:
            return shown(app.respond(message, chat, history))

        outputs = list(view.values())
        for trigger in (send.click, box.submit):
            trigger(respond, [box, chatbot, asked], outputs, api_visibility="private")
        clear.click(lambda: shown(ChatView.empty()), None, outputs, api_visibility="private")
        cite.change(app.open_citation, [cite, quotes], [article], api_visibility="private").then(
            None, None, None, js=SCROLL_JS
        )
        opener.click(
            app.open_target, [target], [article], js="(t) => window.cqaTarget || ''", api_visibility="private"
        ).then(None, None, None, js=SCROLL_AND_FOCUS_JS)
        with gr.Tab("Corpus") as corpus_tab:
            store_info = gr.Markdown(app.store_line(), elem_id="cqa-store")
            table = gr.Dataframe(
                value=app.corpus_rows(),
                headers=["Title", "Byline", "File", "Chunks"],
                interactive=False,
                elem_id="cqa-articles",
            )
            # No file_types filter: Gradio would refuse a chosen .pdf with a bare "Error" badge and
            # drop it silently; ui/uploads.py names each refused file and why in the status instead.
            files = gr.File(
                label=f"Add articles (.txt, .md, .html; up to {MAX_UPLOAD} each)",
                file_count="multiple",
                elem_id="cqa-upload",
            )
            add = gr.Button("Add to corpus", variant="primary", elem_id="cqa-add")
            status = gr.Markdown(elem_id="cqa-upload-status")
            # Gradio injects the progress tracker through this default; tqdm bars show in the page.
            track = gr.Progress(track_tqdm=True)

            def do_upload(items: list[Any] | None, progress: gr.Progress = track) -> Any:
                # tqdm bars inside sync are what `progress` tracks; the box is emptied once handled.
                return (*app.upload(items), None)

            add.click(do_upload, [files], [status, table, store_info, files], api_visibility="private")

            def current() -> tuple[str, list[list[object]]]:
                rows = app.corpus_rows()  # syncs first when the folder changed, so the count matches
                return app.store_line(), rows

            # Built once, the tab would show the corpus as it stood at start: a page loaded (or the tab
            # opened) later shows it as it is now, uploads from other sessions and edits on disk included.
            demo.load(current, None, [store_info, table], api_visibility="private")
            corpus_tab.select(current, None, [store_info, table], api_visibility="private")
        gr.api(app.api_ask, api_name="ask")
    # api_open=False: REST calls go through the queue like the page does (no bypass, bounded).
    demo.queue(max_size=app.config.max_queue, default_concurrency_limit=app.config.concurrency, api_open=False)
    return demo
