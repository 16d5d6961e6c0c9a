"""Fit the confidence model: P(the first quote answers the question), shipped as qa/models/confidence.json.

    python -m training.fit_confidence                 # with the default (tuned) embedding model
    python -m training.fit_confidence --model minilm  # for the plain MiniLM, to compare

Data: the ten SQuAD 2.0 *training* articles (../shared/train/squad2-train, CC BY-SA 4.0), never
the benchmark. They are split into two halves, each indexed as its own corpus. A question asked
of its own half is labelled 1 when the engine's first quote holds a gold answer (0 when it does
not, and for SQuAD's unanswerable questions); a question asked of the *other* half is an
off-corpus question, labelled 0 — the kind a news reader asks and the articles never address.
With ``--near-miss-weight W`` (tried, not shipped: docs/quality.md) each answerable question is also
asked of its articles with its own paragraph held out (the other paragraphs, every second one): a
near-miss, on topic in every word, labelled as the engine's first quote makes it (0 unless the
answer stands elsewhere too), weighted W.
Features are :func:`qa.pipeline.decision_features` from the same pipeline the app runs; the model
is an L2-regularised logistic regression on standardised features (Newton's method, numpy only).
Thresholds are chosen afterwards on the development sets (docs/quality.md), not here.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa import CorpusQA, open_index
from qa.confidence import ConfidenceModel
from qa.evaluation import EvalQuestion, first_candidate_answers, load_questions
from vectorstore import Embedder, IndexReader, StoreSettings, close_client, default_embedder
from vectorstore.embedding import TUNED_MODEL_NAME

REPO = Path(__file__).resolve().parent.parent
TRAIN = REPO.parent / "shared" / "train" / "squad2-train"
MODELS = REPO / "qa" / "models"
EXTRA = REPO / "training" / "data" / "paraphrase-train.json"
# Paraphrase-robust evidence only: SQuAD questions reuse their article's words, so a model that
# also reads lexical coverage learns to distrust paraphrased (news) questions. Chosen on the
# development sets (docs/quality.md); decision_features computes more.
FEATURES = ("dense", "top_dense_chunk", "margin", "type_missing", "key_support", "score", "dense_peak")
OFF_CORPUS_SHARE = 0.3  # off-corpus questions, as a share of in-corpus ones, in the fitted sample


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Weighted L2 logistic regression by Newton's method; returns [bias, *coefficients]."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        gradient = design.T @ (w * (p - y)) + penalty * beta
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = np.asarray(labels) == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / max(n_pos * n_neg, 1))


def examples(
    engine: CorpusQA, questions: Sequence[EvalQuestion], *, off_corpus: bool
) -> list[tuple[dict[str, float], int]]:
    out = []
    for q in questions:
        evidence = engine.evidence(q.question)
        hit = not off_corpus and first_candidate_answers(q, evidence)
        out.append((evidence.features, int(hit)))
    return out


def collect(
    embedder: Embedder,
    question_sets: dict[str, Sequence[EvalQuestion]],
    halves: Sequence[Sequence[Path]],
    rng: random.Random,
) -> list[tuple[dict[str, float], int, str]]:
    """Index each half as a corpus; label its own questions and a sample of the other half's.

    Rows are ``(features, label, source)``: ``source`` names the question set it came from.
    Questions about no article (``doc`` empty) are asked of both halves.
    """
    rows: list[tuple[dict[str, float], int, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for h, half in enumerate(halves):
            folder = Path(tmp) / f"half{h}"
            folder.mkdir()
            for path in half:
                shutil.copy(path, folder / path.name)
            store = Path(tmp) / f"store{h}"
            index = open_index(folder, store=StoreSettings(store_dir=store), embedder=embedder, progress=True)
            engine = CorpusQA(IndexReader(index))
            stems = {p.stem for p in half}
            for source, questions in question_sets.items():
                inside = [q for q in questions if q.doc in stems or not q.doc]
                outside = [q for q in questions if q.doc and q.doc not in stems and q.answerable]
                outside = rng.sample(outside, min(len(outside), int(OFF_CORPUS_SHARE * len(inside))))
                print(f"half {h}, {source}: {len(inside)} in-corpus questions, {len(outside)} off-corpus", flush=True)
                rows += [(f, y, source) for f, y in examples(engine, inside, off_corpus=False)]
                rows += [(f, y, source) for f, y in examples(engine, outside, off_corpus=True)]
            close_client(path=store)
    return rows


def collect_near_misses(embedder: Embedder, train: Path) -> list[tuple[dict[str, float], int, str]]:
    """Each answerable question asked of the training articles without its own paragraph.

    The articles are split by paragraph parity (title kept); a question from an even paragraph is
    asked of the odd-paragraph corpus and the other way round. Rows are ``(features, label, "near-miss")``.
    """
    raw = json.loads((train / "questions.json").read_text(encoding="utf-8"))["questions"]
    questions = load_questions(train / "questions.json")
    rows: list[tuple[dict[str, float], int, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for parity in (0, 1):
            folder = Path(tmp) / f"parity{parity}"
            folder.mkdir()
            for path in sorted((train / "corpus").glob("*.txt")):
                blocks = [b for b in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if b.strip()]
                kept = [blocks[0]] + [b for i, b in enumerate(blocks[1:]) if i % 2 == parity]
                (folder / path.name).write_text("\n\n".join(kept) + "\n", encoding="utf-8")
            store = Path(tmp) / f"store{parity}"
            index = open_index(folder, store=StoreSettings(store_dir=store), embedder=embedder, progress=True)
            engine = CorpusQA(IndexReader(index))
            asked = [q for q, r in zip(questions, raw, strict=True) if q.answerable and r["paragraph"] % 2 != parity]
            print(f"parity {parity}: {len(asked)} near-miss questions", flush=True)
            for q in asked:
                evidence = engine.evidence(q.question)
                rows.append((evidence.features, int(first_candidate_answers(q, evidence)), "near-miss"))
            close_client(path=store)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="embedding model: qa-tuned (default), minilm or a folder")
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument(
        "--out", type=Path, help="default: qa/models/confidence.json for the tuned model, confidence-<model>.json otherwise"
    )
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--features", default=",".join(FEATURES), help="comma-separated decision features to read")
    parser.add_argument("--rows", type=Path, help="cache of the labelled feature rows (JSON), reused when present")
    parser.add_argument(
        "--extra", type=Path, default=EXTRA, help="more training questions on the same articles (paraphrased)"
    )
    parser.add_argument("--extra-weight", type=float, default=3.0, help="weight of each --extra row")
    parser.add_argument(
        "--near-miss-weight", type=float, default=0.0, help="weight of each held-out-paragraph row (0: none)"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    embedder = default_embedder(args.model)
    if args.rows and args.rows.exists():
        cached = json.loads(args.rows.read_text(encoding="utf-8"))
        rows = [(dict(r["features"]), int(r["label"]), str(r.get("source", "squad"))) for r in cached]
    else:
        sets: dict[str, Sequence[EvalQuestion]] = {"squad": load_questions(args.train / "questions.json")}
        if args.extra and args.extra.exists():
            sets["paraphrase"] = load_questions(args.extra)
        articles = sorted(p for p in (args.train / "corpus").iterdir() if p.suffix == ".txt")
        rows = collect(embedder, sets, [articles[0::2], articles[1::2]], random.Random(args.seed))
        if args.rows:
            args.rows.parent.mkdir(parents=True, exist_ok=True)
            cache = [{"features": f, "label": y, "source": src} for f, y, src in rows]
            args.rows.write_text(json.dumps(cache), encoding="utf-8")

    if args.near_miss_weight > 0:
        rows += collect_near_misses(embedder, args.train)

    names = [n.strip() for n in args.features.split(",") if n.strip()]
    x = np.asarray([[f[n] for n in names] for f, _, _ in rows])
    weight_of = {"squad": 1.0, "near-miss": args.near_miss_weight}
    w = np.asarray([weight_of.get(src, args.extra_weight) for _, _, src in rows])
    y = np.asarray([label for _, label, _ in rows], dtype=float)
    means, scales = x.mean(axis=0), x.std(axis=0) + 1e-9
    beta = fit_logistic((x - means) / scales, y, w, l2=args.l2)
    model = ConfidenceModel(
        weights=dict(zip(names, beta[1:].tolist(), strict=True)),
        bias=float(beta[0]),
        means=dict(zip(names, means.tolist(), strict=True)),
        scales=dict(zip(names, scales.tolist(), strict=True)),
        embedder=embedder.model_name,
    )
    probabilities = [model.probability(f) for f, _, _ in rows]
    fitted_auc = auc(probabilities, [int(v) for v in y])
    payload = {
        "about": "P(first quote answers) for corpus-qa; fitted by training/fit_confidence.py on the SQuAD 2.0 "
        "training articles (CC BY-SA 4.0; in-corpus and cross-half off-corpus questions). Do not edit by hand.",
        "embedder": model.embedder,
        "weights": {k: round(v, 6) for k, v in model.weights.items()},
        "bias": round(model.bias, 6),
        "means": {k: round(v, 6) for k, v in model.means.items()},
        "scales": {k: round(v, 6) for k, v in model.scales.items()},
        "training": {
            "examples": len(rows),
            "sources": {src: sum(1 for _, _, r in rows if r == src) for src in sorted({r for _, _, r in rows})},
            "extra_weight": args.extra_weight,
            **({"near_miss_weight": args.near_miss_weight} if args.near_miss_weight > 0 else {}),
            "positives": int(y.sum()),
            "l2": args.l2,
            "seed": args.seed,
            "in_sample_auc": round(fitted_auc, 4),
            "seconds": round(time.perf_counter() - started, 1),
        },
    }
    out = args.out or MODELS / (
        "confidence.json" if embedder.model_name.startswith(TUNED_MODEL_NAME) else f"confidence-{embedder.model_name.rsplit('/', 1)[-1]}.json"
    )
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload["training"]), f"-> {out}")
    for name in names:
        print(f"  {name:<16} {model.weights[name]:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
