"""Grid-search answer settings on one or more questions files, running the whole pipeline per setting.

    python benchmarks/tune_weights.py ../shared/bench/squad2-dev/questions.json tests/data/news-dev.json
    python benchmarks/tune_weights.py Q.json --grid '{"lexical_weight": [0.5, 1.0], "pair_gain": [0.025, 0.05]}'

Each setting gets a fresh ``CorpusQA`` over the same reader (one index and one model per file), and
every question goes through ``evidence`` again: which adjacent sentences pair up and where an overlong
sentence is cut depend on the weights, so re-ranking candidates made under other weights would
mislead (it did: +5.8 points on news-dev offline, -4.3 in the real pipeline). Prints, per setting, the
share of answerable questions whose first candidate holds a gold answer (abstention aside), best
first by their sum. Used to choose ``AnswerSettings``; see docs/quality.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace
from pathlib import Path

from qa import AnswerSettings, CorpusQA, open_corpus
from qa.evaluation import first_candidate_answers, load_questions
from vectorstore import StoreSettings, default_embedder

GRID = {
    "lexical_weight": [0.5, 0.7, 1.0],
    "pair_gain": [0.0, 0.025, 0.05],
    "type_weight": [0.1, 0.2],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--grid", type=json.loads, default=GRID, help="JSON: setting name -> list of values")
    parser.add_argument("--model", default=None)
    parser.add_argument("--store", type=Path, default=None, help="folder for one embedded store per file")
    args = parser.parse_args()
    embedder = default_embedder(args.model)
    sets = []
    for path in args.questions:
        corpus = path.parent / "corpus"
        store = StoreSettings(store_dir=args.store / path.stem) if args.store else None
        engine = open_corpus(corpus if corpus.is_dir() else None, store=store, embedder=embedder)
        sets.append((path.stem, engine, [q for q in load_questions(path) if q.answerable]))
    results = []
    for combo in itertools.product(*args.grid.values()):
        chosen = dict(zip(args.grid, combo, strict=True))
        settings = replace(AnswerSettings(), **chosen)
        rates = []
        for _, engine, questions in sets:
            trial = CorpusQA(engine.reader, settings, confidence_model=engine.confidence_model)
            hits = sum(
                first_candidate_answers(q, trial.evidence(q.question, history=list(q.history) or None))
                for q in questions
            )
            rates.append(hits / max(len(questions), 1))
        results.append((rates, chosen))
        print("  ".join(f"{name} {100 * r:5.1f}%" for (name, _, _), r in zip(sets, rates, strict=True)), chosen, flush=True)
    results.sort(key=lambda r: -sum(r[0]))
    print("\nbest first:")
    for rates, combo in results[:10]:
        print("  ".join(f"{100 * r:5.1f}%" for r in rates), combo)


if __name__ == "__main__":
    main()
