"""Choose the confidence model's features and the abstention threshold on the development sets.

    python -m training.select_features [--model qa-tuned]

Fits the logistic model (training/fit_confidence.py, on the SQuAD 2.0 *training* rows it
cached) for several feature sets, and prints, per set and threshold, what each development set
gets: first-quote hits, unanswerable questions abstained, false abstentions. Development sets:
../shared/bench/squad2-dev, ../shared/eval/seed-dev.json, tests/data/news-dev.json. Nothing is
fitted on them; they only pick among the fitted models (docs/quality.md).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa import AnswerSettings, open_corpus
from qa.confidence import ConfidenceModel, answer_probability
from qa.evaluation import first_candidate_answers, load_questions
from vectorstore import StoreSettings, default_embedder

from .fit_confidence import fit_logistic

REPO = Path(__file__).resolve().parent.parent
DEV = {
    "squad2-dev": REPO.parent / "shared" / "bench" / "squad2-dev" / "questions.json",
    "seed-dev": REPO.parent / "shared" / "eval" / "seed-dev.json",
    "news-dev": REPO / "tests" / "data" / "news-dev.json",
}
FEATURE_SETS = {
    "all": ("coverage", "dense", "key_in_best", "key_missing", "key_support", "margin", "score", "top_bm25",
            "top_dense_chunk", "type_match", "type_missing"),
    "robust": ("dense", "top_dense_chunk", "margin", "type_missing", "key_support", "score"),
    "dense+type+key": ("dense", "top_dense_chunk", "type_missing", "key_support"),
    "robust+peak": ("dense", "top_dense_chunk", "margin", "type_missing", "key_support", "score", "dense_peak"),
    "all+peak": ("coverage", "dense", "key_in_best", "key_missing", "key_support", "margin", "score",
                 "top_bm25", "top_dense_chunk", "type_match", "type_missing", "dense_peak"),
}  # fmt: skip
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)


def dev_rows(name: str, path: Path, model: str | None, store: Path) -> list[tuple[dict[str, float], bool, bool]]:
    """(features, answerable, first candidate answers) per question of a development set."""
    corpus = path.parent / "corpus"
    engine = open_corpus(
        corpus if corpus.is_dir() else None,
        store=StoreSettings(store_dir=store / name),
        embedder=default_embedder(model),
    )
    out = []
    for q in load_questions(path):
        evidence = engine.evidence(q.question, history=list(q.history) or None)
        out.append((evidence.features, q.answerable, first_candidate_answers(q, evidence)))
    return out


def fit(rows: Sequence[dict[str, object]], names: Sequence[str], extra_weight: float) -> ConfidenceModel:
    x = np.asarray([[float(r["features"][n]) for n in names] for r in rows])  # type: ignore[index]
    y = np.asarray([float(r["label"]) for r in rows])  # type: ignore[arg-type]
    w = np.asarray([extra_weight if r.get("source", "squad") != "squad" else 1.0 for r in rows])
    means, scales = x.mean(axis=0), x.std(axis=0) + 1e-9
    beta = fit_logistic((x - means) / scales, y, w)
    return ConfidenceModel(
        dict(zip(names, beta[1:].tolist(), strict=True)),
        float(beta[0]),
        dict(zip(names, means.tolist(), strict=True)),
        dict(zip(names, scales.tolist(), strict=True)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--rows", type=Path, default=REPO / "training" / "runs" / "confidence-rows-qa-tuned.json")
    parser.add_argument("--store", type=Path, default=REPO / "training" / "runs" / "dev-stores")
    parser.add_argument("--extra-weight", type=float, default=3.0)
    args = parser.parse_args()
    train = json.loads(args.rows.read_text(encoding="utf-8"))
    dev = {name: dev_rows(name, path, args.model, args.store) for name, path in DEV.items() if path.exists()}
    defaults = AnswerSettings()
    for set_name, names in FEATURE_SETS.items():
        model = fit(train, names, args.extra_weight)
        print(f"\n{set_name}: {', '.join(names)}")
        print("  thr  " + "  ".join(f"{n:>26}" for n in dev))
        # Each question's probability once per model, not once per threshold.
        probabilities = {name: [answer_probability(model, f, defaults) for f, _, _ in rows] for name, rows in dev.items()}
        for t in THRESHOLDS:
            cells = []
            for name, rows in dev.items():
                p = probabilities[name]
                ans = [(pi, hit) for pi, (_, a, hit) in zip(p, rows, strict=True) if a]
                un = [pi for pi, (_, a, _) in zip(p, rows, strict=True) if not a]
                first = sum(hit and pi >= t for pi, hit in ans) / max(len(ans), 1)
                abst = sum(pi < t for pi in un) / max(len(un), 1)
                false = sum(pi < t for pi, _ in ans) / max(len(ans), 1)
                cells.append(f"{100 * first:5.1f} {100 * abst:5.1f} {100 * false:5.1f}")
            print(f"  {t:.2f} " + "  ".join(f"{c:>26}" for c in cells))
    print("\ncells: first-quote hit %, unanswerable abstained %, false abstentions %")


if __name__ == "__main__":
    main()
