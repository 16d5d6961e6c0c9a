"""``CorpusQA``: runs the answer pipeline once per question over a :class:`CorpusReader`."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from . import pipeline as pl
from .confidence import ConfidenceModel, answer_probability, support_level
from .errors import InvalidQuestionError, QuoteIntegrityError
from .features import asked_kind, asked_place, defined_term, pinned_time, speaker_in_words, withheld_in_words
from .lexical import LexicalIndex
from .protocols import CorpusReader, Snapshot
from .records import Answer, Passage, Quote
from .render import NOT_IN_ARTICLES, answer_markdown
from .settings import AnswerSettings


@dataclass(frozen=True)
class Evidence:
    """One pipeline run before the decision: what evaluation and tuning read."""

    snapshot: Snapshot
    query: pl.Query
    ranked: tuple[pl.Ranked, ...]
    candidates: tuple[pl.Candidate, ...]
    features: dict[str, float]
    confidence: float


class CorpusQA:
    """Answers questions about one corpus with verbatim quotes.

    The reader (store, model) comes in ready-made; this object keeps only the
    BM25 index, rebuilt when the reader's snapshot revision changes.
    """

    def __init__(
        self,
        reader: CorpusReader,
        settings: AnswerSettings | None = None,
        *,
        confidence_model: ConfidenceModel | None = None,
        index_dir: Path | None = None,
    ) -> None:
        self.reader = reader
        self.settings = settings or AnswerSettings()
        self.confidence_model = confidence_model or ConfidenceModel.load()
        # Per-revision folders where the BM25 index is kept between processes; None: memory only.
        self.index_dir = index_dir
        self._lexical_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="corpus-qa-query")
        self._lexical: tuple[str, LexicalIndex] | None = None

    # -- public -------------------------------------------------------------------

    def answer(self, question: str, *, history: object = None) -> Answer:
        """Quotes that answer ``question``, or an abstention; one retrieval, one embedding."""
        return self.decide(self.evidence(question, history=history))

    def retrieve(self, question: str, *, k: int = 5, history: object = None) -> list[Passage]:
        """The ``k`` best passages, by reciprocal-rank fusion of dense and BM25 ranks."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidQuestionError(f"k must be a positive integer, not {k!r}.")
        snapshot = self.reader.snapshot
        query = pl.build_query(question, history, self.settings, self.reader.embed)
        ranked = self._rank(snapshot, query, max(k, self.settings.candidates))
        snapshot.warm([r.chunk_id for r in ranked[:k]])
        return [pl.make_passage(snapshot, r) for r in ranked[:k]]

    def evidence(self, question: str, *, history: object = None) -> Evidence:
        """Run every stage up to the decision (for ``answer``, evaluation and tuning)."""
        s = self.settings
        snapshot = self.reader.snapshot
        query = pl.build_query(question, history, s, self.reader.embed)
        # The sentence query does not depend on the chunk ranking: it runs meanwhile (both are
        # mostly waiting on Chroma), so an answer costs about one query's latency, not two.
        pending = (
            self._pool.submit(self.reader.query_sentences, query.vector, s.sentence_candidates)
            if snapshot.chunks
            else None
        )
        ranked = self._rank(snapshot, query, s.candidates)
        lexical = self.lexical(snapshot)
        candidates: list[pl.Candidate] = []
        hits: list[tuple[str, int, float]] = []
        if ranked and pending is not None:
            hits = pending.result()
            keys = pl.sentence_keys(snapshot, ranked, hits, s)
            # One fetch for every article the candidates come from (texts may live in the store),
            # beside the fetch of their sentence vectors: neither needs the other.
            chunk_ids = [r.chunk_id for r in ranked] + [cid for cid, _, _ in hits if cid in snapshot.chunks]
            warming = self._pool.submit(snapshot.warm, chunk_ids)
            vectors = self.reader.sentence_vectors(keys)
            warming.result()
            scored = pl.score_sentences(snapshot, query, ranked, keys, vectors, lexical, s)
            candidates = pl.prefer_typed(query, pl.prefer_named(query, scored), s)
        features = pl.decision_features(query, ranked, candidates, lexical, hits)
        confidence = answer_probability(self.confidence_model, features, s) if candidates else 0.0
        return Evidence(snapshot, query, tuple(ranked), tuple(candidates), features, confidence)

    def decide(self, evidence: Evidence) -> Answer:
        """Quotes when the evidence is strong enough, else a plain "the articles don't say"."""
        s = self.settings
        snapshot = evidence.snapshot
        passages = tuple(pl.make_passage(snapshot, r) for r in evidence.ranked[: s.passages])
        confidence = round(evidence.confidence, 4)
        support = support_level(confidence, s.abstain_below, s.strong_from)
        if support == "none":
            abstained = Answer(
                question=evidence.query.question,
                text=NOT_IN_ARTICLES,
                quotes=(),
                abstained=True,
                confidence=confidence,
                support="none",
                passages=passages,
                closest=passages[: s.closest_passages],
                missing=_missing(evidence) if passages else "",
            )
            return replace(abstained, text=answer_markdown(abstained))
        caveat = ""
        if evidence.features.get("speaker_missing"):
            # Not an abstention cut (it fires on right answers whose attribution stands earlier:
            # docs/quality.md), but no quote that hides who speaks is "strong" support.
            caveat = f"the quote does not show {speaker_in_words(evidence.query.text)} speaking"
            support = "partial"
        quotes = tuple(pl.pick_quotes(snapshot, evidence.candidates, s))
        # Verbatim by construction; checked so that a bug can never show a false quote.
        check_quotes(quotes, {q.doc_id: snapshot.documents[q.doc_id].text for q in quotes})
        answer = Answer(
            question=evidence.query.question,
            text="",
            quotes=quotes,
            abstained=False,
            confidence=confidence,
            support=support,
            passages=passages,
            caveat=caveat,
        )
        return replace(answer, text=answer_markdown(answer))

    def lexical(self, snapshot: Snapshot) -> LexicalIndex:
        """The BM25 index of ``snapshot``'s chunks: built once per revision, kept in ``index_dir``."""
        with self._lexical_lock:
            if self._lexical is None or self._lexical[0] != snapshot.revision:
                folder = self._lexical_folder(snapshot)
                index = LexicalIndex.load(folder) if folder is not None else None
                if index is None:
                    index = LexicalIndex(list(snapshot.chunk_order), snapshot.chunk_texts())
                    if folder is not None:
                        _save_atomically(index, folder)
                self._lexical = (snapshot.revision, index)
            return self._lexical[1]

    def _lexical_folder(self, snapshot: Snapshot) -> Path | None:
        if self.index_dir is None or snapshot.revision in {"", "empty"}:
            return None
        # The chunk list is part of the key: a snapshot that serves a subset of a revision's
        # chunks (an article unreadable right now) never reuses the whole revision's index.
        digest = hashlib.sha256("\n".join(snapshot.chunk_order).encode()).hexdigest()[:16]
        return self.index_dir / snapshot.revision / f"lexical-{digest}"

    # -- stages that read storage ---------------------------------------------------

    def _rank(self, snapshot: Snapshot, query: pl.Query, depth: int) -> list[pl.Ranked]:
        if not snapshot.chunks:
            return []
        dense = [
            (cid, sim)
            for cid, sim in self.reader.query_chunks(query.vector, min(depth, len(snapshot.chunks)))
            if cid in snapshot.chunks
        ]
        lexical = self.lexical(snapshot).search(query.parts, depth)
        return pl.fuse(dense, lexical, self.settings)


