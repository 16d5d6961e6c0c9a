"""Lexical side of retrieval: BM25 (bm25s) over chunks, plus IDF for sentence scoring."""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "else",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "from",
        "up",
        "down",
        "out",
        "off",
        "over",
        "under",
        "again",
        "further",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "can",
        "will",
        "just",
        "should",
        "now",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "i",
        "me",
        "my",
        "myself",
        "we",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "it",
        "its",
        "they",
        "them",
        "their",
        "theirs",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "would",
        "could",
        "also",
        "as",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "o",
        "re",
        "ve",
        "y",
        "said",
        "says",
        "say",
        "according",
    ]
)


# Bump when tokenizing or what is saved changes: indexes saved before are then rebuilt.
LEXICAL_VERSION = 3
# Irregular verb forms (and a few plurals) read as their base form, so "When did it begin?" finds "It
# began in 1850". Forms that are also other words (left, found, born, saw, rose, won…) are not listed.
_IRREGULAR = {
    form: base
    for base, forms in {
        "begin": "began begun", "become": "became", "break": "broke broken", "bring": "brought",
        "build": "built", "buy": "bought", "catch": "caught", "choose": "chose chosen", "come": "came",
        "do": "did done", "draw": "drew drawn", "drive": "drove driven", "eat": "eaten", "fall": "fallen",
        "feel": "felt", "fight": "fought", "fly": "flew flown", "forbid": "forbade forbidden",
        "forget": "forgot forgotten", "freeze": "froze frozen", "get": "got gotten", "give": "gave given",
        "go": "went gone", "grow": "grew grown", "have": "had", "hold": "held", "keep": "kept", "know": "knew known",
        "lead": "led", "lose": "lost", "make": "made", "mean": "meant",
        "meet": "met", "pay": "paid", "ride": "rode ridden", "rise": "risen", "run": "ran", "see": "seen",
        "seek": "sought", "sell": "sold", "send": "sent", "shake": "shook shaken", "show": "shown",
        "sing": "sang sung", "speak": "spoke spoken", "spend": "spent",
        "stand": "stood", "steal": "stole stolen", "swear": "swore sworn", "take": "took taken",
        "teach": "taught", "tell": "told", "think": "thought", "throw": "threw thrown",
        "understand": "understood", "wake": "woke woken", "wear": "wore worn", "write": "wrote written",
        "arise": "arose arisen", "bite": "bitten",
        "blow": "blew blown", "deal": "dealt", "dig": "dug", "flee": "fled", "forgive": "forgave forgiven",
        "hide": "hid hidden", "overcome": "overcame",
        "overthrow": "overthrew overthrown", "undertake": "undertook undertaken", "withdraw": "withdrew withdrawn",
        "child": "children", "man": "men", "woman": "women", "foot": "feet", "tooth": "teeth", "mouse": "mice",
    }.items()
    for form in forms.split()
}  # fmt: skip


@functools.lru_cache(maxsize=262_144)  # a corpus's vocabulary; stemming was a third of an answer's Python time
def _stem(token: str) -> str:
    """A light, predictable stemmer: possessives, regular plurals and common irregular verb forms."""
    for suffix in ("'s", "’s"):
        if token.endswith(suffix):
            token = token[: -len(suffix)]
    if token in _IRREGULAR:
        return _IRREGULAR[token]
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


# A hyphenated compound in an article ("co-operation", "e-mail") is also indexed as one word, so that
# a question spelling it unhyphenated ("cooperation") finds it. Questions keep their parts only: an
# article need not join a question's "sit-down" to answer it.
_COMPOUND = re.compile(r"[^\W_]+(?:-[^\W_]+)+", re.UNICODE)


def tokenize(text: str, *, compounds: bool = False) -> list[str]:
    """Lower-cased word tokens without stopwords, lightly stemmed. With ``compounds`` (article text),
    each hyphenated compound once more, joined, after all the words."""
    lowered = text.lower()
    out = []
    for raw in _TOKEN.findall(lowered):
        token = _stem(raw)
        if token and token not in STOPWORDS:
            out.append(token)
    if compounds and "-" in lowered:
        out += [_stem(m.group(0).replace("-", "")) for m in _COMPOUND.finditer(lowered)]
    return out


class LexicalIndex:
    """BM25 over a fixed list of chunk texts, with document frequencies kept for IDF.

    ``save`` / ``load`` keep it on disk (bm25s's arrays, memory-mapped when
    loaded), so a process starting at a revision another one indexed does
    not tokenize the corpus again.
    """

    def __init__(self, ids: Sequence[str], texts: Iterable[str]) -> None:
        import bm25s

        tokens = [tokenize(t, compounds=True) for t in texts]
        if len(tokens) != len(ids):
            raise ValueError(f"{len(ids)} ids but {len(tokens)} texts")
        bm25 = bm25s.BM25()
        if any(tokens):  # bm25s cannot index a corpus without a single word
            bm25.index(tokens, show_progress=False)
        self._setup(list(ids), bm25, empty=not any(tokens))

    def _setup(self, ids: list[str], bm25: Any, *, empty: bool) -> None:
        self.ids = ids
        self._bm25 = bm25
        self._empty = empty
        self.size = len(ids)
        if empty:
            self._df: dict[str, int] = {}
        else:
            # A token's document frequency is its column's count of stored scores (all positive).
            counts = np.diff(np.asarray(bm25.scores["indptr"]))
            self._df = {t: int(counts[c]) for t, c in bm25.vocab_dict.items() if t and c < len(counts)}
        self._vocabulary = sorted(self._df)

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (created; replaced whole by the caller)."""
        folder.mkdir(parents=True, exist_ok=True)
        if not self._empty:
            self._bm25.save(str(folder / "bm25"), show_progress=False)
        meta = {"version": LEXICAL_VERSION, "empty": self._empty, "ids": self.ids}
        (folder / "lexical.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The index saved in ``folder``; None when absent, partial or of another version."""
        import bm25s

        try:
            meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
            if meta.get("version") != LEXICAL_VERSION:
                return None
            empty = bool(meta["empty"])
            bm25 = (
                bm25s.BM25()
                if empty
                else bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
            )
            index = cls.__new__(cls)
            index._setup([str(i) for i in meta["ids"]], bm25, empty=empty)
            return index
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def has_prefix(self, prefix: str) -> bool:
        """Whether any indexed word starts with ``prefix`` (stem-aware lookups)."""
        at = bisect.bisect_left(self._vocabulary, prefix)
        return at < len(self._vocabulary) and self._vocabulary[at].startswith(prefix)

    def document_frequency(self, token: str) -> int:
        return self._df.get(token, 0)

    def idf(self, token: str) -> float:
        """Smoothed IDF; a word the corpus never uses gets the highest value."""
        n = max(self.size, 1)
        return math.log(1.0 + (n + 1) / (self._df.get(token, 0) + 0.5))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        if not self.size or not tokens or self._empty:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(tokens)), dtype=np.float32)

    def search(self, weighted: Sequence[tuple[Sequence[str], float]], k: int) -> list[tuple[str, float]]:
        """Top ``k`` chunk ids for a query given as (tokens, weight) parts."""
        if not self.size:
            return []
        total = np.zeros(self.size, dtype=np.float32)
        for tokens, weight in weighted:
            if tokens and weight:
                total += weight * self.scores(tokens)
        # Only chunks holding a query word can rank: selecting among them, not the whole corpus,
        # keeps this step small on large corpora.
        hits = np.flatnonzero(total > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-total[hits], k - 1)[:k]]
        top = hits[np.lexsort((hits, -total[hits]))]
        return [(self.ids[i], float(total[i])) for i in top]
