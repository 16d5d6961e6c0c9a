"""The ``corpus-qa`` command line: ask, ingest, chat, eval.

It lives in ``ui/`` beside the web chat: both are interfaces over ``qa`` and
``vectorstore``, and neither of those imports back up into here.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from qa import AnswerSettings, ConfidenceModel, CorpusQA, QAError, open_corpus
from qa.render import support_line
from vectorstore import CorpusIndex, StoreSettings, VectorStoreError, default_embedder
from vectorstore.env import ENV_ALLOWED_HOSTS, ENV_CHROMA_URL, ENV_STORE_DIR, ENV_UPLOAD_DIR, env_path
from vectorstore.index import FOLDER_REFRESH_S

EXAMPLE = "Who is Cuba's foreign minister?"


# argparse ``type=`` helpers: a bad value is a usage error (one line, exit 2) before anything loads.
def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{'a whole number' if kind is int else 'a number'} is needed, not {text!r}"
        ) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"a finite number is needed, not {text!r}")
    return value


def probability(text: str) -> float:
    """A number in [0, 1] (``--abstain-below``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:  # nan and inf too
        raise argparse.ArgumentTypeError(f"must be a number in the range [0, 1], not {text!r}")
    return value


def seconds(text: str) -> float:
    """A finite number of seconds, 0 or more (``--staleness``)."""
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {text!r}")
    return value


def count(text: str) -> int:
    """A whole number, 0 or more (``-k``, ``--misses``)."""
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text!r}")
    return value


def positive(text: str) -> int:
    """A whole number, 1 or more (``--max-queue``, ``--concurrency``)."""
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text!r}")
    return value


def port(text: str) -> int:
    """A TCP port, 1 to 65535 (``--port``; 0, "any free port", is not offered: the address is printed first)."""
    value = int(_number(text, int))
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port in the range 1-65535, not {text!r}")
    return value


