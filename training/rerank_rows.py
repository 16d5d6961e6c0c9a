"""Dump the engine's top candidates per question (with labels and features) for reranker studies.

    python -m training.rerank_rows QUESTIONS --corpus FOLDER --store DIR --out rows.json [--depth 8]

Each row: the question, whether it is answerable, the engine's confidence and
decision features, and its ``depth`` best candidates (text, engine score,
whether it holds a gold answer from the question's article). A reranker is then
scored on these rows offline (``training/sweep_reranker.py``), so every
combination is judged on exactly the engine's candidates.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from qa import open_corpus
from qa.evaluation import _doc_matches, contains_answer, load_questions
from vectorstore import StoreSettings


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("questions", type=Path)
    p.add_argument("--corpus", default=None)
    p.add_argument("--store", required=True)
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    engine = open_corpus(args.corpus, store=StoreSettings(store_dir=Path(args.store)))
    rows = []
    for q in tqdm(load_questions(args.questions)):
        ev = engine.evidence(q.question, history=list(q.history) or None)
        cands = ev.candidates[: args.depth]
        rows.append(
            {
                "id": q.qid,
                "q": q.question,
                "history": list(q.history),
                "answerable": q.answerable,
                "confidence": ev.confidence,
                "features": ev.features,
                "candidates": [
                    {
                        "text": c.text,
                        "score": c.score,
                        "hit": bool(q.answerable and _doc_matches(c.doc_id, q.doc) and contains_answer(c.text, q.answers)),
                    }
                    for c in cands
                ],
            }
        )
    args.out.write_text(json.dumps(rows) + "\n")
    print(f"{len(rows)} rows -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
