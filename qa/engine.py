"""Hybrid retrieval and quote selection over one indexed corpus."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vectorstore.chroma_store import sentence_id
from vectorstore.index import CorpusIndex, IndexSnapshot

from .errors import InvalidHistoryError, InvalidQuestionError, QuoteIntegrityError
from .lexical import LexicalIndex, tokenize
from .records import Answer, Passage, Quote

NOT_IN_ARTICLES = "The articles don't answer this question."

# Question-type cues: a question of this kind prefers sentences holding that kind of answer.
_MONTHS = r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(tember)?|oct(ober)?|nov(ember)?|dec(ember)?"
_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow"
_ANSWER_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(r"\b(handle|twitter|username|user name|social media|instagram|account)\b", re.I),
        re.compile(r"(^|\s)@\w{2,}"),
    ),
    (
        re.compile(r"\b(author|wrote|written|byline|reporter|journalist|correspondent)\b", re.I),
        re.compile(r"^(by\s+[A-Z]|@\w{2,})"),
    ),
    (
        re.compile(r"^(when\b|(in |on |at )?(what|which) (year|day|date|month|time|century|decade)\b)", re.I),
        re.compile(
            rf"\b({_MONTHS}|{_DAYS}|1[0-9]{{3}}|20[0-9]{{2}}|[0-9]{{1,2}}(st|nd|rd|th)?\s+century)\b", re.I
        ),
    ),
    (
        re.compile(
            r"^(how (many|much|old|long|far|big|large|tall|high|often)|what (percentage|number|amount|share))\b",
            re.I,
        ),
        re.compile(
            r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|dozen)\b",
            re.I,
        ),
    ),
)

_WHO = re.compile(r"^(who|whom|whose)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)")


def _name_score(text: str, question_words: set[str]) -> float:
    """How well ``text`` answers a 'who' question.

    1.0 for a new name in apposition to the question's words ("Foreign
    Minister Bruno Rodriguez Parrilla", "Volodin, the speaker of the Duma"),
    0.5 for any capitalised name the question does not already contain.
    """
    best = 0.0
    for match in _NAME.finditer(text):
        parts = match.group(1).split()
        new = [p for p in parts if p.casefold() not in question_words]
        if not new:
            continue
        best = max(best, 0.5)
        inside = [p for p in parts if p.casefold() in question_words]
        tail = text[match.end() : match.end() + 50]
        after = re.findall(r"\w+", tail)[:4] if re.match(r",\s+(the\s+|a\s+)?\w", tail) else []
        if any(w.casefold() in question_words and len(w) > 3 for w in inside + after):
            return 1.0
    return best


_FOLLOW_UP = re.compile(
    r"\b(he|him|his|she|her|hers|they|them|their|it|its|this|that|these|those|there|then)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class AnswerSettings:
    """How passages are fused and quotes chosen; the same for every corpus.

    The weights and the abstention threshold were chosen on the shared
    development sets (see docs/quality.md), never per question.
    """

    candidates: int = 30
    rrf_k: int = 60
    answer_passages: int = 6
    sentence_candidates: int = 20
    max_quotes: int = 3
    quote_margin: float = 0.08
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    passage_weight: float = 0.2
    type_weight: float = 0.1
    abstain_below: float = 0.35
    history_weight: float = 0.5
    short_sentence_chars: int = 60
    max_quote_chars: int = 400
    max_question_chars: int = 2000


@dataclass(frozen=True)
class _Query:
    text: str
    vector: np.ndarray
    parts: tuple[tuple[tuple[str, ...], float], ...]


@dataclass(frozen=True)
class _Scored:
    sid: str
    chunk_id: str
    position: int
    dense: float
    coverage: float
    passage: float
    type_match: float
    score: float


def validate_question(question: object, limit: int) -> str:
    if not isinstance(question, str):
        raise InvalidQuestionError(f"The question must be text, not {type(question).__name__}.")
    if "\x00" in question:
        raise InvalidQuestionError("The question contains NUL characters: remove them and ask again.")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidQuestionError(
            "The question contains invalid characters (lone surrogates): retype it and ask again."
        ) from None
    text = question.strip()
    if not text:
        raise InvalidQuestionError("Please type a question about the articles.")
    if len(text) > limit:
        raise InvalidQuestionError(
            f"The question is {len(text):,} characters long; the limit is {limit:,}. "
            "Ask it in a sentence or two."
        )
    return text


def previous_questions(history: object) -> list[str]:
    """The user's earlier questions, newest last, from any common chat-history shape.

    Accepts a list of strings, of ``(user, assistant)`` pairs, or of
    ``{"role": ..., "content": ...}`` messages (Gradio's format).
    """
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise InvalidHistoryError(
            f"history must be a list of turns, not {type(history).__name__}: pass "
            '[{"role": "user", "content": "..."}, ...] or [(question, answer), ...].'
        )
    questions: list[str] = []
    for i, turn in enumerate(history):
        if isinstance(turn, str):
            questions.append(turn)
        elif isinstance(turn, dict):
            role, content = turn.get("role"), turn.get("content")
            if role not in {"user", "assistant", "system"}:
                raise InvalidHistoryError(f"history[{i}] has role {role!r}: use 'user' or 'assistant'.")
            if role == "user":
                questions.append(_content_text(content, i))
        elif isinstance(turn, list | tuple) and len(turn) == 2:
            if turn[0] is not None:
                questions.append(_content_text(turn[0], i))
        else:
            raise InvalidHistoryError(
                f"history[{i}] is a {type(turn).__name__}: each turn must be a message dict, "
                "a (question, answer) pair or a string."
            )
    return [q for q in questions if q.strip()]


def _content_text(content: object, i: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Gradio's list of content parts
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content if p)
    if isinstance(content, dict) and isinstance(content.get("text"), str):
        return str(content["text"])
    raise InvalidHistoryError(f"history[{i}] has content of type {type(content).__name__}: use text.")


def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", text).replace("\n", " ")


class CorpusQA:
    """Answers questions about one corpus with verbatim quotes.

    Heavy parts (model, store client, index) come in ready-made; this object
    only keeps the lexical index in step with the store's revision.
    """

    def __init__(self, index: CorpusIndex, settings: AnswerSettings | None = None) -> None:
        self.index = index
        self.settings = settings or AnswerSettings()
        self._lexical_lock = threading.Lock()
        self._lexical: tuple[str, LexicalIndex] | None = None

    # -- public -------------------------------------------------------------

    def retrieve(self, question: str, *, k: int = 5, history: object = None) -> list[Passage]:
        """The ``k`` best passages, by reciprocal-rank fusion of dense and BM25 ranks."""
        if not isinstance(k, int) or k < 1:
            raise InvalidQuestionError(f"k must be a positive integer, not {k!r}.")
        snapshot = self.index.snapshot
        query = self._query(question, history)
        fused = self._fused(snapshot, query, max(k, self.settings.candidates))
        return [self._passage(snapshot, cid, score) for cid, score in fused[:k]]

    def answer(self, question: str, *, history: object = None) -> Answer:
        s = self.settings
        snapshot = self.index.snapshot
        query = self._query(question, history)
        fused = self._fused(snapshot, query, s.candidates)
        if not fused:
            return self._abstain(query.text, snapshot, [])
        scored = self._score_sentences(snapshot, query, fused)
        if not scored or self.confidence(scored[0]) < s.abstain_below:
            return self._abstain(query.text, snapshot, fused)
        quotes = self._pick_quotes(snapshot, scored)
        return Answer(question=query.text, text=self._render(quotes), quotes=tuple(quotes), abstained=False)

    def confidence(self, best: _Scored) -> float:
        """How sure the best sentence answers: its similarity, plus an answer-type match."""
        return best.dense + self.settings.type_weight * best.type_match

    def evidence(self, question: str, *, history: object = None) -> list[dict[str, Any]]:
        """Scored candidate sentences, best first (for evaluation and tuning)."""
        snapshot = self.index.snapshot
        query = self._query(question, history)
        fused = self._fused(snapshot, query, self.settings.candidates)
        out = []
        for item in self._score_sentences(snapshot, query, fused):
            span = snapshot.chunks[item.chunk_id].sentences[item.position]
            doc = snapshot.documents[snapshot.chunks[item.chunk_id].doc_id]
            out.append({**item.__dict__, "text": doc.text[span.start : span.end], "doc_id": doc.doc_id})
        return out

    # -- query --------------------------------------------------------------

    def _query(self, question: object, history: object) -> _Query:
        s = self.settings
        text = validate_question(question, s.max_question_chars)
        earlier = previous_questions(history)
        texts = [text]
        parts: list[tuple[tuple[str, ...], float]] = [(tuple(tokenize(text)), 1.0)]
        # A follow-up ("Where did he meet Putin?") borrows the previous question's topic.
        if earlier and (_FOLLOW_UP.search(text) or len(text.split()) <= 4):
            texts.append(earlier[-1][: s.max_question_chars])
            parts.append((tuple(tokenize(texts[1])), s.history_weight))
        vectors = self.index.embedder.encode(texts)
        vector = vectors[0].copy()
        if len(texts) > 1:
            vector = vector + s.history_weight * vectors[1]
            vector /= float(np.linalg.norm(vector)) or 1.0
        return _Query(text=text, vector=vector, parts=tuple(parts))

    def lexical(self, snapshot: IndexSnapshot) -> LexicalIndex:
        with self._lexical_lock:
            if self._lexical is None or self._lexical[0] != snapshot.revision:
                ids = list(snapshot.chunk_order)
                self._lexical = (snapshot.revision, LexicalIndex(ids, [snapshot.chunks[i].text for i in ids]))
            return self._lexical[1]

    def _fused(self, snapshot: IndexSnapshot, query: _Query, depth: int) -> list[tuple[str, float]]:
        s = self.settings
        dense = [
            (cid, sim)
            for cid, sim in self.index.store.query_chunks(
                query.vector, min(depth, max(len(snapshot.chunks), 1))
            )
            if cid in snapshot.chunks
        ]
        lexical = self.lexical(snapshot).search(query.parts, depth)
        fused: dict[str, float] = {}
        for ranking in (dense, lexical):
            for rank, (cid, _) in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (s.rrf_k + rank + 1)
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    # -- sentences ------------------------------------------------------------

    def _score_sentences(
        self, snapshot: IndexSnapshot, query: _Query, fused: list[tuple[str, float]]
    ) -> list[_Scored]:
        s = self.settings
        top = fused[: s.answer_passages]
        best_fused = top[0][1] if top else 1.0
        passage_score = {cid: score / best_fused for cid, score in fused}
        candidates: dict[str, tuple[str, int]] = {}
        for cid, _ in top:
            for j in range(len(snapshot.chunks[cid].sentences)):
                candidates[sentence_id(cid, j)] = (cid, j)
        for sid, _ in self.index.store.query_sentences(query.vector, s.sentence_candidates):
            hit_chunk, _, hit_pos = sid.rpartition("/")
            if hit_chunk in snapshot.chunks and hit_pos.isdigit():
                candidates.setdefault(sid, (hit_chunk, int(hit_pos)))
        vectors = self.index.store.sentence_vectors(list(candidates))
        lexical = self.lexical(snapshot)
        weights: dict[str, float] = {}
        for part_tokens, weight in query.parts:
            for t in set(part_tokens):
                weights[t] = max(weights.get(t, 0.0), weight * lexical.idf(t))
        total_weight = sum(weights.values()) or 1.0
        answer_types = [pattern for cue, pattern in _ANSWER_TYPES if cue.search(query.text)]
        asks_who = bool(_WHO.match(query.text))
        question_words = {w.casefold() for w in re.findall(r"\w+", query.text)}

        def coverage_of(cid: str, pos: int) -> tuple[str, float]:
            chunk = snapshot.chunks[cid]
            span = chunk.sentences[pos]
            text = snapshot.documents[chunk.doc_id].text[span.start : span.end]
            words = set(tokenize(text))
            return text, sum(w for t, w in weights.items() if _matches(t, words)) / total_weight

        scored: list[_Scored] = []
        for sid, (cid, pos) in candidates.items():
            vec = vectors.get(sid)
            if vec is None:
                continue
            text, coverage = coverage_of(cid, pos)
            dense = float(np.dot(vec, query.vector))
            passage = passage_score.get(cid, 0.0)
            type_match = 1.0 if any(p.search(text) for p in answer_types) else 0.0
            if asks_who:
                type_match = max(type_match, _name_score(text, question_words))
            score = (
                s.dense_weight * dense
                + s.lexical_weight * coverage
                + s.passage_weight * passage
                + s.type_weight * type_match
            )
            scored.append(_Scored(sid, cid, pos, dense, coverage, passage, type_match, score))
        scored.sort(key=lambda x: (-x.score, x.sid))
        return scored

    def _pick_quotes(self, snapshot: IndexSnapshot, scored: list[_Scored]) -> list[Quote]:
        s = self.settings
        best = scored[0].score
        quotes: list[Quote] = []
        seen_words: list[set[str]] = []
        for item in scored:
            if len(quotes) >= s.max_quotes or item.score < best - s.quote_margin:
                break
            quote = self._quote(snapshot, item)
            words = set(tokenize(quote.text))
            if any(_overlap(words, other) >= 0.5 for other in seen_words):
                continue
            if any(q.doc_id == quote.doc_id and q.start < quote.end and quote.start < q.end for q in quotes):
                continue
            seen_words.append(words)
            quotes.append(quote)
        return quotes

    def _quote(self, snapshot: IndexSnapshot, item: _Scored) -> Quote:
        chunk = snapshot.chunks[item.chunk_id]
        doc = snapshot.documents[chunk.doc_id]
        span = chunk.sentences[item.position]
        start, end = span.start, span.end
        # A very short sentence (a headline fragment, a handle) reads better with the next one.
        if end - start < self.settings.short_sentence_chars and item.position + 1 < len(chunk.sentences):
            following = chunk.sentences[item.position + 1]
            if following.end - start <= self.settings.max_quote_chars:
                end = following.end
        return Quote(
            text=doc.text[start:end],
            doc_id=doc.doc_id,
            title=doc.title,
            start=start,
            end=end,
            score=round(item.score, 4),
            byline=doc.byline,
            source_path=doc.source_path,
        )

    # -- output ---------------------------------------------------------------

    def _passage(self, snapshot: IndexSnapshot, cid: str, score: float) -> Passage:
        chunk = snapshot.chunks[cid]
        doc = snapshot.documents[chunk.doc_id]
        return Passage(
            text=chunk.text,
            doc_id=doc.doc_id,
            title=doc.title,
            start=chunk.start,
            end=chunk.end,
            score=round(score, 6),
            chunk_id=cid,
            byline=doc.byline,
        )

    def _abstain(self, question: str, snapshot: IndexSnapshot, fused: Sequence[tuple[str, float]]) -> Answer:
        closest = tuple(self._passage(snapshot, cid, score) for cid, score in fused[:2])
        return Answer(question=question, text=NOT_IN_ARTICLES, quotes=(), abstained=True, closest=closest)

    @staticmethod
    def _render(quotes: Sequence[Quote]) -> str:
        lines = [f"> {_escape_markdown(q.text)} [{n}]" for n, q in enumerate(quotes, 1)]
        lines.append("")
        for n, q in enumerate(quotes, 1):
            who = f" — {_escape_markdown(q.byline)}" if q.byline else ""
            link = f"<{q.source_path}>" if q.source_path else f"`{q.doc_id}`"
            lines.append(f"[{n}] *{_escape_markdown(q.title)}*{who} · {link}, characters {q.start}–{q.end}")
        return "\n".join(lines)


def _matches(token: str, words: set[str]) -> bool:
    """Exact match, or a shared stem of 5+ letters ("america" ~ "american", "negotiate" ~ "negotiations")."""
    if token in words:
        return True
    if len(token) < 5:
        return False
    stem = token[:5] if len(token) < 7 else token[: len(token) - 2]
    return any(w.startswith(stem) for w in words)


def _overlap(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def check_quotes(answer: Answer, documents: dict[str, str]) -> None:
    """Raise if any quote is not verbatim at its offsets (used by eval and tests)."""
    for q in answer.quotes:
        if documents[q.doc_id][q.start : q.end] != q.text:
            raise QuoteIntegrityError(f"Quote {q.text[:40]!r} is not at {q.doc_id}[{q.start}:{q.end}].")
