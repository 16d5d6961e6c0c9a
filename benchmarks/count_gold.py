"""Does the "how many" rule take the count away from a right answer? For every answerable "How many…?"
question of SQuAD-layout files, finds the gold answer's sentence in its paragraph and checks whether
that sentence holds the asked type (``qa.features.type_match``) with and without the rule that a day
of the month, a clock time, a sum of money or a percentage counts nothing
(``qa.features.without_non_counts``). Prints the counts and the questions the rule changes.

    python benchmarks/count_gold.py ../shared/train/squad2-train/questions.json ../shared/bench/squad2-dev/questions.json

A file's articles are the ``corpus/<doc>.txt`` files beside it (title line, then paragraphs separated
by blank lines). A gold sentence: the first sentence of the question's paragraph holding the first gold
answer as a whole token run (not "8 million" inside "$158.8 million"). No model, no store: seconds.
See docs/quality.md ("A day of the month, a clock time, a sum of money or a percentage counts nothing").
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from qa import features as ft
from vectorstore.sentences import split_sentences


@dataclass(frozen=True)
class GoldSentence:
    question: str
    answer: str
    sentence: str


def gold_sentences(path: Path) -> Iterator[GoldSentence]:
    """The answerable "how many" questions of ``path`` whose gold answer's sentence can be found."""
    data = json.loads(path.read_text(encoding="utf-8"))
    corpus = path.parent / "corpus"
    for q in data["questions"] if isinstance(data, dict) else data:
        question = q.get("q") or q.get("question", "")
        if not q.get("answerable") or not question.lower().startswith("how many") or not q.get("answers"):
            continue
        article = (corpus / f"{q['doc']}.txt").read_text(encoding="utf-8")
        paragraphs = [p for p in re.split(r"\n\s*\n", article.split("\n", 1)[-1]) if p.strip()]
        index = int(q.get("paragraph", -1))
        if not 0 <= index < len(paragraphs):
            continue
        paragraph = paragraphs[index]
        answer = q["answers"][0]
        bounded = re.compile(rf"(?<![\w.,$€£]){re.escape(answer)}(?!\w)")
        for span in split_sentences(paragraph):
            sentence = paragraph[span.start : span.end]
            if bounded.search(sentence):
                yield GoldSentence(question, answer, sentence)
                break


def holds_a_count(gold: GoldSentence) -> bool:
    q = gold.question
    kind = ft.type_match(
        gold.sentence, ft.type_cues(q), False, ft.question_words(q), counted=ft.counted_words(q), event=ft.asked_event(q)
    )
    return kind >= 1.0


@contextmanager
def rule_off() -> Iterator[None]:
    with mock.patch.object(ft, "without_non_counts", lambda text, counted: text):
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", nargs="+", type=Path, help="SQuAD-layout questions.json files")
    args = parser.parse_args()
    print(f"{'file':<48} {'how many':>9} {'no count (rule off)':>20} {'no count (rule on)':>19}")
    changed: list[tuple[str, GoldSentence, bool]] = []
    for path in args.questions:
        golds = list(gold_sentences(path))
        on = [holds_a_count(g) for g in golds]
        with rule_off():
            off = [holds_a_count(g) for g in golds]
        print(f"{str(path)[-48:]:<48} {len(golds):>9} {off.count(False):>20} {on.count(False):>19}")
        changed += [(path.name, g, now) for g, now, before in zip(golds, on, off, strict=True) if now != before]
    for name, g, now in changed:
        print(f"  {'gains' if now else 'loses'} a count ({name}): {g.question} | {g.answer!r} | {g.sentence[:120]}")


if __name__ == "__main__":
    main()
