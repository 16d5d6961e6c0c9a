"""benchmarks/type_gold.py: finds each number or time question's gold sentence and reads it with each rule on and off."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "type_gold.py"


@pytest.fixture(scope="module")
def type_gold() -> ModuleType:
    spec = importlib.util.spec_from_file_location("type_gold", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["type_gold"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_gold_sentences_are_read_with_the_rule_on_and_off(tmp_path: Path, type_gold: ModuleType) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "Port.txt").write_text(
        "Port\n\nThe strike cost $158.8 million. It ended on June 15 after 12 weeks.\n\n"
        "The port has 14 cranes. It lost 8 million dollars.\n",
        encoding="utf-8",
    )
    questions = [
        {"id": "q1", "q": "How many cranes does the port have?", "doc": "Port", "paragraph": 1, "answers": ["14"], "answerable": True},
        # "8 million" inside "$158.8 million" is not the answer's sentence: the second one is.
        {"id": "q2", "q": "How many weeks did the strike last?", "doc": "Port", "paragraph": 0, "answers": ["12"], "answerable": True},
        {"id": "q3", "q": "How many dollars did it lose?", "doc": "Port", "paragraph": 1, "answers": ["8 million"], "answerable": True},
        {"id": "q4", "q": "How many cranes were lost?", "doc": "Port", "paragraph": 0, "answers": [], "answerable": False},
    ]
    path = tmp_path / "questions.json"
    path.write_text(json.dumps({"questions": questions}), encoding="utf-8")
    golds = list(type_gold.gold_sentences(path))
    assert [g.sentence for g in golds] == [
        "The port has 14 cranes.",
        "It ended on June 15 after 12 weeks.",
        "It lost 8 million dollars.",
    ]
    assert all(type_gold.holds_the_type(g) for g in golds)
    # A day of the month counts nothing: with the rule off, "June 15" would count the cranes.
    date_only = type_gold.GoldSentence("How many cranes does the port have?", "15", "It ended on June 15.")
    assert not type_gold.holds_the_type(date_only)
    with type_gold.counts_off():
        assert type_gold.holds_the_type(date_only)
    # "In what year…?" asks for a year: a weekday is none, unless the year rule is off.
    weekday = type_gold.GoldSentence("In what year did the strike end?", "Sunday", "It ended on Sunday.")
    assert not type_gold.holds_the_type(weekday)
    with type_gold.year_month_off():
        assert type_gold.holds_the_type(weekday)


def test_the_start_end_rule_is_read_on_and_off(type_gold: ModuleType) -> None:
    # A closure's date is no answer to when the base was built, unless the start/end rule is off.
    closure = type_gold.GoldSentence("The base was built in what year?", "2001", "The base was closed in 2001.")
    assert not type_gold.holds_the_type(closure)
    with type_gold.start_end_off():
        assert type_gold.holds_the_type(closure)


def test_the_other_things_rule_is_read_on_and_off(type_gold: ModuleType) -> None:
    # The 600 people are the high school's, no count for the fairgrounds shelter, unless the rule is off.
    other = type_gold.GoldSentence(
        "How many people stayed at the Santa Lucía shelter?",
        "600",
        "About 600 people stayed at Cobre Valley High School, and a second shelter opened in Santa Lucía.",
    )
    assert not type_gold.holds_the_type(other)
    with type_gold.other_things_off():
        assert type_gold.holds_the_type(other)
