"""One Chroma server, an ingest job and two chat replicas that have no corpus folder, end to end.

Every process is real: ``chroma run`` (tests/helpers.py ``ChromaServer``), ``corpus-qa ingest``
and two ``corpus-qa chat --chroma-url URL --collection NAME`` replicas (``running_chat``), which
are talked to through ``gradio_client`` only. The server and the replicas start once for the
module; the tests run in file order and the destructive ones (killing a replica, restarting the
server) come last.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.helpers import ChatURL, ChromaServer, running_chat
from vectorstore import default_corpus_dir

pytestmark = [pytest.mark.slow, pytest.mark.server]

COLLECTION = "cqa-replicas"
STALENESS_S = 2.0
SLACK_S = 6.0  # a question's own latency on a busy machine, on top of the staleness bound
QUESTION = "Who is Cuba's foreign minister?"
QUESTIONS = [
    QUESTION,
    "What did Putin promise about trade with Cuba?",
    "Who gave Cuba an economic lifeline during the cold war?",
    "How should all disputes be settled, according to Lavrov?",
]
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def ingest_command(folder: Path, url: str, collection: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ui",
        "ingest",
        str(folder),
        "--chroma-url",
        url,
        "--collection",
        collection,
    ]


def run_ingest(folder: Path, url: str, collection: str) -> subprocess.CompletedProcess[str]:
    """``corpus-qa ingest FOLDER --chroma-url URL --collection NAME`` as a job of its own."""
    return subprocess.run(
        ingest_command(folder, url, collection),
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ingest(folder: Path, url: str, collection: str) -> subprocess.CompletedProcess[str]:
    done = run_ingest(folder, url, collection)
    assert done.returncode == 0, done.stderr
    return done


def ask(client: Any, question: str) -> dict[str, Any]:
    result = client.predict(question, api_name="/ask")
    assert isinstance(result, dict), result
    return result


def assert_quotes_match_the_files(result: dict[str, Any], corpus: Path) -> None:
    """Each quote's ``start:end`` cuts its text out of the file its doc_id names, as ingest read it."""
    assert result["quotes"], result
    for quote in result["quotes"]:
        text = (corpus / quote["doc_id"]).read_bytes().decode("utf-8")  # a .txt file is its own text
        assert text[quote["start"] : quote["end"]] == quote["text"], quote


def answers_http(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5)
        return True
    except OSError:
        return False


@dataclass
class Deployment:
    server: ChromaServer
    corpus: Path
    replicas: dict[str, ChatURL]
    clients: dict[str, Any]


def enter_together(stack: ExitStack, managers: list[AbstractContextManager[ChatURL]]) -> list[ChatURL]:
    """Start the replicas at once (each loads the model); every one that started is stopped at the end."""
    with ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(m.__enter__) for m in managers]
    for manager, future in zip(managers, futures, strict=True):
        if future.exception() is None:
            stack.push(manager)
    return [f.result() for f in futures]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    from gradio_client import Client

    root = tmp_path_factory.mktemp("replicas")
    server = ChromaServer(root)
    server.start()
    try:
        corpus = root / "corpus"
        shutil.copytree(default_corpus_dir(), corpus)
        ingest(corpus, server.url, COLLECTION)
        args = ("--chroma-url", server.url, "--collection", COLLECTION, "--staleness", str(STALENESS_S))
        with ExitStack() as stack:
            a, b = enter_together(stack, [running_chat(root / name, *args, env=ENV) for name in ("a", "b")])
            clients = {"A": Client(a, verbose=False), "B": Client(b, verbose=False)}
            yield Deployment(server, corpus, {"A": a, "B": b}, clients)
    finally:
        server.stop()


def test_two_folderless_replicas_give_the_same_verbatim_quotes(deployment: Deployment) -> None:
    a, b = (ask(deployment.clients[r], QUESTION) for r in ("A", "B"))
    assert "error" not in a and "error" not in b, (a, b)
    assert not a["abstained"] and "Bruno Rodriguez Parrilla" in a["quotes"][0]["text"]
    assert a["quotes"] == b["quotes"]
    for replica in (a, b):
        assert_quotes_match_the_files(replica, deployment.corpus)


def test_a_new_article_reaches_both_replicas_within_the_staleness_bound(deployment: Deployment) -> None:
    question = "Who is the curator of the spice museum in Stone Town?"
    for name in "AB":  # not there before the ingest
        before = ask(deployment.clients[name], question)
        assert all(q["doc_id"] != "zanzibar.txt" for q in before["quotes"]), before
    (deployment.corpus / "zanzibar.txt").write_text(
        "Zanzibar opens a spice museum\nThe curator of the new spice museum in Stone Town is Amina Juma.\n"
        "The museum shows cloves, cinnamon and nutmeg from the island's farms.\n",
        encoding="utf-8",
    )
    done = ingest(deployment.corpus, deployment.server.url, COLLECTION)
    assert "1 added" in done.stdout, done.stdout
    ingested = time.monotonic()  # the revision was written before the job exited
    bound = 2 * STALENESS_S + SLACK_S
    arrived: dict[str, float] = {}
    last: dict[str, dict[str, Any]] = {}
    while len(arrived) < 2:
        elapsed = time.monotonic() - ingested
        assert elapsed < bound, f"not on {set('AB') - set(arrived)} after {elapsed:.1f} s: {last}"
        for name in sorted(set("AB") - set(arrived)):
            result = last[name] = ask(deployment.clients[name], question)
            assert "error" not in result, result
            if result["quotes"] and result["quotes"][0]["doc_id"] == "zanzibar.txt":
                assert "Amina Juma" in result["quotes"][0]["text"]
                assert_quotes_match_the_files(result, deployment.corpus)
                arrived[name] = time.monotonic() - ingested
        time.sleep(0.2)
    print(f"\nnew article answered by A after {arrived['A']:.1f} s, by B after {arrived['B']:.1f} s")


