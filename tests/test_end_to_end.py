"""The real model, a real Chroma store, the shipped corpus: answers as users get them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa import check_quotes
from qa.evaluation import contains_answer, load_questions
from tests.conftest import REPO, SEED_DEV

pytestmark = pytest.mark.slow
GOLD = Path(__file__).with_name("gold_default.json")


def first_quote_hits(engine, path: Path) -> tuple[int, int, int, int, int]:  # type: ignore[no-untyped-def]
    questions = load_questions(path)
    texts = {d: doc.text for d, doc in engine.reader.index.snapshot.documents.items()}
    hits = answered = abstained = 0
    for q in questions:
        answer = engine.answer(q.question, history=list(q.history) or None)
        check_quotes(answer.quotes, texts)  # verbatim, checked against the document itself
        if q.answerable:
            answered += not answer.abstained
            hits += bool(answer.quotes) and contains_answer(answer.quotes[0].text, q.answers)
        else:
            abstained += answer.abstained
    n_ans = sum(q.answerable for q in questions)
    return hits, n_ans, answered, abstained, len(questions) - n_ans


@pytest.mark.skipif(not SEED_DEV.exists(), reason=f"shared dev set not found at {SEED_DEV}")
def test_seed_dev_quality(default_engine) -> None:  # type: ignore[no-untyped-def]
    hits, n_ans, answered, abstained, n_un = first_quote_hits(default_engine, SEED_DEV)
    assert (n_ans, n_un) == (12, 4)
    # Regression floors a little under the level reached (docs/quality.md: 12/12, 4/4).
    assert hits >= 11, f"first-quote hits {hits}/12"
    assert abstained == 4, f"abstained {abstained}/4"
    assert answered >= n_ans - 1, "more than one answerable question abstained"


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "sizes", "first", "abstained", "answered"),
    [
        # Floors a little under docs/quality.md: 89.9% first, 65.5% abstained, 2.9% false.
        ("news-dev.json", (69, 58), 0.85, 0.60, 0.95),
        # The held-out set, written apart from news-dev and never used to choose settings: 95.6%, 60.0%, 0%.
        ("news-test.json", (45, 45), 0.90, 0.55, 0.95),
        # An outside tester's set (docs/quality.md): 100% first, 62.5% abstained, 0% false.
        ("news-probe.json", (30, 24), 0.95, 0.50, 0.95),
    ],
)
def test_news_quality(  # type: ignore[no-untyped-def]
    default_engine, name: str, sizes: tuple[int, int], first: float, abstained: float, answered: float
) -> None:
    hits, n_ans, n_answered, n_abstained, n_un = first_quote_hits(default_engine, DATA / name)
    assert (n_ans, n_un) == sizes
    assert hits / n_ans >= first, f"first-quote hits {hits}/{n_ans}"
    assert n_abstained / n_un >= abstained, f"abstained {n_abstained}/{n_un}"
    assert n_answered / n_ans >= answered, f"answered {n_answered}/{n_ans}"


def test_own_gold_questions(default_engine) -> None:  # type: ignore[no-untyped-def]
    hits, n_ans, answered, abstained, n_un = first_quote_hits(default_engine, GOLD)
    # A regression floor at the level reached (7/8; the miss is discussed in docs/quality.md).
    assert hits >= 7, f"first-quote hits {hits}/{n_ans}"
    assert answered == n_ans
    assert abstained == n_un


def test_answer_cites_article_and_offsets(default_engine) -> None:  # type: ignore[no-untyped-def]
    answer = default_engine.answer("Who is Cuba's foreign minister?")
    assert not answer.abstained
    quote = answer.quotes[0]
    assert "Bruno Rodriguez Parrilla" in quote.text
    assert quote.doc_id == "000_4041c492b9a4318a.txt" and quote.byline == "By John Helmer, Moscow"
    assert "[1]" in answer.text and quote.title.split()[0] in answer.text
    assert answer.to_dict()["quotes"][0]["start"] == quote.start


def test_another_countrys_minister_does_not_answer(default_engine) -> None:  # type: ignore[no-untyped-def]
    # Both articles' ministers are named; "Cuba's Foreign Minister Bruno Rodriguez" is no answer about Russia's.
    answer = default_engine.answer("Who is Russia's foreign minister?")
    assert "Sergei Lavrov" in answer.quotes[0].text, answer.quotes[0].text


@pytest.mark.parametrize("question", ["Who is Cuba's president?", "Who is the president of Cuba?"])
def test_the_sentence_stating_whose_president_answers(default_engine, question: str) -> None:  # type: ignore[no-untyped-def]
    # "President Vladimir Putin … around Cuba" holds a president and Cuba; only one sentence says
    # "president of Cuba", and it names him.
    answer = default_engine.answer(question)
    assert "since becoming president of Cuba" in answer.quotes[0].text, answer.quotes[0].text


def test_follow_up_uses_history(default_engine) -> None:  # type: ignore[no-untyped-def]
    first = default_engine.answer("Who is Cuba's foreign minister?")
    history = [
        {"role": "user", "content": "Who is Cuba's foreign minister?"},
        {"role": "assistant", "content": first.text},
    ]
    follow = default_engine.answer("Where did he meet Putin?", history=history)
    assert not follow.abstained
    assert "Kremlin" in follow.quotes[0].text
    # The same history as (question, answer) pairs works too.
    pairs = default_engine.answer(
        "Where did he meet Putin?", history=[("Who is Cuba's foreign minister?", first.text)]
    )
    assert pairs.quotes[0].text == follow.quotes[0].text


def test_a_follow_up_of_a_follow_up_keeps_the_topic(default_engine) -> None:  # type: ignore[no-untyped-def]
    # Only the first question names him; the third reads it through the second.
    history = ["Who is Cuba's president?", "When did he arrive?"]
    answer = default_engine.answer("How long did he stay?", history=history)
    assert not answer.abstained and "three-day state visit" in answer.quotes[0].text


def test_the_articles_description_is_found_by_its_topic(default_engine) -> None:  # type: ignore[no-untyped-def]
    # Embedded whole, "how does the article describe" drew the question to "…has been described in
    # the document as a 'hostile' and 'malign' actor", a description of Russia by a US document.
    answer = default_engine.answer("How does the article describe Cuba's relationship to Russia in the Caribbean?")
    assert "traditional Caribbean ally" in answer.quotes[0].text, answer.quotes[0].text


@pytest.mark.parametrize(
    "question", ["How many barrels of oil per day does Russia ship to Cuba?", "How many Cubans have emigrated to the United States?"]
)
def test_a_count_is_not_answered_by_a_measure_of_something_else(default_engine, question: str) -> None:  # type: ignore[no-untyped-def]
    # The closest sentence's only number is "a three-day state visit" (outside probe, news-probe.json).
    answer = default_engine.answer(question)
    assert answer.abstained and answer.missing == "number", (answer.confidence, answer.quotes[:1])


def test_a_departure_is_not_answered_by_the_arrival(default_engine) -> None:  # type: ignore[no-untyped-def]
    # "…arrived on a three-day state visit to Moscow on Thursday" was quoted at 0.61 (news-probe r50).
    answer = default_engine.answer("On what day did Diaz-Canel leave Moscow?")
    assert answer.abstained and answer.missing == "date", (answer.confidence, answer.quotes[:1])


def test_unanswerable_question_abstains_with_closest_passages(default_engine) -> None:  # type: ignore[no-untyped-def]
    answer = default_engine.answer("How tall is the Eiffel Tower?")
    assert answer.abstained and answer.quotes == ()
    assert "don't answer" in answer.text
    assert answer.closest  # offered separately, never as the answer


def test_an_abstention_says_which_kind_of_answer_is_missing(default_engine) -> None:  # type: ignore[no-untyped-def]
    answer = default_engine.answer("How many barrels of oil does Russia send to Cuba?")
    assert answer.abstained and answer.missing == "number"
    assert answer.text == "The articles don't answer this question. The closest passage gives no number."


def test_a_said_quote_comes_with_the_sentence_naming_the_speaker(default_engine) -> None:  # type: ignore[no-untyped-def]
    # "“We call on…,” he said" opens a chunk; the sentence naming Lavrov closes the one before.
    answer = default_engine.answer("Who publicly urged Washington to act with common sense and responsibility?")
    first = answer.quotes[0]
    assert "Sergei Lavrov" in first.text and "We call on the United States" in first.text
    docs = default_engine.reader.index.snapshot.documents
    assert docs[first.doc_id].text[first.start : first.end] == first.text


def test_retrieve_returns_fused_verbatim_passages(default_engine) -> None:  # type: ignore[no-untyped-def]
    passages = default_engine.retrieve("Soviet Union economic lifeline", k=3)
    assert len(passages) == 3
    assert "lifeline" in passages[0].text
    docs = {d: doc.text for d, doc in default_engine.reader.index.snapshot.documents.items()}
    assert all(docs[p.doc_id][p.start : p.end] == p.text for p in passages)
    assert passages[0].score >= passages[1].score >= passages[2].score


def test_chunks_fit_the_real_tokenizer(default_engine, real_embedder) -> None:  # type: ignore[no-untyped-def]
    chunks = list(default_engine.reader.index.snapshot.chunks.values())
    counts = real_embedder.count_tokens([c.text for c in chunks])
    assert max(counts) + 2 <= real_embedder.max_tokens  # [CLS] and [SEP] included


def run_cli(*args: str, stdin: str | None = None, store: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CORPUS_QA_STORE_DIR": str(store), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "ui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )


def test_python_one_liner_and_cli(tmp_path: Path) -> None:
    env = {**os.environ, "CORPUS_QA_STORE_DIR": str(tmp_path / "s1"), "HF_HUB_OFFLINE": "1"}
    one_liner = subprocess.run(
        [sys.executable, "-c", 'import qa; print(qa.answer("Who is Cuba\'s foreign minister?").text)'],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert one_liner.returncode == 0, one_liner.stderr
    assert "Bruno Rodriguez Parrilla" in one_liner.stdout and "[1]" in one_liner.stdout

    store = tmp_path / "s2"
    lines = run_cli(
        "ask",
        "--json",
        stdin="Who is Cuba's foreign minister?\n\nWhat is the capital of Peru?\n",
        store=store,
    )
    assert lines.returncode == 0, lines.stderr
    answers = [json.loads(line) for line in lines.stdout.splitlines()]
    # One object per input line, numbered, the blank one refused: output lines up with input.
    assert [a["line"] for a in answers] == [1, 2, 3]
    assert answers[0]["abstained"] is False and answers[2]["abstained"] is True
    assert "type a question" in answers[1]["error"] and answers[1]["quotes"] == []

    # A line that is not UTF-8 gets its own error, named by line; the next line is still answered.
    raw = subprocess.run(
        [sys.executable, "-m", "ui", "ask", "--json"],
        input=b"Who is Cuba\xff's president?\nWho is Cuba's foreign minister?\n",
        capture_output=True,
        env={**os.environ, "CORPUS_QA_STORE_DIR": str(store), "HF_HUB_OFFLINE": "1"},
        timeout=300,
        cwd=REPO,
    )
    assert raw.returncode == 0, raw.stderr
    bad, good = (json.loads(line) for line in raw.stdout.decode("utf-8").splitlines())
    assert (bad["line"], good["line"], bad["quotes"]) == (1, 2, [])
    assert bad["error"].startswith("stdin line 1 is not valid UTF-8 (byte 11)")
    assert bad["question"] == "Who is Cuba\ufffd's president?" and "\\udc" not in raw.stdout.decode()
    assert good["quotes"] and "Bruno Rodriguez" in good["quotes"][0]["text"]

    empty = run_cli("ask", "   ", store=store)
    assert empty.returncode == 2 and "type a question" in empty.stderr and "Traceback" not in empty.stderr


def test_a_long_json_session_follows_the_folder(news: Path, tmp_path: Path) -> None:
    # `ask --json` as a long-lived subprocess: an article deleted or edited meanwhile is not quoted.
    (news / "bad.txt").write_bytes(b"caf\xe9 is not utf-8")
    env = {**os.environ, "CORPUS_QA_STORE_DIR": str(tmp_path / "store"), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui", "ask", "--json", "--corpus", str(news)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

    def ask(question: str) -> dict[str, object]:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(question + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())  # type: ignore[no-any-return]

    try:
        first = ask("How much did trade between the two countries reach?")
        assert "450 million" in first["quotes"][0]["text"]  # type: ignore[index]
        text = (news / "cuba.txt").read_text(encoding="utf-8").replace("450 million", "990 million")
        (news / "cuba.txt").write_text(text, encoding="utf-8")
        (news / "moscow.txt").unlink()
        time.sleep(2.2)  # past the session's look-again interval
        second = ask("How much did trade between the two countries reach?")
        assert "990 million" in second["quotes"][0]["text"]  # type: ignore[index]
        gone = ask("Who did Diaz-Canel meet at the Kremlin?")
        assert all(q["doc_id"] != "moscow.txt" for q in gone["quotes"])  # type: ignore[attr-defined]
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    # The unreadable file is named, as ingest names it.
    assert "skipped bad.txt" in proc.stderr.read()


def test_cli_api_and_chat_give_the_same_answer(default_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.app import ChatApp

    question = "What did Cuba's foreign minister ask Russia for?"
    engine_answer = default_engine.answer(question).to_dict()
    cli = run_cli("ask", "--json", question, store=tmp_path / "store")
    assert cli.returncode == 0, cli.stderr
    app = ChatApp(default_engine, default_engine.reader.index, upload_dir=tmp_path / "uploads")
    assert app.serves_shipped_corpus  # its examples ask about these articles
    api = app.api_ask(question)
    chat = app.respond(question, [], [])
    for other in (json.loads(cli.stdout), api):
        assert other["quotes"] == engine_answer["quotes"]
        assert [p["chunk_id"] for p in other["passages"]] == [p["chunk_id"] for p in engine_answer["passages"]]
        assert other["confidence"] == engine_answer["confidence"]
    assert chat.quotes == engine_answer["quotes"]


def test_off_corpus_follow_ups(default_engine) -> None:  # type: ignore[no-untyped-def]
    _, n_ans, _, abstained, n_un = first_quote_hits(default_engine, DATA / "news-followups.json")
    assert (n_ans, n_un) == (0, 20)
    # A regression floor a little under the level reached (docs/quality.md: 14/20, an open weak spot).
    assert abstained >= 13, f"abstained {abstained}/20"


def test_a_classic_mac_copy_of_the_corpus_answers_as_the_corpus_does(  # type: ignore[no-untyped-def]
    default_engine, real_embedder, tmp_path
) -> None:
    # Line breaks stay as written (quotes index the file's text), so an article whose lines end in a
    # lone "\r" must chunk, pair, attribute and cite paragraphs exactly as its "\n" original does.
    from qa import open_corpus
    from vectorstore import StoreSettings, close_client, default_corpus_dir

    folder = tmp_path / "cr"
    folder.mkdir()
    for article in sorted(default_corpus_dir().glob("*.txt")):
        (folder / article.name).write_bytes(article.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    engine = open_corpus(str(folder), store=StoreSettings(store_dir=tmp_path / "store"), embedder=real_embedder)
    try:
        for q in load_questions(REPO / "tests" / "data" / "news-dev.json"):
            history = list(q.history) or None
            ours, theirs = default_engine.answer(q.question, history=history), engine.answer(q.question, history=history)
            spans = [[(x.start, x.end, x.paragraph, x.paragraphs, x.ends_mid_sentence) for x in a.quotes] for a in (ours, theirs)]
            assert spans[0] == spans[1], q.qid
            assert (ours.abstained, round(ours.confidence, 4)) == (theirs.abstained, round(theirs.confidence, 4)), q.qid
    finally:
        close_client(path=tmp_path / "store")
