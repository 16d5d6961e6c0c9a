"""Grid-search the sentence-scoring weights on a questions file (one pipeline run per question).

    python benchmarks/tune_weights.py ../shared/bench/squad2-dev/questions.json [--model minilm]

Each question's candidates come from the engine's own ``evidence`` stage; a
weight setting re-ranks them with the engine's own ``sentence_score``, so the
figures are the engine's, not a re-derived formula. Prints the first-quote hit
rate per setting (best first). Used to choose ``AnswerSettings``; see docs/quality.md.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

from qa import AnswerSettings, open_corpus
from qa.evaluation import contains_answer, load_questions
from qa.pipeline import rescore
from vectorstore import StoreSettings, default_embedder

GRID = {
    "dense_weight": [1.0],
    "lexical_weight": [0.8, 1.0, 1.2],
    "passage_weight": [0.1, 0.2, 0.3],
    "type_weight": [0.1, 0.2],
    "long_sentence_penalty": [0.2],
    "fragment_penalty": [0.0, 0.15, 0.3],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--model", default=None)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    corpus = args.questions.parent / "corpus"
    engine = open_corpus(
        corpus if corpus.is_dir() else None,
        store=StoreSettings(store_dir=args.store) if args.store else None,
        embedder=default_embedder(args.model),
    )
    questions = [q for q in load_questions(args.questions) if q.answerable]
    rows = [(q, engine.evidence(q.question, history=list(q.history) or None).candidates) for q in questions]
    results = []
    for combo in itertools.product(*GRID.values()):
        settings = replace(AnswerSettings(), **dict(zip(GRID, combo, strict=True)))
        hits = 0
        for q, candidates in rows:
            if not candidates:
                continue
            best = max(candidates, key=lambda c: rescore(c, settings))
            hits += contains_answer(best.text, q.answers) and (q.doc is None or Path(best.doc_id).stem == q.doc)
        results.append((hits / max(len(rows), 1), combo))
    results.sort(key=lambda r: -r[0])
    print(f"{len(rows)} answerable questions; weights: {', '.join(GRID)}")
    for rate, combo in results[:10]:
        print(f"{100 * rate:5.1f}%  {combo}")


if __name__ == "__main__":
    main()