def test_a_second_writer_is_refused_while_the_first_ingest_runs(
    deployment: Deployment, tmp_path: Path
) -> None:
    """Process level (test_remote_reader.py holds the lease in-process): two `corpus-qa ingest` jobs."""
    from vectorstore import open_client
    from vectorstore.chroma_store import WriteLease

    bulk = tmp_path / "bulk"
    bulk.mkdir()
    for i in range(150):  # ~900 sentences: several seconds of embedding under the lease
        sentences = " ".join(
            f"Ship {i}-{j} unloaded {7 * j + i} crates of grain at pier {j} on day {i}." for j in range(6)
        )
        (bulk / f"harbour-{i:03d}.txt").write_text(f"Harbour report {i}\n{sentences}\n", encoding="utf-8")
    url, collection = deployment.server.url, "cqa-bulk"
    lease = WriteLease(open_client(url=url), collection, location=url, renew_in_background=False)
    log = tmp_path / "first.log"
    with open(log, "w") as out:
        first = subprocess.Popen(
            ingest_command(bulk, url, collection), cwd=REPO, env=ENV, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 120
        while lease.current() is None:  # the first job holds the lease once it starts writing
            assert first.poll() is None, (
                "the first ingest ended before it took the lease:\n" + log.read_text()
            )
            assert time.monotonic() < deadline, "the first ingest never took the lease:\n" + log.read_text()
            time.sleep(0.1)
        second = run_ingest(bulk, url, collection)
        still_running = first.poll() is None
        assert first.wait(timeout=300) == 0, log.read_text()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert still_running, (
        "the first ingest finished before the second one reached the lease: use more articles"
    )
    assert second.returncode != 0, second.stdout
    assert f"Corpus '{collection}'" in second.stderr and "is being written by" in second.stderr, second.stderr
    assert "Wait for that ingest to finish" in second.stderr, second.stderr
    assert "150 added" in log.read_text()
    assert lease.current() is None  # the first released it


def test_killing_one_replica_under_load_costs_the_other_nothing(deployment: Deployment) -> None:
    from gradio_client import Client

    replicas = deployment.replicas
    expected = {q: ask(deployment.clients["B"], q)["quotes"] for q in QUESTIONS}
    local = threading.local()
    killed = threading.Event()
    answered_by_a = threading.Semaphore(0)
    killed_at: list[float] = []

    def one(i: int) -> tuple[str, float, dict[str, Any] | BaseException]:
        name = "AB"[i % 2]
        sent = time.monotonic()
        try:
            clients = local.__dict__.setdefault("clients", {})
            if name not in clients:
                clients[name] = Client(replicas[name], verbose=False)
            result: dict[str, Any] | BaseException = (
                clients[name].submit(QUESTIONS[i % len(QUESTIONS)], api_name="/ask").result(timeout=60)
            )
        except Exception as exc:
            result = exc
        if name == "A" and not killed.is_set():
            answered_by_a.release()
        return name, sent, result

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(one, i) for i in range(40)]
        for _ in range(5):  # a few answers from A first: the kill lands mid-way through the load
            assert answered_by_a.acquire(timeout=120), "replica A never answered"
        os.kill(replicas["A"].pid, signal.SIGKILL)
        killed_at.append(time.monotonic())
        killed.set()
        outcomes = [f.result(timeout=300) for f in futures]

    to_b = [(i, sent, result) for i, (name, sent, result) in enumerate(outcomes) if name == "B"]
    failures = [(i, r) for i, _, r in to_b if isinstance(r, BaseException) or "error" in r]
    assert not failures, failures
    for i, _, result in to_b:
        assert isinstance(result, dict) and result["quotes"] == expected[QUESTIONS[i % len(QUESTIONS)]]
    after_kill = sum(sent > killed_at[0] for _, sent, _ in to_b)
    assert after_kill >= 5, f"only {after_kill} questions reached B after the kill"
    assert not answers_http(replicas["A"])
    print(f"\n{len(to_b)} questions to B ({after_kill} after A was killed): 0 errors")


def test_a_restarted_server_is_reported_then_recovered_from(deployment: Deployment) -> None:
    url = deployment.replicas["B"]
    client = deployment.clients["B"]
    expected = ask(client, QUESTION)
    assert "error" not in expected and expected["quotes"], expected
    deployment.server.stop()
    try:
        for question, wait in ((QUESTION, 0.0), (QUESTIONS[1], STALENESS_S + 0.5)):
            time.sleep(wait)  # the second one also lands after a failed poll for a new revision
            down = ask(client, question)
            assert "Store unavailable" in down.get("error", ""), down
            assert down["quotes"] == [] and "abstained" not in down  # an error, not "the articles don't say"
        print(f"\nwhile down: {down['error']}")
        assert answers_http(url), "replica B stopped answering HTTP while the store was down"
    finally:
        deployment.server.start()  # the same data folder and port
    restarted = time.monotonic()
    while True:
        result = ask(client, QUESTION)
        if "error" not in result:
            break
        assert "Store unavailable" in result["error"], result
        assert time.monotonic() - restarted < 30, f"B did not recover within 30 s: {result}"
        time.sleep(0.5)
    print(f"B answered again {time.monotonic() - restarted:.1f} s after the restart")
    assert result["quotes"] == expected["quotes"]
    assert_quotes_match_the_files(result, deployment.corpus)
