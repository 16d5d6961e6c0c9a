"""Does framing a question about the article change its answer? Asks every answerable question of
each file plainly and with a framing added, with and without the rule that reads a question less its
framing (``qa.features.topic_text``), and prints first-quote hits side by side.

    python benchmarks/framing.py tests/data/own-corpus/questions.json tests/data/probe-corpus/questions.json

A file's corpus is the ``corpus/`` folder beside it, else the shipped corpus. A hit: the first quote
holds a gold answer from the question's article and the answer does not abstain. Follow-ups (questions
with history) are left out: a framing would change which of them read as follow-ups. See
docs/quality.md ("A question is read without its framing about the article").
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from qa import CorpusQA, open_corpus
from qa.evaluation import EvalQuestion, first_candidate_answers, load_questions
from vectorstore import StoreSettings, default_embedder

FRAMINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda q: q,
    "According to the article, …": lambda q: "According to the article, " + q[:1].lower() + q[1:],
    "…, according to the article?": lambda q: q.rstrip("?") + ", according to the article?",
    "… in the story?": lambda q: q.rstrip("?") + " in the story?",
}


@contextmanager
def reading(topic_rule: bool) -> Iterator[None]:
    """The engine as shipped, or with questions read whole (the rule off: the baseline)."""
    if topic_rule:
        yield
    else:
        with mock.patch("qa.features.topic_text", lambda question: question):
            yield


def hits(engine: CorpusQA, questions: list[EvalQuestion], frame: Callable[[str], str]) -> int:
    count = 0
    for q in questions:
        evidence = engine.evidence(frame(q.question))
        count += first_candidate_answers(q, evidence) and evidence.confidence >= engine.settings.abstain_below
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--store", type=Path, default=None, help="folder for one embedded store per file")
    args = parser.parse_args()
    embedder = default_embedder()
    print(f"{'set':<16} {'framing':<30} {'questions':>9} {'whole':>6} {'rule':>6} {'rule/whole':>10}")
    for path in args.questions:
        corpus = path.parent / "corpus"
        store = StoreSettings(store_dir=args.store / path.parent.name) if args.store else None
        engine = open_corpus(corpus if corpus.is_dir() else None, store=store, embedder=embedder)
        questions = [q for q in load_questions(path) if q.answerable and not q.history]
        for name, frame in FRAMINGS.items():
            with reading(False):
                whole = hits(engine, questions, frame)
            with reading(True):
                rule = hits(engine, questions, frame)
            ratio = rule / whole if whole else float("nan")
            print(f"{path.parent.name:<16} {name:<30} {len(questions):>9} {whole:>6} {rule:>6} {ratio:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
