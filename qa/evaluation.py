"""``corpus-qa eval``: answer quality and retrieval figures, beside baselines.

Metrics follow the retrieval literature: for answerable questions, the share
whose first quote contains a gold answer (case-insensitive,
whitespace-normalised; a quote over 400 characters never counts), the share
where any quote does, passage recall@1/@5 and MRR of ``retrieve``; for
unanswerable ones, the share that abstained.

Baselines run on the same model and corpus in the same process:

* ``bm25``: BM25 ranks the chunks; the quote is the sentence of the top five
  chunks with the most question-word weight.
* ``dense``: Chroma's nearest chunks; the quote is the top-five chunks'
  sentence nearest the question.
* ``langchain``: the common recipe: 1,000-character chunks with 200 overlap,
  dense top-k, the whole first chunk as "the answer" (its hit is counted
  regardless of length, as users of that recipe would read it).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from vectorstore.sentences import normalise

from .engine import CorpusQA, Evidence, check_quotes
from .errors import InvalidQuestionError, QAError, QuoteIntegrityError
from .lexical import tokenize
from .protocols import Snapshot

MAX_QUOTE_CHARS = 400


@dataclass(frozen=True)
class EvalQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]
    doc: str | None
    answerable: bool
    history: tuple[str, ...] = ()
    kind: str = ""


@dataclass(frozen=True)
class Outcome:
    """One question: the engine's confidence, and whether its first candidate quote holds a gold answer
    (always False for unanswerable questions), whatever the threshold decided."""

    qid: str
    answerable: bool
    confidence: float
    answers: bool


@dataclass(frozen=True)
class SystemScores:
    """One system's figures; ratios are shares in [0, 1], None where a set has no question they count."""

    system: str
    answerable: int
    unanswerable: int
    first_quote_hit: float | None
    any_quote_hit: float | None
    recall_at_1: float | None
    recall_at_5: float | None
    mrr: float | None
    abstained_unanswerable: float | None
    false_abstentions: float | None
    not_verbatim: float
    mean_quote_chars: float
    latency_p50_ms: float
    latency_p95_ms: float
    notes: str = ""


@dataclass(frozen=True)
class EvalReport:
    questions_file: str
    corpus: str
    systems: tuple[SystemScores, ...]
    misses: tuple[dict[str, Any], ...] = field(default=())
    outcomes: tuple[Outcome, ...] = field(default=())
    """Per question of the first system: its confidence and whether its first quote answers."""

    def reliability(self, bins: int = 5) -> list[tuple[float, float, int, float, float]]:
        """Rows ``(low, high, questions, mean confidence, share whose first quote answers)``."""
        rows = []
        for i in range(bins):
            low, high = i / bins, (i + 1) / bins
            inside = [
                o
                for o in self.outcomes
                if low <= o.confidence < high or (i == bins - 1 and o.confidence == 1.0)
            ]
            if inside:
                rows.append(
                    (low, high, len(inside), statistics.fmean(o.confidence for o in inside),
                     statistics.fmean(o.answers for o in inside))
                )  # fmt: skip
        return rows

    def thresholds(
        self, steps: Sequence[float] = (0.02, 0.04, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    ) -> list[tuple[float, float | None, float | None, float | None]]:
        """Rows ``(threshold, first-quote hit, unanswerable abstained, false abstentions)``; None for a
        share of no questions (a set without answerable, or without unanswerable, ones)."""
        answerable = [o for o in self.outcomes if o.answerable]
        unanswerable = [o for o in self.outcomes if not o.answerable]
        rows = []
        for t in steps:
            hit = _share(sum(o.answers and o.confidence >= t for o in answerable), len(answerable))
            abstained = _share(sum(o.confidence < t for o in unanswerable), len(unanswerable))
            false = _share(sum(o.confidence < t for o in answerable), len(answerable))
            rows.append((t, hit, abstained, false))
        return rows

    def calibration_table(self) -> str:
        lines = ["reliability: confidence bin, questions, mean confidence, share whose first quote answers"]
        for low, high, n, mean, share in self.reliability():
            lines.append(f"  [{low:.1f}, {high:.1f})  {n:5d}  {mean:6.3f}  {share:6.3f}")
        lines.append("threshold: first-quote hit, unanswerable abstained, false abstentions")
        for t, *shares in self.thresholds():
            lines.append(f"  {t:.2f}  " + "  ".join(_percent(v) for v in shares))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions_file": self.questions_file,
            "corpus": self.corpus,
            "systems": [asdict(s) for s in self.systems],
            "reliability": self.reliability(),
            "thresholds": self.thresholds(),
        }

    def table(self) -> str:
        head = (
            f"{'system':<11} {'first':>6} {'any':>6} {'R@1':>6} {'R@5':>6} {'MRR':>6} "
            f"{'abst.':>6} {'false':>6} {'!verb':>6} {'chars':>6} {'p50ms':>7} {'p95ms':>7}"
        )
        lines = [f"{self.questions_file} on {self.corpus}", head, "-" * len(head)]
        for s in self.systems:
            mrr = "   –  " if s.mrr is None else f"{s.mrr:6.3f}"
            shares = [_percent(v) for v in (s.first_quote_hit, s.any_quote_hit, s.recall_at_1, s.recall_at_5)]
            after = [_percent(v) for v in (s.abstained_unanswerable, s.false_abstentions, s.not_verbatim)]
            lines.append(
                f"{s.system:<11} {' '.join(shares)} {mrr} {' '.join(after)} "
                f"{s.mean_quote_chars:6.0f} {s.latency_p50_ms:7.1f} {s.latency_p95_ms:7.1f}"
            )
        first = self.systems[0]
        lines.append(
            f"({first.answerable} answerable, {first.unanswerable} unanswerable questions; "
            "first/any: a gold answer in the first/any quote of at most 400 characters; "
            "abst.: unanswerable questions abstained; false: answerable ones abstained)"
        )
        lines.extend(f"note: {s.system}: {s.notes}" for s in self.systems if s.notes)
        return "\n".join(lines)


