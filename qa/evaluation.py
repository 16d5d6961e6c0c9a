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
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .engine import CorpusQA, previous_questions
from .errors import QAError
from .lexical import tokenize

MAX_QUOTE_CHARS = 400
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class EvalQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]
    doc: str | None
    answerable: bool


@dataclass(frozen=True)
class SystemScores:
    """One system's figures; ratios are shares in [0, 1]."""

    system: str
    answerable: int
    unanswerable: int
    first_quote_hit: float
    any_quote_hit: float
    recall_at_1: float | None
    recall_at_5: float | None
    mrr: float | None
    abstained_unanswerable: float | None
    false_abstentions: float
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions_file": self.questions_file,
            "corpus": self.corpus,
            "systems": [asdict(s) for s in self.systems],
        }

    def table(self) -> str:
        def pct(v: float | None) -> str:
            return "   –  " if v is None else f"{100 * v:5.1f}%"

        head = (
            f"{'system':<11} {'first':>6} {'any':>6} {'R@1':>6} {'R@5':>6} {'MRR':>6} "
            f"{'abst.':>6} {'false':>6} {'!verb':>6} {'chars':>6} {'p50ms':>7} {'p95ms':>7}"
        )
        lines = [f"{self.questions_file} on {self.corpus}", head, "-" * len(head)]
        for s in self.systems:
            mrr = "   –  " if s.mrr is None else f"{s.mrr:6.3f}"
            lines.append(
                f"{s.system:<11} {pct(s.first_quote_hit)} {pct(s.any_quote_hit)} {pct(s.recall_at_1)} "
                f"{pct(s.recall_at_5)} {mrr} {pct(s.abstained_unanswerable)} {pct(s.false_abstentions)} "
                f"{pct(s.not_verbatim)} {s.mean_quote_chars:6.0f} {s.latency_p50_ms:7.1f} {s.latency_p95_ms:7.1f}"
            )
        first = self.systems[0]
        lines.append(
            f"({first.answerable} answerable, {first.unanswerable} unanswerable questions; "
            "first/any: a gold answer in the first/any quote of at most 400 characters; "
            "abst.: unanswerable questions abstained; false: answerable ones abstained)"
        )
        lines.extend(f"note: {s.system}: {s.notes}" for s in self.systems if s.notes)
        return "\n".join(lines)


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def contains_answer(text: str, answers: Sequence[str], *, limit: int | None = MAX_QUOTE_CHARS) -> bool:
    if limit is not None and len(text) > limit:
        return False
    haystack = normalise(text)
    return any(normalise(a) in haystack for a in answers if a.strip())


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read seed-dev style (``questions`` + ``unanswerable``) or SQuAD style (``answerable`` flags)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QAError(f"Questions file {path} does not exist.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QAError(f"Questions file {path} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QAError(f"{path} has no 'questions' list: use the seed-dev or squad2-dev format.")
    out: list[EvalQuestion] = []
    for i, item in enumerate(data["questions"]):
        answerable = bool(item.get("answerable", True))
        out.append(
            EvalQuestion(
                qid=str(item.get("id", i)),
                question=str(item["q"]),
                answers=tuple(item.get("answers") or ()),
                doc=item.get("doc"),
                answerable=answerable and bool(item.get("answers")),
            )
        )
    for i, item in enumerate(data.get("unanswerable", [])):
        out.append(EvalQuestion(str(item.get("id", f"u{i}")), str(item["q"]), (), None, False))
    return out


def _doc_matches(doc_id: str, doc: str | None) -> bool:
    return doc is None or Path(doc_id).stem == doc


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


@dataclass
class _Tally:
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


def _scores(
    name: str, t: _Tally, n_ans: int, n_un: int, *, retrieval: bool, abstains: bool, notes: str = ""
) -> SystemScores:
    a = max(n_ans, 1)
    return SystemScores(
        system=name,
        answerable=n_ans,
        unanswerable=n_un,
        first_quote_hit=t.first / a,
        any_quote_hit=t.any / a,
        recall_at_1=t.r1 / a if retrieval else None,
        recall_at_5=t.r5 / a if retrieval else None,
        mrr=t.rr / a if retrieval else None,
        abstained_unanswerable=(t.abstained_u / n_un if n_un else None)
        if abstains
        else (0.0 if n_un else None),
        false_abstentions=t.false_abst / a,
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
) -> EvalReport:
    snapshot = engine.index.snapshot
    texts = {d: doc.text for d, doc in snapshot.documents.items()}
    n_ans = sum(q.answerable for q in questions)
    n_un = len(questions) - n_ans
    ours = _Tally()
    misses: list[dict[str, Any]] = []
    for q in tqdm(questions, desc="corpus-qa", disable=not progress):
        started = time.perf_counter()
        answer = engine.answer(q.question)
        ours.latencies.append(1000 * (time.perf_counter() - started))
        for quote in answer.quotes:
            ours.quotes += 1
            ours.chars.append(len(quote.text))
            if texts[quote.doc_id][quote.start : quote.end] != quote.text:
                ours.bad += 1
        if not q.answerable:
            ours.abstained_u += answer.abstained
            continue
        if answer.abstained:
            ours.false_abst += 1
        quotes = [x for x in answer.quotes if _doc_matches(x.doc_id, q.doc)]
        first_ok = (
            bool(quotes)
            and quotes[0] == answer.quotes[0]
            and contains_answer(answer.quotes[0].text, q.answers)
        )
        ours.first += first_ok
        ours.any += any(contains_answer(x.text, q.answers) for x in quotes)
        if not first_ok:
            misses.append(
                {
                    "id": q.qid,
                    "q": q.question,
                    "answers": q.answers,
                    "first": answer.quotes[0].text if answer.quotes else None,
                }
            )
        passages = engine.retrieve(q.question, k=5)
        ranks = [
            i
            for i, p in enumerate(passages)
            if _doc_matches(p.doc_id, q.doc) and contains_answer(p.text, q.answers, limit=None)
        ]
        if ranks:
            ours.r1 += ranks[0] == 0
            ours.r5 += 1
            ours.rr += 1.0 / (ranks[0] + 1)
    systems = [_scores("corpus-qa", ours, n_ans, n_un, retrieval=True, abstains=True)]
    if baselines:
        systems.extend(_baselines(engine, questions, n_ans, n_un, progress))
    return EvalReport(
        questions_file=questions_file,
        corpus=engine.index.store.location,
        systems=tuple(systems),
        misses=tuple(misses),
    )


def _best_sentence(
    engine: CorpusQA, chunk_ids: Sequence[str], score: Callable[[str], float]
) -> tuple[str, int, int] | None:
    snapshot = engine.index.snapshot
    best: tuple[float, str, int, int] | None = None
    for cid in chunk_ids:
        chunk = snapshot.chunks[cid]
        text = snapshot.documents[chunk.doc_id].text
        for span in chunk.sentences:
            value = score(text[span.start : span.end])
            if best is None or value > best[0]:
                best = (value, chunk.doc_id, span.start, span.end)
    return None if best is None else best[1:]


def _baselines(
    engine: CorpusQA, questions: Sequence[EvalQuestion], n_ans: int, n_un: int, progress: bool
) -> list[SystemScores]:
    snapshot = engine.index.snapshot
    lexical = engine.lexical(snapshot)
    embedder = engine.index.embedder
    store = engine.index.store
    sentence_cache: dict[str, np.ndarray] = {}

    def sentence_vector(text: str) -> np.ndarray:
        if text not in sentence_cache:
            sentence_cache[text] = embedder.encode([text])[0]
        return sentence_cache[text]

    tallies = {"bm25": _Tally(), "dense": _Tally(), "langchain": _Tally()}
    lc_ids, lc_texts, lc_docs, lc_vectors = _langchain_chunks(engine)
    for q in tqdm(questions, desc="baselines", disable=not progress):
        q_tokens = tokenize(q.question)
        weights = {t: lexical.idf(t) for t in set(q_tokens)}
        started = time.perf_counter()
        bm25 = [cid for cid, _ in lexical.search([(q_tokens, 1.0)], 5)]
        pick = _best_sentence(engine, bm25, partial(_weight_of, weights))
        _record(tallies["bm25"], q, bm25, pick, snapshot, started)

        started = time.perf_counter()
        vector = embedder.encode([q.question])[0]
        dense = [cid for cid, _ in store.query_chunks(vector, 5) if cid in snapshot.chunks]
        pick = _best_sentence(engine, dense, partial(_similarity, sentence_vector, vector))
        _record(tallies["dense"], q, dense, pick, snapshot, started)

        started = time.perf_counter()
        order: Any = np.argsort(-(lc_vectors @ vector))[:5] if len(lc_ids) else []
        t = tallies["langchain"]
        t.latencies.append(1000 * (time.perf_counter() - started))
        if q.answerable and len(order):
            first = int(order[0])
            t.quotes += 1
            t.chars.append(len(lc_texts[first]))
            t.first += _doc_matches(lc_docs[first], q.doc) and contains_answer(
                lc_texts[first], q.answers, limit=None
            )
            hits = [
                r
                for r, i in enumerate(order)
                if _doc_matches(lc_docs[i], q.doc) and contains_answer(lc_texts[i], q.answers, limit=None)
            ]
            t.any += bool(hits)
            if hits:
                t.r1 += hits[0] == 0
                t.r5 += 1
                t.rr += 1.0 / (hits[0] + 1)
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


def _record(
    t: _Tally,
    q: EvalQuestion,
    ranked: Sequence[str],
    pick: tuple[str, int, int] | None,
    snapshot: Any,
    started: float,
) -> None:
    t.latencies.append(1000 * (time.perf_counter() - started))
    if not q.answerable:
        return
    if pick is not None:
        doc_id, start, end = pick
        text = snapshot.documents[doc_id].text[start:end]
        t.quotes += 1
        t.chars.append(len(text))
        ok = _doc_matches(doc_id, q.doc) and contains_answer(text, q.answers)
        t.first += ok
        t.any += ok
    ranks = [
        i
        for i, cid in enumerate(ranked)
        if _doc_matches(snapshot.chunks[cid].doc_id, q.doc)
        and contains_answer(snapshot.chunks[cid].text, q.answers, limit=None)
    ]
    if ranks:
        t.r1 += ranks[0] == 0
        t.r5 += 1
        t.rr += 1.0 / (ranks[0] + 1)


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


def _langchain_chunks(engine: CorpusQA) -> tuple[list[str], list[str], list[str], np.ndarray]:
    snapshot = engine.index.snapshot
    ids: list[str] = []
    texts: list[str] = []
    docs: list[str] = []
    for doc in snapshot.documents.values():
        for i, piece in enumerate(split_recursive(doc.text)):
            ids.append(f"{doc.doc_id}#{i}")
            texts.append(piece)
            docs.append(doc.doc_id)
    vectors = engine.index.embedder.encode(texts) if texts else np.zeros((0, engine.index.embedder.dimension))
    return ids, texts, docs, np.asarray(vectors)


__all__ = [
    "EvalQuestion",
    "EvalReport",
    "SystemScores",
    "contains_answer",
    "evaluate",
    "load_questions",
    "previous_questions",
]