def _missing(evidence: Evidence) -> str:
    """What the abstention names as absent: the kind of answer asked for, the asked-for speaker's words, or a name."""
    if evidence.features.get("type_missing") or evidence.features.get("type_rescued"):
        # Rescued: the sentence closest in wording gives none; the one that does is no sure answer.
        question = evidence.query.text
        return asked_kind(question) or asked_place(question) or ("definition" if defined_term(question) else "")
    if evidence.features.get("time_missing"):
        return f"mention of “{pinned_time(evidence.query.text)}”"
    if evidence.features.get("speaker_silent"):
        return f"quote from {speaker_in_words(evidence.query.text)}"
    if evidence.features.get("name_withheld"):
        return withheld_in_words(evidence.query.text)
    return ""


def _save_atomically(index: LexicalIndex, folder: Path) -> None:
    """Write into a temporary folder, then rename it into place; a failure only costs a rebuild later."""
    tmp = folder.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        index.save(tmp)
        os.replace(tmp, folder)
    except OSError:  # read-only or full disk, or another process saved it first
        shutil.rmtree(tmp, ignore_errors=True)


def check_quotes(quotes: Iterable[Quote], documents: Mapping[str, str]) -> None:
    """Raise :class:`QuoteIntegrityError` unless ``documents[q.doc_id][q.start:q.end] == q.text`` for each."""
    for q in quotes:
        if documents.get(q.doc_id, "")[q.start : q.end] != q.text:
            raise QuoteIntegrityError(f"Quote {q.text[:40]!r} is not at {q.doc_id}[{q.start}:{q.end}].")


__all__ = ["NOT_IN_ARTICLES", "AnswerSettings", "CorpusQA", "Evidence", "check_quotes"]