def contains_answer(text: str, answers: Sequence[str], *, limit: int | None = MAX_QUOTE_CHARS) -> bool:
    if limit is not None and len(text) > limit:
        return False
    haystack = normalise(text)
    return any(normalise(a) in haystack for a in answers if a.strip())


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read seed-dev style (``questions`` + ``unanswerable``) or SQuAD style (``answerable`` flags).

    A file that cannot be read is a :class:`QAError`; an entry without a usable question, answers
    list or history is an :class:`InvalidQuestionError` naming the file, the entry and the fix.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QAError(f"Questions file {path} does not exist.") from None
    except IsADirectoryError:
        raise QAError(f"Questions file {path} is a folder: give a questions .json file.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QAError(f"Questions file {path} is not valid JSON ({exc}).") from None
    except OSError as exc:
        raise QAError(f"Questions file {path} cannot be read ({exc.strerror or exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QAError(f"{path} has no 'questions' list: use the seed-dev or squad2-dev format.")
    unanswerable = data.get("unanswerable", [])
    if not isinstance(unanswerable, list):
        raise QAError(f"{path}: 'unanswerable' must be a list of entries like the 'questions' ones.")
    out: list[EvalQuestion] = []
    for i, item in enumerate(data["questions"]):
        item = _entry(path, "questions", i, item)
        answers = _strings(path, "questions", i, item, "answers")
        answerable = bool(item.get("answerable", True))
        out.append(
            EvalQuestion(
                qid=str(item.get("id", i)),
                question=item["q"],
                answers=answers,
                doc=item.get("doc"),
                answerable=answerable and bool(answers),
                history=_strings(path, "questions", i, item, "history"),
                kind=str(item.get("kind", "")),
            )
        )
    for i, item in enumerate(unanswerable):
        item = _entry(path, "unanswerable", i, item)
        out.append(
            EvalQuestion(
                str(item.get("id", f"u{i}")),
                item["q"],
                (),
                None,
                False,
                history=_strings(path, "unanswerable", i, item, "history"),
                kind=str(item.get("kind", "")),
            )
        )
    return out


def _entry(path: Path, section: str, i: int, item: object) -> dict[str, Any]:
    """One questions-file entry, checked: an object whose ``q`` is a non-empty string (``doc``: a string or null)."""
    where = f"{path}: {section}[{i}]"
    if not isinstance(item, dict):
        raise InvalidQuestionError(f'{where} is not an object: write {{"q": "the question", ...}}.')
    if "q" not in item:
        hint = " ('question' is not read: the key is 'q')" if "question" in item else ""
        raise InvalidQuestionError(f"{where} has no 'q', the question text{hint}.")
    question = item["q"]
    if not isinstance(question, str):
        raise InvalidQuestionError(
            f"{where}: 'q' must be a string, not {type(question).__name__} {question!r:.40}."
        )
    if not question.strip():
        raise InvalidQuestionError(f"{where}: 'q' is empty: write the question.")
    doc = item.get("doc")
    if doc is not None and not isinstance(doc, str):
        raise InvalidQuestionError(
            f"{where}: 'doc' must be the article's file stem (a string) or null, not {doc!r:.40}."
        )
    return item


def _strings(path: Path, section: str, i: int, item: dict[str, Any], key: str) -> tuple[str, ...]:
    """``answers`` or ``history``: absent, null or a list of strings."""
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidQuestionError(
            f"{path}: {section}[{i}]: {key!r} must be a list of strings, not {value!r:.60}."
        )
    return tuple(value)


def first_candidate_answers(q: EvalQuestion, evidence: Evidence) -> bool:
    """Whether the engine's first quote — its best candidate, whatever the threshold decides —
    holds a gold answer and comes from the question's article (False for unanswerable questions)."""
    best = evidence.candidates[0] if evidence.candidates else None
    return bool(
        q.answerable
        and best is not None
        and _doc_matches(best.doc_id, q.doc)
        and contains_answer(best.text, q.answers)
    )


def _doc_matches(doc_id: str, doc: str | None) -> bool:
    return doc is None or Path(doc_id).stem == doc


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


@dataclass
class _Tally:
    """One system's running counts; every system is tallied by the same :meth:`add`."""

    first: int = 0
    any: int = 0
    r1: int = 0
    r5: int = 0
    rr: float = 0.0
    abstained_u: int = 0
    false_abst: int = 0
    quotes: int = 0
    bad: int = 0
    chars: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def add(
        self,
        q: EvalQuestion,
        quotes: Sequence[tuple[str, str]],
        ranked: Sequence[tuple[str, str]],
        *,
        abstained: bool,
        latency_ms: float,
        not_verbatim: int = 0,
        quote_limit: int | None = MAX_QUOTE_CHARS,
    ) -> bool:
        """Count one question: ``quotes`` and ``ranked`` passages as ``(doc_id, text)``; True on a first-quote hit."""
        self.latencies.append(latency_ms)
        self.quotes += len(quotes)
        self.bad += not_verbatim
        self.chars.extend(len(text) for _, text in quotes)
        if not q.answerable:
            self.abstained_u += abstained
            return False
        self.false_abst += abstained

        def hit(item: tuple[str, str], limit: int | None) -> bool:
            return _doc_matches(item[0], q.doc) and contains_answer(item[1], q.answers, limit=limit)

        first = bool(quotes) and hit(quotes[0], quote_limit)
        self.first += first
        self.any += any(hit(x, quote_limit) for x in quotes)
        ranks = [i for i, p in enumerate(ranked[:5]) if hit(p, None)]
        if ranks:
            self.r1 += ranks[0] == 0
            self.r5 += 1
            self.rr += 1.0 / (ranks[0] + 1)
        return first


def _share(count: float, of: int) -> float | None:
    """``count`` out of ``of`` questions; None when there are none to count."""
    return count / of if of else None


def _percent(value: float | None) -> str:
    return "   –  " if value is None else f"{100 * value:5.1f}%"


def _scores(
    name: str, t: _Tally, n_ans: int, n_un: int, *, retrieval: bool, abstains: bool, notes: str = ""
) -> SystemScores:
    # A set of off-corpus questions alone has no answerable one: its hit rates are "–", not 0%.
    return SystemScores(
        system=name,
        answerable=n_ans,
        unanswerable=n_un,
        first_quote_hit=_share(t.first, n_ans),
        any_quote_hit=_share(t.any, n_ans),
        recall_at_1=_share(t.r1, n_ans) if retrieval else None,
        recall_at_5=_share(t.r5, n_ans) if retrieval else None,
        mrr=_share(t.rr, n_ans) if retrieval else None,
        abstained_unanswerable=_share(t.abstained_u, n_un) if abstains else (0.0 if n_un else None),
        false_abstentions=_share(t.false_abst, n_ans),
        not_verbatim=t.bad / max(t.quotes, 1),
        mean_quote_chars=statistics.fmean(t.chars) if t.chars else 0.0,
        latency_p50_ms=_percentile(t.latencies, 50),
        latency_p95_ms=_percentile(t.latencies, 95),
        notes=notes,
    )


def evaluate(
    engine: CorpusQA,
    questions: Sequence[EvalQuestion],
    *,
    baselines: bool = False,
    progress: bool = False,
    questions_file: str = "",
    name: str = "corpus-qa",
) -> EvalReport:
    """Answer every question once (one pipeline run each) and tally quotes, passages and abstentions."""
    snapshot = engine.reader.snapshot
    texts = {d: doc.text for d, doc in snapshot.documents.items()}
    n_ans = sum(q.answerable for q in questions)
    n_un = len(questions) - n_ans
    ours = _Tally()
    misses: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    for q in tqdm(questions, desc=name, disable=not progress):
        started = time.perf_counter()
        evidence = engine.evidence(q.question, history=list(q.history) or None)
        answer = engine.decide(evidence)
        latency = 1000 * (time.perf_counter() - started)
        outcomes.append(Outcome(q.qid, q.answerable, answer.confidence, first_candidate_answers(q, evidence)))
        try:
            check_quotes(answer.quotes, texts)
            bad = 0
        except QuoteIntegrityError:
            bad = len(answer.quotes)
        quotes = [(x.doc_id, x.text) for x in answer.quotes]
        passages = [(p.doc_id, p.text) for p in answer.passages]
        first = ours.add(
            q, quotes, passages, abstained=answer.abstained, latency_ms=latency, not_verbatim=bad
        )
        if (q.answerable and not first) or (not q.answerable and not answer.abstained):
            misses.append(
                {
                    "id": q.qid,
                    "q": q.question,
                    "answers": q.answers,
                    "first": answer.quotes[0].text if answer.quotes else None,
                    "confidence": answer.confidence,
                }
            )
    systems = [_scores(name, ours, n_ans, n_un, retrieval=True, abstains=True)]
    if baselines:
        systems.extend(_baselines(engine, questions, n_ans, n_un, progress))
    return EvalReport(
        questions_file=questions_file,
        corpus=engine.reader.location,
        systems=tuple(systems),
        misses=tuple(misses),
        outcomes=tuple(outcomes),
    )


def _best_sentence(
    snapshot: Snapshot, chunk_ids: Sequence[str], score: Callable[[str], float]
) -> tuple[str, str] | None:
    """The highest-scoring sentence of ``chunk_ids`` as ``(doc_id, text)``."""
    best: tuple[float, str, str] | None = None
    for cid in chunk_ids:
        chunk = snapshot.chunks[cid]
        text = snapshot.documents[chunk.doc_id].text
        for span in chunk.sentences:
            sentence = text[span.start : span.end]
            value = score(sentence)
            if best is None or value > best[0]:
                best = (value, chunk.doc_id, sentence)
    return None if best is None else best[1:]


def _baselines(
    engine: CorpusQA, questions: Sequence[EvalQuestion], n_ans: int, n_un: int, progress: bool
) -> list[SystemScores]:
    reader = engine.reader
    snapshot = reader.snapshot
    lexical = engine.lexical(snapshot)
    sentence_cache: dict[str, np.ndarray] = {}

    def sentence_vector(text: str) -> np.ndarray:
        if text not in sentence_cache:
            sentence_cache[text] = reader.embed([text])[0]
        return sentence_cache[text]

    def chunks_of(ids: Sequence[str]) -> list[tuple[str, str]]:
        return [(snapshot.chunks[c].doc_id, snapshot.chunks[c].text) for c in ids]

    tallies = {"bm25": _Tally(), "dense": _Tally(), "langchain": _Tally()}
    lc_texts, lc_docs, lc_vectors = _langchain_chunks(engine)
    for q in tqdm(questions, desc="baselines", disable=not progress):
        q_tokens = tokenize(q.question)
        weights = {t: lexical.idf(t) for t in set(q_tokens)}
        started = time.perf_counter()
        bm25 = [cid for cid, _ in lexical.search([(q_tokens, 1.0)], 5)]
        pick = _best_sentence(snapshot, bm25, partial(_weight_of, weights))
        elapsed = 1000 * (time.perf_counter() - started)
        tallies["bm25"].add(q, [pick] if pick else [], chunks_of(bm25), abstained=False, latency_ms=elapsed)

        started = time.perf_counter()
        vector = reader.embed([q.question])[0]
        dense = [cid for cid, _ in reader.query_chunks(vector, 5) if cid in snapshot.chunks]
        pick = _best_sentence(snapshot, dense, partial(_similarity, sentence_vector, vector))
        elapsed = 1000 * (time.perf_counter() - started)
        tallies["dense"].add(q, [pick] if pick else [], chunks_of(dense), abstained=False, latency_ms=elapsed)

        started = time.perf_counter()
        order = [int(i) for i in np.argsort(-(lc_vectors @ vector))[:5]] if len(lc_texts) else []
        elapsed = 1000 * (time.perf_counter() - started)
        ranked = [(lc_docs[i], lc_texts[i]) for i in order]
        tallies["langchain"].add(q, ranked[:1], ranked, abstained=False, latency_ms=elapsed, quote_limit=None)
    note = "retrieval on the same chunks; the quote is the best sentence of its top 5 chunks by that signal alone"
    return [
        _scores("bm25", tallies["bm25"], n_ans, n_un, retrieval=True, abstains=False, notes=note),
        _scores("dense", tallies["dense"], n_ans, n_un, retrieval=True, abstains=False),
        _scores(
            "langchain",
            tallies["langchain"],
            n_ans,
            n_un,
            retrieval=True,
            abstains=False,
            notes="1,000-char chunks, 200 overlap, dense top-5; the whole first chunk is the answer (no 400-char limit)",
        ),
    ]


def _weight_of(weights: dict[str, float], sentence: str) -> float:
    words = set(tokenize(sentence))
    return sum(w for t, w in weights.items() if t in words)


def _similarity(vector_of: Callable[[str], np.ndarray], vector: np.ndarray, sentence: str) -> float:
    return float(np.dot(vector_of(sentence), vector))


def split_recursive(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """LangChain's RecursiveCharacterTextSplitter, re-implemented (paragraph, line, sentence, word)."""
    separators = ["\n\n", "\n", ". ", " ", ""]

    def split(piece: str, seps: list[str]) -> list[str]:
        if len(piece) <= size:
            return [piece]
        sep = next((s for s in seps if s and s in piece), "")
        parts = piece.split(sep) if sep else list(piece)
        rest = seps[seps.index(sep) + 1 :] if sep in seps else []
        out: list[str] = []
        current = ""
        for part in parts:
            candidate = f"{current}{sep}{part}" if current else part
            if len(candidate) <= size:
                current = candidate
                continue
            if current:
                out.append(current)
                tail = current[-overlap:] if overlap else ""
                current = f"{tail}{sep}{part}" if tail and len(tail) + len(part) + len(sep) <= size else part
            else:
                current = part
            if len(current) > size:
                out.extend(split(current, rest or [""]))
                current = ""
        if current:
            out.append(current)
        return out

    return [p.strip() for p in split(text, separators) if p.strip()]


def _langchain_chunks(engine: CorpusQA) -> tuple[list[str], list[str], np.ndarray]:
    snapshot = engine.reader.snapshot
    texts: list[str] = []
    docs: list[str] = []
    for doc in snapshot.documents.values():
        for piece in split_recursive(doc.text):
            texts.append(piece)
            docs.append(doc.doc_id)
    vectors = engine.reader.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    return texts, docs, np.asarray(vectors)


__all__ = [
    "EvalQuestion",
    "EvalReport",
    "SystemScores",
    "contains_answer",
    "evaluate",
    "first_candidate_answers",
    "load_questions",
]
