"""Kill ingest at random moments (SIGKILL); the next start must answer correctly with a whole index."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, SQUAD
from vectorstore import default_corpus_dir

pytestmark = pytest.mark.slow
KILLS = 10

CHECK = """
import json, sys
from qa import open_corpus
from vectorstore import StoreSettings
engine = open_corpus(sys.argv[1], store=StoreSettings(store_dir=sys.argv[2]))
answer = engine.answer("Who is Cuba's foreign minister?")
print(json.dumps({
    "stored": engine.reader.index.store.count(),
    "expected": len(engine.reader.index.snapshot.chunks),
    "first": answer.quotes[0].text if answer.quotes else None,
    "report": engine.reader.index.last_report.summary(),
}))
"""


def _corpus(root: Path) -> Path:
    corpus = root / "corpus"
    shutil.copytree(default_corpus_dir(), corpus)
    if SQUAD.is_dir():
        for name in ("Normans.txt", "Steam_engine.txt", "Huguenot.txt"):
            shutil.copy(SQUAD / "corpus" / name, corpus / name)
    else:  # enough text that a kill lands mid-ingest without the shared benchmark
        for i in range(3):
            body = " ".join(
                f"Sentence {j} of filler article {i} talks about harbours and ships." for j in range(600)
            )
            (corpus / f"filler{i}.txt").write_text(f"Filler {i}\n\n{body}\n", encoding="utf-8")
    return corpus


def _check(corpus: Path, store: Path) -> dict[str, object]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(corpus), str(store)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


WORDS = [
    "harbour",
    "pilots",
    "ferry",
    "union",
    "strike",
    "wages",
    "port",
    "crane",
    "ship",
    "cargo",
    "tide",
    "dock",
]


def test_random_sigkills_during_ingest_never_break_the_store(tmp_path: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from vectorstore import chunk_document, load_document

    corpus = _corpus(tmp_path)
    reference = _check(corpus, tmp_path / "reference")  # a clean ingest: what every store must reach
    assert reference["stored"] == reference["expected"]
    rng = random.Random(20261127)
    store = tmp_path / "store"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    survived = interrupted = 0
    for _ in range(KILLS):
        if rng.random() < 0.4:  # sometimes kill the very first build of a store
            shutil.rmtree(store, ignore_errors=True)
        # A new version of one long article each round, so kills also land mid-update.
        extra = corpus / "changing.txt"
        sentences = [" ".join(rng.choices(WORDS, k=12)).capitalize() + "." for _ in range(300)]
        extra.write_text("Changing article\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
        extra_chunks = len(chunk_document(load_document(extra, corpus), real_embedder.count_tokens))
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui", "ingest", str(corpus), "--store", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=REPO,
        )
        time.sleep(rng.uniform(0.5, 4.0))
        interrupted += proc.poll() is None  # still running: the kill lands mid-ingest
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = _check(corpus, store)
        assert state["stored"] == state["expected"], state
        assert state["expected"] == int(str(reference["expected"])) + extra_chunks
        assert "Bruno Rodriguez Parrilla" in str(state["first"])
        survived += 1
    assert survived == KILLS
    assert interrupted >= KILLS // 2, f"only {interrupted} kills landed mid-ingest"
    print(f"{KILLS} SIGKILLs ({interrupted} mid-ingest) survived")
