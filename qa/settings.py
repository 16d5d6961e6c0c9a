"""Every knob of the answer pipeline, with its default, in one place.

The values were chosen on the development sets (``../shared/bench/squad2-dev``,
``../shared/eval/seed-dev.json`` and ``tests/data/news-dev.json``), never per
question; docs/quality.md lists them and a test checks that table against
these defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class AnswerSettings:
    """How passages are fused, sentences scored, quotes chosen and abstention decided."""

    # -- retrieval ---------------------------------------------------------------
    candidates: int = 30
    """Chunks taken from each ranking (dense, BM25) before fusion."""
    rrf_k: int = 60
    """Reciprocal-rank-fusion constant: 1 / (rrf_k + rank)."""
    dense_fusion_weight: float = 1.0
    lexical_fusion_weight: float = 1.0
    passages: int = 6
    """Fused passages kept on the answer (Sources panel, ``-k``); their sentences are candidates."""
    sentence_candidates: int = 20
    """Nearest sentences from the whole corpus added to the candidates."""
    # -- sentence scoring --------------------------------------------------------
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    passage_weight: float = 0.2
    type_weight: float = 0.1
    # -- quotes ------------------------------------------------------------------
    max_quotes: int = 3
    quote_margin: float = 0.08
    """Further quotes must score within this of the best one."""
    near_duplicate_overlap: float = 0.5
    """A quote sharing this share of its words with an earlier one is dropped."""
    short_sentence_chars: int = 60
    """A shorter sentence (a headline fragment, a handle) is quoted with the next one."""
    pair_gain: float = 0.05
    """Quote two adjacent sentences as one when together they score this much better."""
    max_quote_chars: int = 400
    # -- abstention --------------------------------------------------------------
    abstain_below: float = 0.5
    """Abstain when the calibrated probability that the first quote answers is below this."""
    strong_from: float = 0.8
    """At or above this probability the chat says "strong support"; between the two, "partial"."""
    closest_passages: int = 2
    """Passages shown, explicitly not as an answer, when abstaining."""
    # -- questions and history ---------------------------------------------------
    history_weight: float = 0.5
    """Weight of the previous question's words and vector in a follow-up."""
    follow_up_max_words: int = 4
    """A question this short (or one with a pronoun) is read as a follow-up."""
    max_question_chars: int = 2000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"AnswerSettings.{f.name} must be a number >= 0, not {value!r}.")
        for name in ("abstain_below", "strong_from"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"AnswerSettings.{name} is a probability in [0, 1], not {getattr(self, name)!r}.")
        if self.candidates < 1 or self.passages < 1 or self.max_quotes < 1:
            raise ValueError("AnswerSettings.candidates, passages and max_quotes must be at least 1.")
