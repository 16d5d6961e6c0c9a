"""A reader's start, memory and answer latency over a built store, embedded and through `chroma run`.

    .venv/bin/python benchmarks/bench_scale.py --sizes 300000 --workdir /work/scale   # builds the store
    .venv/bin/python benchmarks/bench_reader.py --workdir /work/scale --size 300000 [--questions 100]

Each reader is a fresh process that opens the corpus from the store alone
(``qa.api.open_collection``: no folder), answers one question, then the
benchmark's questions. It runs twice per mode: first with an empty index
folder (it reads every chunk record back and builds the BM25 index, then
saves both), then again with the indexes that first run saved, as every
later start, and every other replica on the machine, finds them.

Baseline in the same process and run: the bare dense-query floor, the
question's embedding plus one Chroma query for the top 5 chunks, on the
same store and questions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SQUAD = REPO.parent / "shared" / "bench" / "squad2-dev"


def child(args: argparse.Namespace) -> None:
    """One reader process: report when ready, then time answers and the dense floor."""
    from qa.api import open_collection
    from vectorstore import StoreSettings

    settings = StoreSettings(
        store_dir=Path(args.store) if args.store else None,
        chroma_url=args.url,
        index_dir=Path(args.index_dir),
    )
    questions = json.loads(args.questions_json)
    engine = open_collection(args.collection, store=settings)
    engine.answer(questions[0])
    print(json.dumps({"ready": True}), flush=True)
    reader = engine.reader
    answer_ms, floor_ms = [], []
    for q in questions:
        t = time.perf_counter()
        engine.answer(q)
        answer_ms.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        reader.query_chunks(reader.embed([q])[0], 5)
        floor_ms.append(1000 * (time.perf_counter() - t))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "answer": [float(np.percentile(answer_ms, 50)), float(np.percentile(answer_ms, 95))],
                "floor": [float(np.percentile(floor_ms, 50)), float(np.percentile(floor_ms, 95))],
                "rss_mb": rss_mb,
                "chunks": len(reader.snapshot.chunk_order),
            }
        ),
        flush=True,
    )


def run_reader(where: list[str], collection: str, index_dir: Path, questions: list[str]) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", "--collection", collection, "--index-dir", str(index_dir),
           "--questions-json", json.dumps(questions), *where]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    ready_s = time.perf_counter() - started
    if not first.strip():
        raise SystemExit(f"reader failed: {proc.wait()}")
    result = json.loads(proc.stdout.readline())
    proc.wait()
    return {"ready_s": ready_s, **result}


def folder_size(path: Path) -> int:
    return sum(
        p.stat().st_size for p in path.rglob("*") if p.is_file() and "corpus-qa-indexes" not in p.parts
    )


def start_server(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    from tests.helpers import free_port

    port = free_port()
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    log = open(tempfile.mktemp(suffix=".log"), "wb")  # noqa: SIM115
    proc = subprocess.Popen([chroma, "run", "--path", str(store), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    import urllib.request

    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"chroma run did not start; see {log.name}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--size", type=int, default=300000)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--modes", default="embedded,server")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--collection", help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", help=argparse.SUPPRESS)
    parser.add_argument("--questions-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.workdir is None:
        raise SystemExit("--workdir: the folder bench_scale.py --workdir built")
    root = args.workdir / str(args.size)
    store = root / "store"
    built = json.loads((root / "built.json").read_text())
    questions = [
        q["q"] for q in json.loads((SQUAD / "questions.json").read_text())["questions"] if q["answerable"]
    ]
    questions = random.Random(3).sample(questions, args.questions)
    collection = f"scale-{args.size}"
    rows = []
    for mode in args.modes.split(","):
        server = None
        if mode == "server":
            server, url = start_server(store)
            where = ["--url", url]
        else:
            where = ["--store", str(store)]
        index_dir = Path(tempfile.mkdtemp(prefix="cqa-reader-indexes-"))
        try:
            for start in ("first start", "later start"):
                result = run_reader(where, collection, index_dir, questions)
                rows.append((mode, start, result))
                print(mode, start, json.dumps(result), flush=True)
        finally:
            shutil.rmtree(index_dir, ignore_errors=True)
            if server is not None:
                server.terminate()
                server.wait(timeout=60)
    print()
    print(f"store: {rows[0][2]['chunks']} chunks, {folder_size(store) / 2**30:.1f} GiB on disk, built in "
          f"{built['build_s']:.0f} s (embedded, bench_scale.py)")  # fmt: skip
    for grown in built.get("grown", []):
        line = f"  then grown by {grown['articles_added']} articles: incremental sync {grown['sync_s']:.0f} s"
        if "unchanged_sync_s" in grown:
            line += f"; a sync with nothing changed after it {grown['unchanged_sync_s']:.1f} s"
        print(line)
    print(f"{'mode':<9} {'start':<12} {'ready s':>8} {'RSS MB':>7} {'answer p50':>10} {'p95':>6} "
          f"{'floor p50':>9} {'p95':>6} {'ratio':>6}")  # fmt: skip
    for mode, start, r in rows:
        a50, a95 = r["answer"]  # type: ignore[misc]
        f50, f95 = r["floor"]  # type: ignore[misc]
        print(f"{mode:<9} {start:<12} {r['ready_s']:8.1f} {r['rss_mb']:7.0f} {a50:10.1f} {a95:6.1f} "
              f"{f50:9.1f} {f95:6.1f} {a50 / f50:6.2f}")  # fmt: skip
    print(
        "\nready: process start to the first answer; first start: empty index folder (reads the chunk "
        "records and builds BM25, then saves both); later start: the saved indexes. floor: question "
        "embedding + one Chroma top-5 chunk query, same process, same questions; ratio = answer p50 / floor p50."
    )


if __name__ == "__main__":
    main()
