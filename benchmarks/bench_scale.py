"""Warm query latency of qa.retrieve / qa.answer at about 1k, 10k and 100k chunks.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 1000,10000,100000] [--questions 100]

How the corpora are built: the 8 SQuAD articles of ../shared/bench/squad2-dev
(real text) are the first documents; the rest are generated articles made of
their sentences drawn at random (six paragraphs of four sentences each), so
chunks read like real prose. Every sentence is embedded once with the real
model; a generated sentence gets its source sentence's vector plus small noise
(sigma 0.01, renormalised) so no two records are identical. Chunk vectors are
the mean of their sentences' vectors, exactly as ingest makes them.

Baseline in the same run, on the same chunks and question set: the plain
recipe's query path: sentence-transformers encodes the question (its
defaults), Chroma returns the top 5 chunks by vector alone (a collection
filled with Chroma ``add``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from qa import CorpusQA
from vectorstore import CorpusIndex, IndexReader, Source, StoreSettings, default_embedder, open_store
from vectorstore.sentences import split_sentences
from vectorstore.snapshot import RevisionCache

SQUAD = Path(__file__).resolve().parents[2] / "shared" / "bench" / "squad2-dev"


class TimedReader:
    """Wraps a reader and adds up the milliseconds each of its calls takes (per answer)."""

    def __init__(self, inner: IndexReader) -> None:
        self.inner = inner
        self.spent: dict[str, float] = {}

    def reset(self) -> None:
        self.spent = {}

    def _timed(self, stage: str, call, *args):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return call(*args)
        finally:
            self.spent[stage] = self.spent.get(stage, 0.0) + 1000 * (time.perf_counter() - started)

    @property
    def location(self) -> str:
        return self.inner.location

    @property
    def snapshot(self):  # type: ignore[no-untyped-def]
        return self.inner.snapshot

    def embed(self, texts):  # type: ignore[no-untyped-def]
        return self._timed("embed question", self.inner.embed, texts)

    def query_chunks(self, vector, k):  # type: ignore[no-untyped-def]
        return self._timed("Chroma chunk query", self.inner.query_chunks, vector, k)

    def query_sentences(self, vector, k):  # type: ignore[no-untyped-def]
        return self._timed("Chroma sentence query", self.inner.query_sentences, vector, k)

    def sentence_vectors(self, keys):  # type: ignore[no-untyped-def]
        return self._timed("fetch sentence vectors", self.inner.sentence_vectors, keys)


class ReusingEmbedder:
    """Real vectors for real sentences, computed once; generated copies get a little noise."""

    def __init__(self, real, seed: int = 7) -> None:  # type: ignore[no-untyped-def]
        self.real = real
        self.model_name = real.model_name
        self.dimension = real.dimension
        self.max_tokens = real.max_tokens
        self.cache: dict[str, np.ndarray] = {}
        self.rng = np.random.default_rng(seed)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            for t, v in zip(missing, self.real.encode(missing), strict=True):
                self.cache[t] = v
        out = np.stack([self.cache[t] for t in texts]).astype(np.float32)
        out += self.rng.normal(0, 0.01, out.shape).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.real.count_tokens(texts)


# A generated article makes about 4.77 chunks (24 sentences of SQuAD prose, 200-token chunks):
# 4.7 per article asked for gives at least the target.
CHUNKS_PER_ARTICLE = 4.7


def build_corpus(folder: Path, target_chunks: int, rng: random.Random) -> int:
    """Write the corpus, or the articles it lacks (the same ``rng`` gives the same articles); return how many."""
    folder.mkdir(parents=True, exist_ok=True)
    sentences: list[str] = []
    written = 0
    for path in sorted((SQUAD / "corpus").glob("*.txt")):
        if not (folder / path.name).exists():
            shutil.copy(path, folder / path.name)
            written += 1
        text = path.read_text(encoding="utf-8")
        sentences.extend(
            text[s.start : s.end] for s in split_sentences(text) if len(text[s.start : s.end]) > 40
        )
    for i in range(max(0, math.ceil(target_chunks / CHUNKS_PER_ARTICLE))):
        paragraphs = ["\n".join([" ".join(rng.sample(sentences, 4)) for _ in range(6)])]
        path = folder / f"gen-{i:06d}.txt"
        if not path.exists():
            path.write_text(f"Generated article {i}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
            written += 1
    return written


def build_through_server(root: Path, size: int, embedder: ReusingEmbedder) -> tuple[float, float, float, float]:
    """The same corpus written through a fresh `chroma run`: (embedded s, server s, embedded GiB, server GiB)."""
    from bench_reader import folder_size, start_server

    from vectorstore.chroma_store import close_client

    data = root / "server-store"
    shutil.rmtree(data, ignore_errors=True)
    server, url = start_server(data)
    try:
        started = time.perf_counter()
        store = open_store(StoreSettings(chroma_url=url), f"scale-{size}", embedder)
        CorpusIndex([Source(root / "corpus")], store, embedder, max_files=10 * size).sync(progress=True)
        server_s = time.perf_counter() - started
        close_client(url=url)
    finally:
        server.terminate()
        server.wait(timeout=120)
    embedded_s = float(json.loads((root / "built.json").read_text())["build_s"])
    return embedded_s, server_s, folder_size(root / "store") / 2**30, folder_size(data) / 2**30


def percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--workdir", type=Path, help="keep each size's corpus and store here and reuse them")
    parser.add_argument(
        "--readers",
        action="store_true",
        help="after building, measure folder-less readers (embedded and chroma run) with bench_reader.py; needs --workdir",
    )
    parser.add_argument("--build-only", action="store_true", help="build (or reuse) the stores, measure nothing")
    parser.add_argument(
        "--server-build",
        action="store_true",
        help="also time the same build through a `chroma run` server (a fresh data folder), beside the embedded one",
    )
    args = parser.parse_args()
    if (args.readers or args.server_build) and args.workdir is None:
        parser.error("--readers and --server-build need --workdir (the stores are kept there)")
    if not SQUAD.is_dir():
        raise SystemExit(f"needs {SQUAD}")
    questions = [
        q["q"] for q in json.loads((SQUAD / "questions.json").read_text())["questions"] if q["answerable"]
    ]
    questions = random.Random(3).sample(questions, args.questions)
    real = default_embedder()
    reusing = ReusingEmbedder(real)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from vectorstore import bundled_model_path

    st_model = SentenceTransformer(str(bundled_model_path()), device="cpu")
    rows = []
    server_rows: list[tuple[int, float, float, float, float]] = []
    stages: dict[tuple[int, str], list[float]] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        root = (
            args.workdir / str(size) if args.workdir else Path(tempfile.mkdtemp(prefix=f"cqa-scale-{size}-"))
        )
        built = root / "built.json"
        if not built.exists():
            shutil.rmtree(root, ignore_errors=True)
        added = build_corpus(root / "corpus", size, random.Random(size))
        record = json.loads(built.read_text()) if built.exists() else {}
        if added or not built.exists() or not (args.readers or args.build_only):
            started = time.perf_counter()
            settings = StoreSettings(store_dir=root / "store")
            store = open_store(settings, f"scale-{size}", reusing)
            cache = RevisionCache(settings.index_root(f"scale-{size}"))  # as open_index has it
            index = CorpusIndex([Source(root / "corpus")], store, reusing, max_files=10 * size, cache=cache)
            index.sync(progress=True)
            took = time.perf_counter() - started
            if "build_s" not in record:
                record["build_s"] = took
            elif added:  # a store grown to a larger target: what the incremental sync cost
                started = time.perf_counter()
                index.sync()
                record.setdefault("grown", []).append(
                    {"articles_added": added, "sync_s": took, "unchanged_sync_s": time.perf_counter() - started}
                )
            built.write_text(json.dumps(record))
        build_s = float(record["build_s"])
        if args.server_build:
            server_rows.append((size, *build_through_server(root, size, reusing)))
        if args.readers:
            import subprocess

            from vectorstore.chroma_store import close_client

            close_client(path=root / "store")  # the readers open the folder themselves
            subprocess.run(
                [sys.executable, str(Path(__file__).with_name("bench_reader.py")), "--workdir", str(args.workdir),
                 "--size", str(size), "--questions", str(args.questions)],
                check=True,
            )  # fmt: skip
        if args.build_only or args.readers:
            continue
        index.embedder = real  # queries use the real model, as users' do
        timed = TimedReader(IndexReader(index))
        engine = CorpusQA(timed)
        n_chunks = len(index.snapshot.chunks)
        for q in questions[:5]:
            engine.answer(q)
        timings: dict[str, list[float]] = {"retrieve": [], "answer": [], "baseline": []}
        # The baseline's plain collection: the same chunk vectors, added with Chroma `add`.
        import chromadb

        plain = chromadb.PersistentClient(path=str(root / "plain")).get_or_create_collection(
            "plain", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        ids = list(index.snapshot.chunk_order)
        got = store._chunks.get(ids=ids[:1], include=["embeddings"])
        batch = 5000
        for i in range(0, len(ids), batch):
            part = store._chunks.get(ids=ids[i : i + batch], include=["embeddings", "documents"])
            plain.add(ids=part["ids"], embeddings=part["embeddings"], documents=part["documents"])
        del got
        timed.reset()
        for q in questions:
            t = time.perf_counter()
            engine.retrieve(q, k=5)
            timings["retrieve"].append(1000 * (time.perf_counter() - t))
            timed.reset()
            t = time.perf_counter()
            engine.answer(q)
            timings["answer"].append(1000 * (time.perf_counter() - t))
            for stage, ms in timed.spent.items():
                stages.setdefault((n_chunks, stage), []).append(ms)
            stages.setdefault((n_chunks, "BM25, scoring, quotes"), []).append(
                timings["answer"][-1] - sum(timed.spent.values())
            )
            t = time.perf_counter()
            plain.query(query_embeddings=st_model.encode([q]), n_results=5)
            timings["baseline"].append(1000 * (time.perf_counter() - t))
        base50, base95 = percentiles(timings["baseline"])
        for name in ("retrieve", "answer"):
            p50, p95 = percentiles(timings[name])
            rows.append((n_chunks, name, p50, p95, base50, base95, build_s))
        print(f"{n_chunks} chunks built in {build_s:.0f} s", flush=True)
        if not args.workdir:
            shutil.rmtree(root, ignore_errors=True)
    if server_rows:
        print(f"\n{'size':>8} {'embedded build s':>17} {'server build s':>15} {'ratio':>6} {'embedded GiB':>13} {'server GiB':>11}")
        for size, emb_s, srv_s, emb_gb, srv_gb in server_rows:
            print(f"{size:>8} {emb_s:17.0f} {srv_s:15.0f} {srv_s / emb_s:6.2f} {emb_gb:13.2f} {srv_gb:11.2f}")
    if not rows:
        return
    print()
    print(
        f"{'chunks':>8} {'call':<9} {'p50 ms':>7} {'p95 ms':>7} {'base p50':>9} {'base p95':>9} {'p50 ratio':>9}"
    )
    for n_chunks, name, p50, p95, base50, base95, _ in rows:
        print(
            f"{n_chunks:>8} {name:<9} {p50:7.1f} {p95:7.1f} {base50:9.1f} {base95:9.1f} {p50 / base50:9.2f}"
        )
    print(f"\n{'chunks':>8} {'answer stage':<24} {'p50 ms':>7} {'mean ms':>8}")
    for (n_chunks, stage), values in stages.items():
        print(
            f"{n_chunks:>8} {stage:<24} {float(np.percentile(values, 50)):7.1f} {float(np.mean(values)):8.1f}"
        )
    print(
        "\nbaseline: sentence-transformers encode of the question + Chroma dense top-5 (no lexical side,"
        f" no sentence ranking); warm, same machine, the same {len(questions)} SQuAD questions."
    )


if __name__ == "__main__":
    main()
