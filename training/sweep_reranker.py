"""Judge a cross-encoder on the engine's own candidates (rows from ``training/rerank_rows.py``).

    python -m training.sweep_reranker --model training/runs/ce1/model /tmp/rr/squad.json /tmp/rr/news.json

For each rows file: first-candidate accuracy when the top ``depth`` candidates
are re-ordered by ``engine score + weight × logit`` (weight 0 is today's
engine; ``inf`` is the cross-encoder alone), and how well the best candidate's
cross-encoder probability separates answerable from unanswerable questions
(AUC, and abstained / false abstentions at a few thresholds). Logits are
cached beside the rows file, keyed by the model folder's weights.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from pathlib import Path

import numpy as np

from training.evaluate_embedder import _auc
from training.train_reranker import CrossEncoder


def logits_for(model_dir: Path, rows_file: Path, rows: list[dict], depth: int) -> list[np.ndarray]:
    """The cross-encoder's logits for each row's ``depth`` best candidates."""
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes() + (model_dir / "head.json").read_bytes())
    cache = rows_file.with_suffix(f".{digest.hexdigest()[:10]}-{depth}.npz")
    if cache.is_file():
        data = np.load(cache)
        return [data[f"arr_{i}"] for i in range(len(rows))]
    model = CrossEncoder(model_dir)
    model.train(False)
    out = [model.score(r["q"], [c["text"] for c in r["candidates"][:depth]]) if r["candidates"] else np.zeros(0)
           for r in rows]
    np.savez(cache, *out)
    return out


def first_hits(rows: list[dict], logits: list[np.ndarray], depth: int, weight: float) -> tuple[float, list[int]]:
    hits, picks = 0, []
    answerable = 0
    for r, lg in zip(rows, logits, strict=True):
        cands = r["candidates"]
        if not cands:
            picks.append(-1)
            answerable += r["answerable"]
            continue
        d = min(depth, len(cands))
        if math.isinf(weight):
            combined = lg[:d]
        else:
            combined = np.array([c["score"] for c in cands[:d]]) + weight * lg[:d]
        pick = int(np.argmax(combined))
        picks.append(pick)
        if r["answerable"]:
            answerable += 1
            hits += cands[pick]["hit"]
    return hits / max(answerable, 1), picks


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("rows", type=Path, nargs="+")
    p.add_argument("--depths", default="3,5,8", help="candidates re-ordered (each row holds rerank_rows --depth)")
    p.add_argument("--weights", default="0,0.02,0.05,0.1,0.15,0.2,0.3,0.5,inf")
    args = p.parse_args(argv)
    depths = [int(x) for x in args.depths.split(",")]
    weights = [float(x) for x in args.weights.split(",")]
    for rows_file in args.rows:
        rows = json.loads(rows_file.read_text())
        logits = logits_for(args.model, rows_file, rows, max([*depths, 5]))  # 5: the abstention pick below
        print(f"\n{rows_file.name}: {len(rows)} questions")
        print("depth " + " ".join(f"{w:>6}" for w in weights))
        for d in depths:
            print(f"{d:>5} " + " ".join(f"{first_hits(rows, logits, d, w)[0]:6.3f}" for w in weights))
        # Abstention: the cross-encoder probability of the chosen candidate (depth 5, weight 0.1), and
        # the engine's own confidence, side by side.
        _, picks = first_hits(rows, logits, 5, 0.1)
        prob = np.array([1 / (1 + math.exp(-float(lg[k]))) if k >= 0 else 0.0 for lg, k in zip(logits, picks, strict=True)])
        conf = np.array([r["confidence"] for r in rows])
        ans = np.array([r["answerable"] for r in rows])
        print(f"AUC answerable vs not: cross-encoder {_auc(prob[ans], prob[~ans]):.3f}, "
              f"engine confidence {_auc(conf[ans], conf[~ans]):.3f}")
        for name, values in (("ce", prob), ("engine", conf), ("product", np.sqrt(prob * conf))):
            cells = []
            for t in (0.05, 0.1, 0.2, 0.3, 0.5):
                cells.append(f"{t:.2f}:{(values[~ans] < t).mean():5.1%}/{(values[ans] < t).mean():5.1%}")
            print(f"  {name:8s} " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