def path(text: str) -> Path:
    """A non-empty path: ``Path("")`` is the current folder, which nobody means by an empty value."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty (give a path; '.' for the current folder)")
    return Path(text)


def _store_args(
    parser: argparse.ArgumentParser, *, corpus: bool = True, corpus_default: str = "the shipped corpus"
) -> None:
    if corpus:
        parser.add_argument(
            "--corpus", type=path, help=f"folder of .txt/.md/.html articles (default: {corpus_default})"
        )
    parser.add_argument("--store", type=path, help=f"embedded Chroma folder (env {ENV_STORE_DIR})")
    parser.add_argument(
        "--chroma-url", help=f"use a Chroma server instead, e.g. http://127.0.0.1:8000 (env {ENV_CHROMA_URL})"
    )
    more = "; without --corpus, answer from the store alone" if corpus else ""
    parser.add_argument("--collection", metavar="NAME", help=f"the corpus's name in the store{more}")
    if corpus:  # how stale a folder-less reader may be: an ingest elsewhere shows within S seconds
        default = StoreSettings.staleness_s
        parser.add_argument(
            "--staleness",
            type=seconds,
            default=default,
            metavar="S",
            help=f"seconds between checks for a new ingest (default {default:g})",
        )


def _abstain_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--abstain-below",
        type=probability,
        default=None,
        metavar="P",
        help="abstain when the probability that the first quote answers is below P, in [0, 1] "
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


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line on stderr, pointing at ``--help`` (argparse prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="corpus-qa", description="Answers about a folder of articles, made of verbatim, cited quotes."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", help="answer a question (or, with --json, one question per stdin line)")
    ask.add_argument("question", nargs="?", help=f'e.g. "{EXAMPLE}"; omit with --json to read stdin')
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (one line per question)")
    ask.add_argument("-k", type=count, default=0, help="also print the top K passages the answer drew on")
    _abstain_arg(ask)
    _store_args(ask)
    ask.set_defaults(run=run_ask)

    ingest = sub.add_parser("ingest", help="bring the store in line with a folder of articles")
    ingest.add_argument(
        "folder", type=path, nargs="?", help="the corpus folder (default: the shipped corpus)"
    )
    _store_args(ingest, corpus=False)
    # The same flag as ask and chat take, so `ingest --corpus DIR` works as users try it first.
    ingest.add_argument("--corpus", type=path, dest="corpus_flag", help="the corpus folder, as for ask and chat")
    ingest.add_argument(
        "--rebuild", action="store_true", help="drop this corpus's collections and embed everything again"
    )
    ingest.set_defaults(run=run_ingest)

    chat = sub.add_parser("chat", help="start the web chat")
    _store_args(chat)
    chat.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)"
    )
    chat.add_argument("--port", type=port, default=7860, help="TCP port, 1-65535 (default 7860)")
    chat.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME[:PORT]",
        help=f"a host name the chat answers to besides loopback (repeatable; env {ENV_ALLOWED_HOSTS})",
    )
    chat.add_argument(
        "--max-queue", type=positive, default=64, help="questions waiting at most; beyond: 'busy, try again'"
    )
    chat.add_argument("--concurrency", type=positive, default=4, help="questions answered at once")
    chat.add_argument(
        "--uploads",
        type=path,
        help="where uploaded articles are kept when the corpus folder is the shipped one "
        f"(env {ENV_UPLOAD_DIR}; default: the user data dir)",
    )
    chat.set_defaults(run=run_chat)

    ev = sub.add_parser("eval", help="measure answer quality on a questions file")
    ev.add_argument(
        "questions", type=path, help="seed-dev.json, tests/data/news-dev.json or squad2-dev questions.json"
    )
    ev.add_argument(
        "--baselines", action="store_true", help="also run BM25, dense and LangChain-style baselines"
    )
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.add_argument("--misses", type=count, default=0, help="print up to N missed questions")
    ev.add_argument(
        "--calibration", action="store_true", help="also print the reliability table and threshold trade-off"
    )
    ev.add_argument("--model", help="embedding model: qa-tuned (default), minilm (plain MiniLM) or a folder")
    ev.add_argument(
        "--confidence",
        type=path,
        help="a confidence model JSON (qa/models/confidence-hand.json: the old rule)",
    )
    _abstain_arg(ev)
    _store_args(ev, corpus_default="the corpus/ folder beside the questions file, else the shipped corpus")
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

    if args.folder is not None and args.corpus_flag is not None and args.folder != args.corpus_flag:
        raise QAError(f"Two corpus folders given ({args.folder} and --corpus {args.corpus_flag}): give one.")
    folder = args.folder if args.folder is not None else args.corpus_flag
    index = open_index(folder, store=_store_settings(args), rebuild=args.rebuild, progress=True)
    report = index.last_report
    _report_skipped(report.problems)
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
        engine = CorpusQA(
            engine.reader, engine.settings, confidence_model=ConfidenceModel.load(args.confidence)
        )
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


def _answer_lines(engine: CorpusQA, index: CorpusIndex | None) -> int:
    """One JSON object per stdin line, in order, each with its ``line`` number (1-based), so output
    lines up with input even where a line is refused (an ``error`` and no quotes)."""
    checked = time.monotonic()
    # Bytes, decoded per line: a line that is not UTF-8 gets its own error (and the next line is
    # still answered) instead of reaching the engine as lone surrogates.
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        if index is not None and time.monotonic() - checked >= FOLDER_REFRESH_S:
            # A long-running session must not quote text a file no longer holds.
            report = index.sync_if_changed()
            checked = time.monotonic()
            if report is not None:
                _report_skipped(report.problems)
        try:
            line = raw.decode("utf-8").replace("\ufeff", "").strip()
        except UnicodeDecodeError as exc:
            problem = f"stdin line {number} is not valid UTF-8 (byte {exc.start}): send questions as UTF-8."
            shown = raw.decode("utf-8", errors="replace").strip()[:200]
            _print_json({"line": number, "question": shown, "error": problem, "quotes": []})
            continue
        try:
            _print_json({"line": number, **engine.answer(line).to_dict()})
        except QAError as exc:
            _print_json({"line": number, "question": line[:200], "error": str(exc), "quotes": []})
    return 0


def _print_json(record: dict[str, object]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def _report_skipped(problems: Sequence[object]) -> None:
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)


def run_ask(args: argparse.Namespace) -> int:
    if args.question is None and not args.json:  # before the model loads or a store is made
        raise QAError(f'Give a question, e.g. corpus-qa ask "{EXAMPLE}", or use --json with stdin.')
    overrides = {"passages": args.k} if args.k > AnswerSettings().passages else {}
    settings = _answer_settings(args, **overrides)
    index = None
    if _folderless(args):
        from qa.api import open_collection

        engine = open_collection(args.collection, store=_store_settings(args), settings=settings)
    else:
        from qa import open_index
        from qa.api import engine_over

        index = open_index(args.corpus, store=_store_settings(args))
        # A file that cannot be read is named, as ingest names it: else its questions just go unanswered.
        _report_skipped(index.last_report.problems)
        engine = engine_over(index, settings)
    if args.question is None:
        return _answer_lines(engine, index)
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
