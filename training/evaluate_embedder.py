"""Dense-only sentence retrieval on a SQuAD-style benchmark, for one or more embedding models.

For every answerable question the whole benchmark corpus is searched (all
articles at once) and the single nearest sentence by cosine is taken:

* ``first``: that sentence holds a gold answer (case-insensitive) and comes
  from the question's article;
* ``own-article first``: the same, searching only the question's article;
* ``recall@5``: one of the five nearest sentences is such a hit;
* ``separation``: how well a question's best cosine in its own article stands
  out from its best cosine in the other articles (ROC AUC over questions, and
  the two mean cosines), a proxy for telling in-corpus questions from
  off-corpus ones; absolute cosines matter because the app abstains below a
  fixed fused-score threshold.

Usage (from the repository root)::

    .venv/bin/python -m training.evaluate_embedder --model base --model vectorstore/models/minilm-qa-squad
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from training.data import REPO, Question, Sentence, contains_answer, encode, load_questions, load_sentences
from vectorstore.embedding import bundled_model_path

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_BENCH = REPO.parent / "shared" / "bench" / "squad2-dev"


@dataclass(frozen=True)
class RetrievalScores:
    model: str
    questions: int
    sentences: int
    first: float
    own_article_first: float
    recall_at_5: float
    mrr_at_10: float
    separation_auc: float
    mean_best_cos_own: float
    mean_best_cos_other: float
    seconds: float


def load_model(spec: str, device: str = "cpu") -> SentenceTransformer:
    """``base`` is the bundled all-MiniLM-L6-v2; anything else is a model folder."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    path = bundled_model_path() if spec == "base" else Path(spec)
    return SentenceTransformer(str(path), device=device, local_files_only=True)


def _auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """P(random positive > random negative), ties counted half (Mann-Whitney U)."""
    if not len(positives) or not len(negatives):
        return float("nan")
    scores = np.concatenate([positives, negatives])
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    # Average the ranks of tied scores.
    for value in np.unique(scores):
        tied = scores == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    u = ranks[: len(positives)].sum() - len(positives) * (len(positives) + 1) / 2
    return float(u / (len(positives) * len(negatives)))


def evaluate(
    model: SentenceTransformer, name: str, sentences: Sequence[Sentence], questions: Sequence[Question]
) -> RetrievalScores:
    started = time.perf_counter()
    asked = [q for q in questions if q.answerable and q.answers]
    s_vecs = encode(model, [s.text for s in sentences])
    q_vecs = encode(model, [q.text for q in asked])
    docs = np.asarray([s.doc for s in sentences])
    sims = q_vecs @ s_vecs.T
    first = own_first = r5 = 0
    rr = 0.0
    best_own: list[float] = []
    best_other: list[float] = []
    for qi, q in enumerate(asked):
        row = sims[qi]
        own = docs == q.doc

        def hit(i: int, q: Question = q) -> bool:
            return sentences[i].doc == q.doc and contains_answer(sentences[i].text, q.answers)

        top = np.argsort(-row, kind="stable")[:10]
        hits = [r for r, i in enumerate(top) if hit(int(i))]
        first += bool(hits) and hits[0] == 0
        r5 += bool(hits) and hits[0] < 5
        rr += 1.0 / (hits[0] + 1) if hits else 0.0
        own_idx = np.flatnonzero(own)
        if len(own_idx):
            own_first += hit(int(own_idx[int(np.argmax(row[own_idx]))]))
            best_own.append(float(row[own_idx].max()))
        if (~own).any():
            best_other.append(float(row[~own].max()))
    n = max(len(asked), 1)
    return RetrievalScores(
        model=name,
        questions=len(asked),
        sentences=len(sentences),
        first=first / n,
        own_article_first=own_first / n,
        recall_at_5=r5 / n,
        mrr_at_10=rr / n,
        separation_auc=_auc(np.asarray(best_own), np.asarray(best_other)),
        mean_best_cos_own=float(np.mean(best_own)) if best_own else float("nan"),
        mean_best_cos_other=float(np.mean(best_other)) if best_other else float("nan"),
        seconds=time.perf_counter() - started,
    )


def table(rows: Sequence[RetrievalScores]) -> str:
    width = max(12, *(len(r.model) for r in rows))
    head = (
        f"{'model':<{width}} {'first':>6} {'own-art':>7} {'R@5':>6} {'MRR@10':>6} "
        f"{'sep.AUC':>7} {'cos own':>7} {'cos oth':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.model:<{width}} {100 * r.first:6.1f} {100 * r.own_article_first:7.1f} "
            f"{100 * r.recall_at_5:6.1f} {r.mrr_at_10:6.3f} {r.separation_auc:7.3f} "
            f"{r.mean_best_cos_own:7.3f} {r.mean_best_cos_other:7.3f}"
        )
    if rows:
        lines.append(
            f"({rows[0].questions} answerable questions, {rows[0].sentences} sentences; first/own-art/R@5 in %; "
            "sep.AUC: own-article best cosine vs other-articles best cosine)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        help="'base' (bundled all-MiniLM-L6-v2) or a sentence-transformers folder; repeat to compare",
    )
    parser.add_argument(
        "--bench", type=Path, default=DEFAULT_BENCH, help="folder with corpus/ and questions.json"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args(argv)

    sentences = load_sentences(args.bench / "corpus")
    questions = load_questions(args.bench / "questions.json")
    rows = []
    for spec in args.model:
        rows.append(evaluate(load_model(spec, args.device), spec, sentences, questions))
        print(f"evaluated {spec} in {rows[-1].seconds:.0f}s", file=sys.stderr, flush=True)
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
