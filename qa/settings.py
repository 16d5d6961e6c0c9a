"""Every knob of the answer pipeline, with its default, in one place.

The values were chosen on the development sets (``../shared/bench/squad2-dev``,
``../shared/eval/seed-dev.json`` and ``tests/data/news-dev.json``), never per
question; docs/quality.md lists them and a test checks that table against
these defaults.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import InvalidSettingsError


@dataclass(frozen=True)
class AnswerSettings:
    """How passages are fused, sentences scored, quotes chosen and abstention decided."""

    # -- retrieval ---------------------------------------------------------------
    candidates: int = 30
    """Chunks taken from each ranking (dense, BM25) before fusion."""
    rrf_k: int = 60
    """Reciprocal-rank-fusion constant: 1 / (rrf_k + rank)."""
    dense_fusion_weight: float = 1.0
    """Weight of the dense ranking in the fusion."""
    lexical_fusion_weight: float = 1.0
    """Weight of the BM25 ranking in the fusion."""
    passages: int = 6
    """Fused passages kept on the answer (Sources panel, ``-k``); their sentences are candidates."""
    sentence_candidates: int = 20
    """Nearest sentences from the whole corpus added to the candidates."""
    # -- sentence scoring --------------------------------------------------------
    dense_weight: float = 1.0
    """Sentence score: cosine of question and sentence."""
    lexical_weight: float = 0.5
    """Sentence score: IDF-weighted, stem-aware share of the question's words in the sentence."""
    passage_weight: float = 0.2
    """Sentence score: fused score of the sentence's chunk, relative to the best chunk."""
    type_weight: float = 0.1
    """Sentence score: 1 when the sentence holds the kind of answer asked for (date, number, name, byline)."""
    byline_weight: float = 1.0
    """Sentence score: a byline, when the question asks who wrote the article."""
    type_rescue_margin: float = 0.1
    """When the best sentence lacks the kind of answer asked for, one holding it that scores within this goes first."""
    long_sentence_penalty: float = 0.2
    """Sentence score: subtracted from a sentence longer than ``max_quote_chars``."""
    fragment_penalty: float = 0.15
    """Sentence score: subtracted from a candidate with no whole sentence (a headline, caption or handle alone)."""
    # -- quotes ------------------------------------------------------------------
    max_quotes: int = 3
    """Most quotes in one answer."""
    quote_margin: float = 0.08
    """Further quotes must score within this of the best one."""
    corroboration_margin: float = 0.16
    """A quote from another article that holds as much of the question as the first may trail it by this much."""
    near_duplicate_overlap: float = 0.5
    """A quote sharing this share of its words with an earlier one is dropped."""
    short_sentence_chars: int = 60
    """A shorter sentence (a headline fragment, a handle) is quoted with the next one."""
    pair_gain: float = 0.025
    """Quote two adjacent sentences as one when together they score this much better."""
    max_quote_chars: int = 400
    """Longest quote, in characters (a pair of sentences must fit)."""
    # -- abstention --------------------------------------------------------------
    abstain_below: float = 0.05
    """Abstain when the calibrated probability that the first quote answers is below this (chosen on the
    development sets: docs/quality.md)."""
    missing_type_factor: float = 0.05
    """The probability is multiplied by this when the first quote lacks the kind of answer asked for (a date for
    "when", a number for "how many", an amount for "how much money", a name for "who" or "which newspaper", a
    venue for "where will the meeting be held") or the time the question pins ("…in 1973?")."""
    negation_missing_factor: float = 0.1
    """The probability is multiplied by this when the question is negated ("what did X not do?") and the first
    quote negates nothing (nor says "only", "instead" or "rather")."""
    silent_speaker_factor: float = 0.03
    """The probability is multiplied by this when the question asks for someone's words ("what did X say?") and
    none of the candidate sentences shows X speaking (below the default threshold whatever the probability)."""
    withheld_name_factor: float = 0.03
    """The probability is multiplied by this when the question asks for a name ("which London club…?", "what was
    the name of the base…?") and the first quote refers to that thing without naming it ("…to a London rival")."""
    type_rescued_factor: float = 0.3
    """The probability is multiplied by this when the first quote went ahead of a closer-worded sentence that
    lacks the asked kind of answer (``type_rescue_margin``): such a rescue is right less often."""
    strong_from: float = 0.7
    """At or above this probability the chat says "strong support"; between the two, "partial"."""
    closest_passages: int = 2
    """Passages shown, explicitly not as an answer, when abstaining."""
    # -- questions and history ---------------------------------------------------
    history_weight: float = 0.5
    """Weight of the previous question's words and vector in a follow-up."""
    follow_up_max_words: int = 4
    """A question this short (or one with a pronoun) is read as a follow-up."""
    follow_up_turns: int = 3
    """Most earlier questions a follow-up reads: the previous one, and the ones before it while each is a follow-up too."""
    max_question_chars: int = 2000
    """Longest question (and history turn) accepted."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidSettingsError(f"AnswerSettings.{f.name} must be a number >= 0, not {value!r}.")
        probabilities = (
            "abstain_below",
            "strong_from",
            "missing_type_factor",
            "negation_missing_factor",
            "silent_speaker_factor",
            "withheld_name_factor",
            "type_rescued_factor",
        )
        for name in probabilities:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InvalidSettingsError(
                    f"AnswerSettings.{name} is a probability in [0, 1], not {getattr(self, name)!r}."
                )
        for name in ("candidates", "passages", "max_quotes", "follow_up_turns", "max_question_chars"):
            if getattr(self, name) < 1:
                raise InvalidSettingsError(f"AnswerSettings.{name} must be at least 1, not {getattr(self, name)!r}.")


def markdown_table() -> str:
    """The settings table of docs/quality.md, from the field docstrings above (``python -m qa.settings``)."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AnswerSettings").body
    docs: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        documented = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
        if documented and isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            docs[node.target.id] = " ".join(str(after.value.value).split())  # type: ignore[attr-defined]
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{f.name}` | `{f.default!r}` | {docs.get(f.name, '')} |" for f in fields(AnswerSettings)]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
