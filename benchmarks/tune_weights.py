"""Grid-search the sentence-scoring weights on a questions file (features computed once).

    python benchmarks/tune_weights.py ../shared/bench/squad2-dev/questions.json

Prints first-quote hit rate per weight setting, and the abstention trade-off
of the confidence threshold. Used to choose AnswerSettings; see docs/quality.md.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

from qa import open_corpus
from qa.evaluation import contains_answer, load_questions


def main() -> None:
    path = Path(sys.argv[1])
    corpus = path.parent / "corpus"
    engine = open_corpus(corpus if corpus.is_dir() else None)
    questions = load_questions(path)
    rows = []
    for q in questions:
        ev = engine.evidence(q.question)
        rows.append((q, ev))
    grid = {
        "dense": [1.0],
        "coverage": [0.8, 1.0, 1.2],
        "passage": [0.0, 0.1, 0.2],
        "type_match": [0.0, 0.1, 0.2, 0.3],
    }
    results = []
    for combo in itertools.product(*grid.values()):
        w = dict(zip(grid, combo, strict=True))
        hits = 0
        n = 0
        for q, ev in rows:
            if not q.answerable:
                continue
            n += 1
            if not ev:
                continue
            best = max(ev, key=lambda e: sum(w[k] * e[k] for k in w))
            hits += contains_answer(best["text"], q.answers) and (
                q.doc is None or Path(best["doc_id"]).stem == q.doc
            )
        results.append((hits / max(n, 1), w))
    results.sort(key=lambda r: -r[0])
    for rate, w in results[:10]:
        print(f"{100 * rate:5.1f}%  {w}")
    conf = [(q.answerable, (ev[0]["dense"] + 0.2 * ev[0]["type_match"]) if ev else 0.0) for q, ev in rows]
    for threshold in np.arange(0.2, 0.6, 0.05):
        ans = [c for a, c in conf if a]
        un = [c for a, c in conf if not a]
        print(
            f"threshold {threshold:.2f}: false abstentions {100 * np.mean([c < threshold for c in ans]):5.1f}%  "
            f"abstained unanswerable {100 * np.mean([c < threshold for c in un]) if un else 0:5.1f}%"
        )


if __name__ == "__main__":
    main()
