"""The ``corpus-qa`` command line: ask, ingest, chat, eval.

It lives in ``ui/`` beside the web chat: both are interfaces over ``qa`` and
``vectorstore``, and neither of those imports back up into here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from qa import AnswerSettings, ConfidenceModel, CorpusQA, QAError, open_corpus
from qa.render import support_line
from vectorstore import StoreSettings, VectorStoreError, default_embedder
from vectorstore.env import ENV_ALLOWED_HOSTS, ENV_CHROMA_URL, ENV_STORE_DIR, ENV_UPLOAD_DIR, env_path

EXAMPLE = "Who is Cuba's foreign minister?"


def _store_args(parser: argparse.ArgumentParser, *, corpus: bool = True) -> None:
    if corpus:
        parser.add_argument(
            "--corpus", type=Path, help="folder of .txt/.md/.html articles (default: the shipped corpus)"
        )
    parser.add_argument("--store", type=Path, help=f"embedded Chroma folder (env {ENV_STORE_DIR})")
    parser.add_argument(
        "--chroma-url", help=f"use a Chroma server instead, e.g. http://127.0.0.1:8000 (env {ENV_CHROMA_URL})"
    )
    more = "; without --corpus, answer from the store alone" if corpus else ""
    parser.add_argument("--collection", metavar="NAME", help=f"the corpus's name in the store{more}")
    if corpus:  # how stale a folder-less reader may be: an ingest elsewhere shows within S seconds
        default = StoreSettings.staleness_s
        parser.add_argument("--staleness", type=float, default=default, metavar="S", help=f"seconds between checks for a new ingest (default {default:g})")


def _abstain_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--abstain-below",
        type=float,
        default=None,
        metavar="P",
        help="abstain when the probability that the first quote answers is below P "
        f"(default {AnswerSettings().abstain_below}; higher abstains more often)",
    )


def _store_settings(args: argparse.Namespace) -> StoreSettings:
    staleness = getattr(args, "staleness", StoreSettings.staleness_s)
    return StoreSettings(
        store_dir=args.store, chroma_url=args.chroma_url, collection=args.collection, staleness_s=staleness
    )


def _folderless(args: argparse.Namespace) -> bool:
    """``--collection`` without ``--corpus``: answer from the store alone, never touch a folder."""
    return bool(args.collection) and args.corpus is None


def _answer_settings(args: argparse.Namespace, **overrides: int) -> AnswerSettings:
    settings = AnswerSettings()
    if args.abstain_below is not None:
        settings = replace(settings, abstain_below=args.abstain_below)
    return replace(settings, **overrides) if overrides else settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus-qa", description="Answers about a folder of articles, made of verbatim, cited quotes."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question (or, with --json, one question per stdin line)")
    ask.add_argument("question", nargs="?", help=f'e.g. "{EXAMPLE}"; omit with --json to read stdin')
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (one line per question)")
    ask.add_argument("-k", type=int, default=0, help="also print the top K passages the answer drew on")
    _abstain_arg(ask)
    _store_args(ask)
    ask.set_defaults(run=run_ask)

    ingest = sub.add_parser("ingest", help="bring the store in line with a folder of articles")
    ingest.add_argument(
        "folder", type=Path, nargs="?", help="the corpus folder (default: the shipped corpus)"
    )
    _store_args(ingest, corpus=False)
    ingest.add_argument(
        "--rebuild", action="store_true", help="drop this corpus's collections and embed everything again"
    )
    ingest.set_defaults(run=run_ingest)

    chat = sub.add_parser("chat", help="start the web chat")
    _store_args(chat)
    chat.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)"
    )
    chat.add_argument("--port", type=int, default=7860)
    chat.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME[:PORT]",
        help=f"a host name the chat answers to besides loopback (repeatable; env {ENV_ALLOWED_HOSTS})",
    )
    chat.add_argument(
        "--max-queue", type=int, default=64, help="questions waiting at most; beyond: 'busy, try again'"
    )
    chat.add_argument("--concurrency", type=int, default=4, help="questions answered at once")
    chat.add_argument(
        "--uploads",
        type=Path,
        help="where uploaded articles are kept when the corpus folder is the shipped one "
        f"(env {ENV_UPLOAD_DIR}; default: the user data dir)",
    )
    chat.set_defaults(run=run_chat)

    ev = sub.add_parser("eval", help="measure answer quality on a questions file")
    ev.add_argument("questions", type=Path, help="seed-dev.json, tests/data/news-dev.json or squad2-dev questions.json")
    ev.add_argument(
        "--baselines", action="store_true", help="also run BM25, dense and LangChain-style baselines"
    )
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.add_argument("--misses", type=int, default=0, help="print up to N missed questions")
    ev.add_argument(
        "--calibration", action="store_true", help="also print the reliability table and threshold trade-off"
    )
    ev.add_argument("--model", help="embedding model: qa-tuned (default), minilm (plain MiniLM) or a folder")
    ev.add_argument("--confidence", type=Path, help="a confidence model JSON (qa/models/confidence-hand.json: the old rule)")
    _abstain_arg(ev)
    _store_args(ev)
    ev.set_defaults(run=run_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except (QAError, VectorStoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run_ingest(args: argparse.Namespace) -> int:
    from qa import open_index

    index = open_index(args.folder, store=_store_settings(args), rebuild=args.rebuild, progress=True)
    report = index.last_report
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"{report.summary()} -> {index.store.location}, collection {index.store.name}")
    return 0


def run_chat(args: argparse.Namespace) -> int:
    from .launch import serve

    serve(
        corpus=args.corpus,
        store=_store_settings(args),
        folderless=_folderless(args),
        host=args.host,
        port=args.port,
        uploads=args.uploads or env_path(ENV_UPLOAD_DIR),
        max_queue=args.max_queue,
        concurrency=args.concurrency,
        allowed_hosts=tuple(args.allowed_host),
    )
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from qa.evaluation import evaluate, load_questions

    questions = load_questions(args.questions)
    corpus = args.corpus
    if corpus is None:
        sibling = args.questions.parent / "corpus"
        corpus = sibling if sibling.is_dir() else None
    engine = open_corpus(
        corpus,
        store=_store_settings(args),
        progress=True,
        settings=_answer_settings(args),
        embedder=default_embedder(args.model) if args.model else None,
    )
    if args.confidence:
        engine = CorpusQA(engine.reader, engine.settings, confidence_model=ConfidenceModel.load(args.confidence))
    results = evaluate(
        engine, questions, baselines=args.baselines, progress=True, questions_file=str(args.questions)
    )
    if args.json:
        print(json.dumps(results.to_dict(), indent=2))
        return 0
    print(results.table())
    if args.calibration:
        print(results.calibration_table())
    for miss in results.misses[: args.misses]:
        print(f"MISS {miss['id']}: {miss['q']} | gold {list(miss['answers'])} | got {miss['first']!r}")
    return 0


def run_ask(args: argparse.Namespace) -> int:
    overrides = {"passages": args.k} if args.k > AnswerSettings().passages else {}
    if _folderless(args):
        from qa.api import open_collection

        engine = open_collection(
            args.collection, store=_store_settings(args), settings=_answer_settings(args, **overrides)
        )
    else:
        engine = open_corpus(args.corpus, store=_store_settings(args), settings=_answer_settings(args, **overrides))
    if args.question is None:
        if not args.json:
            raise QAError(f'Give a question, e.g. corpus-qa ask "{EXAMPLE}", or use --json with stdin.')
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
        return 0
    print(result.text)
    if result.abstained:
        print(f"\n{support_line(result)}")
        if result.closest:
            print("\nClosest passages (not an answer):")
            for p in result.closest:
                print(f"- {p.title} ({p.doc_id}): {p.text[:200]}…")
    if args.k:
        print("\nRetrieved passages:")
        for p in result.passages[: args.k]:
            print(f"- [{p.score:.4f}] {p.doc_id} {p.start}-{p.end}: {p.text[:160]!r}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
