"""Do the answer-type rules take the asked type away from right answers? For every answerable question
of SQuAD-layout files that asks for a type ("How many…?", "How long…?", "In what year…?", "Which
month…?", "How much did it cost?") or a name ("Who…?", "Which company…?", "What is the name of…?"),
finds the gold answer's sentence in its paragraph and checks whether that sentence holds the asked type
(``qa.features.type_match``; for a name, any new name), with every rule below on, and with each one off:

- *counts*: a day of the month or a clock time is no count, length or size, nor, for "how many", a
  sum of money or a percentage (``qa.features.without_calendar_times``, ``without_non_counts``);
- *year/month*: "In what year…?" asks for a year and "Which month…?" for a month, not any date
  (``qa.features.YEAR``, ``MONTH``);
- *start/end*: a time question about the start of an event ("…founded?", "…did he arrive?") is not
  answered by a sentence that tells only of its end ("…closed in 2001"), nor the other way round
  (``qa.features.asked_event``, ``tells_the_other_end``);
- *other things*: a clause or sentence about another named thing holds no answer when another clause
  names what the question names ("…about 600 people at Cobre Valley High School, and a second shelter
  opened in Santa Lucía" for the Santa Lucía shelter; ``qa.features.without_other_things``);
- *sums*: "How much will it cost?" and "What is the shop price of…?" want a sum, not any number
  (``qa.features.type_cues`` drops NUMBER when MONEY is asked);
- *lengths*: "How long / tall / wide…?" want a length or a span of time, not any number
  (``qa.features.type_cues``, ``DISTANCE``, ``TIME_SPAN``);
- *name of*: "What is the name of X?" asks for a name (``qa.features.asks_name``).

    python benchmarks/type_gold.py ../shared/train/squad2-train/questions.json ../shared/bench/squad2-dev/questions.json

A file's articles are the ``corpus/<doc>.txt`` files beside it (title line, then paragraphs separated
by blank lines), read as the training scripts read them (``training.data``). A gold sentence: the first
sentence of the question's paragraph holding the first gold answer as a whole token run (not "8
million" inside "$158.8 million"). No model, no store: seconds.
See docs/quality.md ("A day of the month, a clock time, a sum of money or a percentage counts nothing"
and "'In what year…?' asks for a year").
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # training/ is no installed package

from qa import features as ft
from training.data import load_questions, load_sentences


@dataclass(frozen=True)
class GoldSentence:
    question: str
    answer: str
    sentence: str


def asks_a_type(question: str) -> bool:
    return bool(ft.type_cues(question)) or ft.asks_name(question)


def gold_sentences(path: Path) -> Iterator[GoldSentence]:
    """The answerable questions of ``path`` asking for a type or a name (with every rule on or off) whose
    gold answer's sentence can be found."""
    asked = [q for q in load_questions(path) if q.answerable and q.answers]
    with sums_off(), lengths_off(), name_of_off():
        asked_before = {q.text for q in asked if asks_a_type(q.text)}
    questions = [q for q in asked if asks_a_type(q.text) or q.text in asked_before]
    by_paragraph: dict[tuple[str, int], list[str]] = {}
    for sentence in load_sentences(path.parent / "corpus"):  # the training scripts' own reading
        by_paragraph.setdefault((sentence.doc, sentence.paragraph), []).append(sentence.text)
    for q in questions:
        answer = q.answers[0]
        bounded = re.compile(rf"(?<![\w.,$€£]){re.escape(answer)}(?!\w)")
        found = next((t for t in by_paragraph.get((q.doc, q.paragraph), ()) if bounded.search(t)), None)
        if found is not None:
            yield GoldSentence(q.text, answer, found)


def holds_the_type(gold: GoldSentence) -> bool:
    """The sentence holds the asked type (a new name, for a name question); none, when the question
    (with a rule off) asks for no type: a rule that gives a question its type "gains" its sentence."""
    q = gold.question
    cues, who = ft.type_cues(q), ft.asks_name(q)
    if not cues and not who:
        return False
    kind = ft.type_match(
        gold.sentence,
        cues,
        who,
        ft.question_words(q),
        category=ft.asked_category(q),
        counted=ft.counted_words(q),
        event=ft.asked_event(q),
        names=ft.question_names(q),
    )
    return kind >= 1.0 if cues else kind > 0.0


@contextmanager
def counts_off() -> Iterator[None]:
    with (
        mock.patch.object(ft, "without_non_counts", lambda text, counted: text),
        mock.patch.object(ft, "without_calendar_times", lambda text: text),
    ):
        yield


def year_month_off() -> AbstractContextManager[object]:
    return mock.patch.object(ft, "ANSWER_TYPES", tuple(t for t in ft.ANSWER_TYPES if t[1] not in (ft.YEAR, ft.MONTH)))


def start_end_off() -> AbstractContextManager[object]:
    return mock.patch.object(ft, "asked_event", lambda question: None)


def other_things_off() -> AbstractContextManager[object]:
    return mock.patch.object(ft, "without_other_things", lambda text, names: text)


_TYPE_CUES = ft.type_cues


def _with_any_number(question: str) -> tuple[re.Pattern[str], ...]:
    cues = _TYPE_CUES(question)
    return (*cues, ft.NUMBER) if ft.MONEY in cues and ft.NUMBER not in cues else cues


def sums_off() -> AbstractContextManager[object]:
    return mock.patch.object(ft, "type_cues", _with_any_number)


def lengths_off() -> AbstractContextManager[object]:
    return mock.patch.object(ft, "_ASKS_DIMENSION", re.compile(r"(?!)"))


def name_of_off() -> AbstractContextManager[object]:
    return mock.patch.object(ft, "_ASKS_NAME_OF", re.compile(r"(?!)"))


RULES: dict[str, Callable[[], AbstractContextManager[object]]] = {
    "counts": counts_off,
    "year/month": year_month_off,
    "start/end": start_end_off,
    "other things": other_things_off,
    "sums": sums_off,
    "lengths": lengths_off,
    "name of": name_of_off,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", nargs="+", type=Path, help="SQuAD-layout questions.json files")
    parser.add_argument("--list", action="store_true", help="also list the questions a rule gives the type to")
    args = parser.parse_args()
    # "loses": the gold sentence holds the asked type with the rule off, not with it on; "gains": the
    # other way (for year/month also a trailing "…in what year?" that no other cue reads).
    header = f"{'file':<44} {'questions':>9} {'lack the type':>13}"
    header += "".join(f" {rule + ' loses':>17} {rule + ' gains':>17}" for rule in RULES)
    print(header)
    changed: list[tuple[str, str, GoldSentence, bool]] = []
    for path in args.questions:
        golds = list(gold_sentences(path))
        on = [holds_the_type(g) for g in golds]
        row = f"{str(path)[-44:]:<44} {len(golds):>9} {on.count(False):>13}"
        for rule, off in RULES.items():
            with off():
                without = [holds_the_type(g) for g in golds]
            loses = sum(b and not a for a, b in zip(on, without, strict=True))
            gains = sum(a and not b for a, b in zip(on, without, strict=True))
            row += f" {loses:>17} {gains:>17}"
            changed += [(rule, path.name, g, now) for g, now, before in zip(golds, on, without, strict=True) if now != before]
        print(row)
    for rule, name, g, now in changed:
        if not now or args.list:
            verb = "gains" if now else "loses"
            print(f"  {rule} {verb} the type ({name}): {g.question} | {g.answer!r} | {g.sentence[:110]}")


if __name__ == "__main__":
    main()
