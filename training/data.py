"""Question/sentence data for fine-tuning and evaluating the embedder.

Articles are split with the project's own splitter (``quotable_sentences``),
so the model is trained and judged on exactly the units the app indexes and
quotes. Questions follow the SQuAD-style layout of ``shared/train`` and
``shared/bench``: ``{"questions": [{"id", "q", "doc", "paragraph", "answers",
"answerable"}]}``, with ``doc`` the article's file stem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.evaluation import contains_answer as _contains_answer
from qa.lexical import LexicalIndex, tokenize
from vectorstore.loading import iter_article_paths, load_document
from vectorstore.sentences import normalise, quotable_sentences

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

REPO = Path(__file__).resolve().parents[1]



__all__ = ["LexicalIndex", "iter_article_paths", "load_document", "quotable_sentences", "tokenize"]

# A blank line (possibly holding spaces) separates paragraphs in the corpus files.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# Reciprocal-rank-fusion constant, the usual 60 (Cormack et al. 2009).
RRF_K = 60


@dataclass(frozen=True)
class Sentence:
    doc: str  # article file stem, as in questions.json
    paragraph: int  # 0-based paragraph after the title line; -1 for the title itself
    text: str


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    doc: str
    paragraph: int
    answers: tuple[str, ...]
    answerable: bool


@dataclass(frozen=True)
class Triplet:
    """One training example: a question, its answer sentence and hard negatives (best first)."""

    qid: str
    question: str
    positive: str
    answers: tuple[str, ...]
    negatives: tuple[str, ...]


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """The evaluation's own containment rule, without its 400-character cap on quotes."""
    return _contains_answer(text, answers, limit=None)


def load_sentences(corpus: Path) -> list[Sentence]:
    """Every quotable sentence of every article under ``corpus``, tagged with its paragraph."""
    out: list[Sentence] = []
    for path in iter_article_paths(corpus):
        doc = load_document(path, corpus)
        text = doc.text
        # Paragraph start offsets: block 0 is the title line, the articles' paragraphs follow.
        starts = [0] + [m.end() for m in _PARAGRAPH_BREAK.finditer(text)]
        for span in quotable_sentences(text):
            block = int(np.searchsorted(starts, span.start, side="right")) - 1
            out.append(Sentence(doc=path.stem, paragraph=block - 1, text=text[span.start : span.end]))
    return out


def load_questions(path: Path) -> list[Question]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Question(
            qid=str(item["id"]),
            text=str(item["q"]).strip(),
            doc=str(item["doc"]),
            paragraph=int(item.get("paragraph", -1)),
            answers=tuple(str(a) for a in item.get("answers", [])),
            answerable=bool(item.get("answerable", bool(item.get("answers")))),
        )
        for item in data["questions"]
    ]


def encode(model: SentenceTransformer, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 vectors, as the app stores them."""
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """0-based rank of every entry, highest score first (stable on ties)."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(len(scores))
    return ranks


class ArticleRanking:
    """Each article's sentences ranked for a question as our own retrieval would: BM25 (the app's
    lexical scorer) fused by reciprocal rank with the model's cosine."""

    def __init__(self, sentences: Sequence[Sentence], vectors: np.ndarray) -> None:
        self._by_doc: dict[str, list[int]] = {}
        for i, s in enumerate(sentences):
            self._by_doc.setdefault(s.doc, []).append(i)
        self._lexical = {
            doc: LexicalIndex([str(i) for i in idx], [sentences[i].text for i in idx])
            for doc, idx in self._by_doc.items()
        }
        self._vectors = vectors

    def order(self, doc: str, question: str, vector: np.ndarray) -> list[int]:
        """Indices (into ``sentences``) of every sentence of ``doc``, best first; [] for none."""
        idx = self._by_doc.get(doc)
        if not idx:
            return []
        bm25 = self._lexical[doc].scores(tokenize(question))
        cosine = self._vectors[idx] @ vector
        fused = 1.0 / (RRF_K + 1 + _ranks(bm25)) + 1.0 / (RRF_K + 1 + _ranks(cosine))
        return [idx[j] for j in np.argsort(-fused, kind="stable")]


@dataclass
class MiningStats:
    answerable: int = 0
    in_paragraph: int = 0
    elsewhere_in_article: int = 0
    skipped_no_sentence: int = 0
    short_of_negatives: int = 0


def mine_triplets(
    questions: Sequence[Question],
    sentences: Sequence[Sentence],
    miner: SentenceTransformer,
    negatives: int,
) -> tuple[list[Triplet], MiningStats]:
    """Answer sentences as positives and "our own retrieval's" mistakes as hard negatives.

    Each article's sentences are ranked for the question by BM25 (the app's
    lexical scorer) fused by reciprocal rank with ``miner``'s cosine (the base
    model unless ``--init`` or ``--mine-with`` names another): the
    sentences that retrieval would put first but that hold no gold answer are
    exactly the confusions fine-tuning should fix. Unanswerable questions are
    left out: they have no positive.
    """
    stats = MiningStats()
    answerable = [q for q in questions if q.answerable and q.answers]
    stats.answerable = len(answerable)
    ranking = ArticleRanking(sentences, encode(miner, [s.text for s in sentences]))
    question_vectors = encode(miner, [q.text for q in answerable])

    triplets: list[Triplet] = []
    for q, q_vec in zip(answerable, question_vectors, strict=True):
        order = ranking.order(q.doc, q.text, q_vec)
        if not order:
            stats.skipped_no_sentence += 1
            continue
        holds = {i for i in order if contains_answer(sentences[i].text, q.answers)}
        # Prefer the answer sentence inside the question's own paragraph; a short answer ("2003")
        # can occur in several sentences, and the best-ranked one is the likeliest source.
        in_paragraph = [i for i in order if i in holds and sentences[i].paragraph == q.paragraph]
        anywhere = [i for i in order if i in holds]
        if in_paragraph:
            positive = in_paragraph[0]
            stats.in_paragraph += 1
        elif anywhere:
            positive = anywhere[0]
            stats.elsewhere_in_article += 1
        else:
            stats.skipped_no_sentence += 1
            continue
        positive_key = normalise(sentences[positive].text)
        hard = [
            sentences[i].text
            for i in order
            if i not in holds and normalise(sentences[i].text) != positive_key
        ][:negatives]
        if len(hard) < negatives:
            stats.short_of_negatives += 1
            continue  # a fixed number of negatives per question keeps every batch the same shape
        triplets.append(
            Triplet(
                qid=q.qid,
                question=q.text,
                positive=sentences[positive].text,
                answers=q.answers,
                negatives=tuple(hard),
            )
        )
    return triplets, stats
