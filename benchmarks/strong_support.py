"""How often is "strong support" right? For each questions file, answers every question (follow-ups
with their history) and prints, for several thresholds, how many of the answers at or above it have a
first quote holding a gold answer (an off-corpus question answered counts as wrong), and that share.

    python benchmarks/strong_support.py tests/data/news-dev.json tests/data/blind3-corpus/questions.json

A file's corpus is the ``corpus/`` folder beside it, else the shipped corpus. The chat labels an answer
"strong support" from ``AnswerSettings.strong_from`` (0.7). See docs/quality.md ("Confidence: what it
is and how reliable").
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qa import open_corpus
from qa.evaluation import contains_answer, load_questions
from vectorstore import StoreSettings, default_embedder

THRESHOLDS = (0.7, 0.8, 0.9, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--store", type=Path, default=None, help="folder for one embedded store per file")
    args = parser.parse_args()
    embedder = default_embedder()
    print(f"{'set':<24} {'answerable':>10}" + "".join(f" {f'>= {t}':>14}" for t in THRESHOLDS))
    for path in args.questions:
        corpus = path.parent / "corpus"
        store = StoreSettings(store_dir=args.store / path.parent.name) if args.store else None
        engine = open_corpus(corpus if corpus.is_dir() else None, store=store, embedder=embedder)
        rows: list[tuple[float, bool, bool]] = []
        for q in load_questions(path):
            answer = engine.answer(q.question, history=list(q.history) or None)
            right = q.answerable and bool(answer.quotes) and contains_answer(answer.quotes[0].text, q.answers)
            rows.append((answer.confidence, right, q.answerable))
        name = path.name if path.parent.name == "data" else path.parent.name
        line = f"{name:<24} {sum(a for _, _, a in rows):>10}"
        for t in THRESHOLDS:
            strong = [r for r in rows if r[0] >= t]
            right = sum(r[1] for r in strong)
            share = f"{right}/{len(strong)} {100 * right / len(strong):3.0f}%" if strong else "0/0"
            line += f" {share:>14}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
