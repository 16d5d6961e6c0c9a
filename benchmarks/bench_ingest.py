"""Ingest throughput (chunks/s, end to end) and peak memory, against the plain recipe.

    .venv/bin/python benchmarks/bench_ingest.py [--copies 3]

Corpus: the 8 SQuAD articles of ../shared/bench/squad2-dev, copied ``--copies``
times under different names (real prose, about 300 chunks per copy).

* corpus-qa: ``open_corpus`` on an empty store: load, sentence-split, chunk
  with the model's tokenizer, embed every sentence with the ONNX backend
  (length-sorted batches), chunk vectors as the mean of their sentences, batched
  Chroma upserts of chunks and sentences.
* baseline, the plain recipe: the same chunk texts, sentence-transformers with
  its defaults (``encode`` of every chunk, batch 32), Chroma ``add``.

Each runs in its own process (peak RSS is per process); the model load is
timed apart from the ingest. Retrieval quality is checked on the same run:
dense-only passage recall@5 on the answerable SQuAD questions with each
side's chunk vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SQUAD = REPO.parent / "shared" / "bench" / "squad2-dev"

RECALL = r"""
def recall_at_5(chunks, vectors, question_vectors, questions):
    import numpy as np
    from qa.evaluation import contains_answer
    scores = np.asarray(question_vectors, dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
    hits = 0
    for row, q in zip(scores, questions):
        hits += any(contains_answer(chunks[i], q["answers"], limit=None) for i in np.argsort(-row)[:5])
    return hits / len(questions)
"""

OURS = (
    RECALL
    + r"""
import json, resource, sys, time
t0 = time.perf_counter()
from vectorstore import default_embedder, StoreSettings
from qa import open_corpus
embedder = default_embedder(); embedder.encode(["warm up"])
t1 = time.perf_counter()
engine = open_corpus(sys.argv[1], store=StoreSettings(store_dir=sys.argv[2]), embedder=embedder)
t2 = time.perf_counter()
snap = engine.reader.index.snapshot
chunks = [snap.chunks[c].text for c in snap.chunk_order]
json.dump(chunks, open(sys.argv[3], "w"))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
questions = [q for q in json.load(open(sys.argv[4]))["questions"] if q["answerable"]]
got = engine.reader.index.store._chunks.get(ids=list(snap.chunk_order), include=["embeddings"])
by_id = dict(zip(got["ids"], got["embeddings"]))
r5 = recall_at_5(chunks, [by_id[i] for i in snap.chunk_order], embedder.encode([q["q"] for q in questions]), questions)
print(json.dumps({"load_s": t1 - t0, "ingest_s": t2 - t1, "chunks": len(chunks), "r5": r5,
                  "sentences": sum(len(c.sentences) for c in snap.chunks.values()), "peak_mb": peak}))
"""
)

BASELINE = (
    RECALL
    + r"""
import json, os, resource, sys, time
os.environ["HF_HUB_OFFLINE"] = "1"
t0 = time.perf_counter()
import chromadb
from sentence_transformers import SentenceTransformer
from vectorstore import bundled_model_path
model = SentenceTransformer(str(bundled_model_path()))
model.encode(["warm up"])
t1 = time.perf_counter()
chunks = json.load(open(sys.argv[1]))
vectors = model.encode(chunks, batch_size=32)
client = chromadb.PersistentClient(path=sys.argv[2])
col = client.get_or_create_collection("plain", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
step = client.get_max_batch_size()
for i in range(0, len(chunks), step):
    col.add(ids=[str(j) for j in range(i, min(i + step, len(chunks)))], embeddings=vectors[i:i + step], documents=chunks[i:i + step])
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
questions = [q for q in json.load(open(sys.argv[3]))["questions"] if q["answerable"]]
r5 = recall_at_5(chunks, vectors, model.encode([q["q"] for q in questions]), questions)
print(json.dumps({"load_s": t1 - t0, "ingest_s": t2 - t1, "chunks": len(chunks), "r5": r5, "peak_mb": peak}))
"""
)


def run(script: str, *args: str, env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cqa-ingest-"))
    corpus = root / "corpus"
    corpus.mkdir()
    for copy in range(args.copies):
        for path in sorted((SQUAD / "corpus").glob("*.txt")):
            shutil.copy(path, corpus / f"{path.stem}-{copy}.txt")
    questions = str(SQUAD / "questions.json")
    ours = run(OURS, str(corpus), str(root / "store"), str(root / "chunks.json"), questions)
    base = run(BASELINE, str(root / "chunks.json"), str(root / "plain"), questions)
    int8 = run(
        OURS,
        str(corpus),
        str(root / "store8"),
        str(root / "chunks8.json"),
        questions,
        env={"CORPUS_QA_BACKEND": "onnx-int8"},
    )
    rate_base = base["chunks"] / base["ingest_s"]
    print(
        f"corpus: {args.copies} x the 8 SQuAD articles = {int(ours['chunks'])} chunks, "
        f"{int(ours['sentences'])} sentences; dense R@5 on the {SQUAD.name} answerable questions"
    )
    print(
        f"{'':<22} {'model load s':>12} {'ingest s':>9} {'chunks/s':>9} {'ratio':>6} {'peak MB':>8} {'dense R@5':>10}"
    )
    for name, row in (
        ("baseline (plain)", base),
        ("corpus-qa (onnx)", ours),
        ("corpus-qa (onnx-int8)", int8),
    ):
        rate = row["chunks"] / row["ingest_s"]
        print(
            f"{name:<22} {row['load_s']:12.1f} {row['ingest_s']:9.1f} {rate:9.1f} {rate / rate_base:5.2f}x "
            f"{row['peak_mb']:8.0f} {100 * row['r5']:9.1f}%"
        )
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
