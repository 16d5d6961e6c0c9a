"""The ``corpus-qa`` command line: ask, ingest, chat, eval."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from vectorstore import ENV_CHROMA_URL, ENV_STORE_DIR, StoreSettings, VectorStoreError

from .engine import AnswerSettings
from .errors import QAError

EXAMPLE = "Who is Cuba's foreign minister?"


def _store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus", type=Path, help="folder of .txt/.md/.html articles (default: the shipped corpus)"
    )
    parser.add_argument("--store", type=Path, help=f"embedded Chroma folder (env {ENV_STORE_DIR})")
    parser.add_argument(
        "--chroma-url", help=f"use a Chroma server instead, e.g. http://127.0.0.1:8000 (env {ENV_CHROMA_URL})"
    )


def _settings(args: argparse.Namespace) -> StoreSettings:
    return StoreSettings(store_dir=args.store, chroma_url=args.chroma_url)


def _answer_settings(args: argparse.Namespace) -> AnswerSettings:
    if args.abstain_below is None:
        return AnswerSettings()
    return replace(AnswerSettings(), abstain_below=args.abstain_below)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus-qa", description="Answers about a folder of articles, made of verbatim, cited quotes."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question (or, with --json, one question per stdin line)")
    ask.add_argument("question", nargs="?", help=f'e.g. "{EXAMPLE}"; omit with --json to read stdin')
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (one line per question)")
    ask.add_argument("-k", type=int, default=0, help="also print the top K retrieved passages")
    ask.add_argument(
        "--abstain-below",
        type=float,
        default=None,
        help=f"abstention threshold (default {AnswerSettings().abstain_below}): higher abstains more often",
    )
    _store_args(ask)

    ingest = sub.add_parser("ingest", help="bring the store in line with a folder of articles")
    ingest.add_argument(
        "folder", type=Path, nargs="?", help="the corpus folder (default: the shipped corpus)"
    )
    ingest.add_argument("--store", type=Path, help=f"embedded Chroma folder (env {ENV_STORE_DIR})")
    ingest.add_argument("--chroma-url", help=f"Chroma server URL (env {ENV_CHROMA_URL})")
    ingest.add_argument(
        "--rebuild", action="store_true", help="drop this corpus's collections and embed everything again"
    )

    chat = sub.add_parser("chat", help="start the web chat")
    _store_args(chat)
    chat.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)"
    )
    chat.add_argument("--port", type=int, default=7860)
    chat.add_argument(
        "--max-queue", type=int, default=64, help="questions waiting at most; beyond: 'busy, try again'"
    )
    chat.add_argument("--concurrency", type=int, default=4, help="questions answered at once")
    chat.add_argument(
        "--uploads",
        type=Path,
        help="where uploaded articles are kept when the corpus folder is the shipped one "
        "(env CORPUS_QA_UPLOAD_DIR; default: the user data dir)",
    )

    ev = sub.add_parser("eval", help="measure answer quality on a questions file")
    ev.add_argument("questions", type=Path, help="seed-dev.json or squad2-dev questions.json")
    ev.add_argument(
        "--baselines", action="store_true", help="also run BM25, dense and LangChain-style baselines"
    )
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.add_argument("--misses", type=int, default=0, help="print up to N missed questions")
    ev.add_argument(
        "--abstain-below",
        type=float,
        default=None,
        help=f"abstention threshold (default {AnswerSettings().abstain_below}): higher abstains more often",
    )
    _store_args(ev)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (QAError, VectorStoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    from .api import open_corpus

    if args.command == "ingest":
        engine = open_corpus(args.folder, store=_settings(args), rebuild=args.rebuild, progress=True)
        report = engine.index.last_report
        for problem in report.problems:
            print(f"skipped {problem}", file=sys.stderr)
        print(f"{report.summary()} -> {engine.index.store.location}, collection {engine.index.store.name}")
        return 0

    if args.command == "chat":
        from ui.app import serve

        uploads = args.uploads or (
            Path(os.environ["CORPUS_QA_UPLOAD_DIR"]) if os.environ.get("CORPUS_QA_UPLOAD_DIR") else None
        )
        serve(
            corpus=args.corpus,
            store=_settings(args),
            host=args.host,
            port=args.port,
            uploads=uploads,
            max_queue=args.max_queue,
            concurrency=args.concurrency,
        )
        return 0

    if args.command == "eval":
        from .evaluation import evaluate, load_questions

        questions = load_questions(args.questions)
        corpus = args.corpus
        if corpus is None:
            sibling = args.questions.parent / "corpus"
            corpus = sibling if sibling.is_dir() else None
        engine = open_corpus(corpus, store=_settings(args), progress=True, settings=_answer_settings(args))
        results = evaluate(
            engine, questions, baselines=args.baselines, progress=True, questions_file=str(args.questions)
        )
        if args.json:
            print(json.dumps(results.to_dict(), indent=2))
        else:
            print(results.table())
            for miss in results.misses[: args.misses]:
                print(
                    f"MISS {miss['id']}: {miss['q']} | gold {list(miss['answers'])} | got {miss['first']!r}"
                )
        return 0

    # ask
    engine = open_corpus(args.corpus, store=_settings(args), settings=_answer_settings(args))
    if args.question is None:
        if not args.json:
            raise QAError(
                'Give a question, e.g. corpus-qa ask "Who is Cuba\'s foreign minister?", or use --json with stdin.'
            )
        for line in sys.stdin:
            if line.strip():
                try:
                    print(json.dumps(engine.answer(line.strip()).to_dict(), ensure_ascii=False), flush=True)
                except QAError as exc:
                    print(json.dumps({"question": line.strip(), "error": str(exc)}), flush=True)
        return 0
    result = engine.answer(args.question)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print(result.text)
        if result.abstained and result.closest:
            print("\nClosest passages (not an answer):")
            for p in result.closest:
                print(f"- {p.title} ({p.doc_id}): {p.text[:200]}…")
    if args.k:
        print("\nRetrieved passages:")
        for p in engine.retrieve(args.question, k=args.k):
            print(f"- [{p.score:.4f}] {p.doc_id} {p.start}-{p.end}: {p.text[:160]!r}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    raise SystemExit(main())
