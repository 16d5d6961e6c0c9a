"""The news question sets are what they claim: answers verbatim in the named article, test apart from dev."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluation import load_questions
from tests.conftest import REPO

DATA = Path(__file__).parent / "data"
CORPUS = REPO / "vectorstore" / "default_corpus"
# (questions file, the corpus it is asked of)
SETS = {
    "news-dev.json": CORPUS,
    "news-test.json": CORPUS,
    "own-corpus/questions.json": DATA / "own-corpus" / "corpus",
    "probe-corpus/questions.json": DATA / "probe-corpus" / "corpus",
    "news-followups.json": CORPUS,
    "news-probe.json": CORPUS,
    "fresh-corpus/questions.json": DATA / "fresh-corpus" / "corpus",
    "blind-corpus/questions.json": DATA / "blind-corpus" / "corpus",
    "blind2-corpus/questions.json": DATA / "blind2-corpus" / "corpus",
    "blind3-corpus/questions.json": DATA / "blind3-corpus" / "corpus",
}


@pytest.mark.parametrize("name", SETS)
def test_every_answer_is_verbatim_in_its_article(name: str) -> None:
    questions = load_questions(DATA / name)
    assert len({q.qid for q in questions}) == len(questions), "duplicate ids"
    for q in questions:
        if not q.answerable:
            continue
        text = (SETS[name] / f"{q.doc}.txt").read_text(encoding="utf-8")
        assert all(a in text for a in q.answers), f"{q.qid}: an answer is not verbatim in {q.doc}"
        assert q.kind != "follow-up" or q.history, f"{q.qid}: a follow-up needs its history"


def test_the_held_out_set_shares_no_question_with_the_development_set() -> None:
    def asked(name: str) -> set[str]:
        data = json.loads((DATA / name).read_text(encoding="utf-8"))
        return {item["q"].casefold().strip() for key in ("questions", "unanswerable") for item in data[key]}

    assert not asked("news-dev.json") & asked("news-test.json")


def test_the_outside_probe_set_repeats_no_question_of_the_others() -> None:
    def asked(name: str) -> set[tuple[str, tuple[str, ...]]]:
        data = json.loads((DATA / name).read_text(encoding="utf-8"))
        return {
            (item["q"].casefold().strip(), tuple(item.get("history", [])))
            for key in ("questions", "unanswerable")
            for item in data[key]
        }

    probe = asked("news-probe.json")
    assert len(probe) == 54
    for other in ("news-dev.json", "news-test.json", "news-followups.json"):
        assert not probe & asked(other), other


def test_an_unanswerable_follow_up_keeps_its_history() -> None:
    (she,) = [q for q in load_questions(DATA / "own-corpus" / "questions.json") if q.question == "How old is she?"]
    assert not she.answerable and she.history == ("Who is the mayor of Dunmore?",)


def test_the_off_corpus_follow_ups_are_follow_ups_of_answered_questions() -> None:
    data = json.loads((DATA / "news-followups.json").read_text(encoding="utf-8"))
    assert data["questions"] == [] and len(data["unanswerable"]) == 20
    dev = {item["q"] for item in json.loads((DATA / "news-dev.json").read_text(encoding="utf-8"))["questions"]}
    for item in data["unanswerable"]:
        assert item["kind"] == "follow-up" and len(item["history"]) == 1, item["id"]
        assert item["q"] not in dev, item["id"]
