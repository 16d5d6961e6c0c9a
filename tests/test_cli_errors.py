"""Bad command-line input: one line on stderr and exit status 2, never a traceback, before the model loads."""

from __future__ import annotations

import json
import socket
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import QAError
from qa.errors import InvalidQuestionError
from qa.evaluation import load_questions
from tests.conftest import REPO, SEED_DEV, SQUAD
from tests.helpers import free_port
from ui.cli import build_parser, main

QUESTION = "Who is Cuba's foreign minister?"


def fails(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI in-process; it must end with status 2 (returned or raised) and one error line."""
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    assert err.strip(), "no message"
    assert len(err.strip().splitlines()) == 1, err  # one line: no usage block before it
    assert "error:" in err, err
    return err


@pytest.fixture
def no_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ui.app`` replaced by a module whose ``create_app`` fails the test: nothing heavy may load."""

    def create_app(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the app (and the model) started although the input was refused")

    stub = types.ModuleType("ui.app")
    stub.AppConfig = lambda **kwargs: kwargs  # type: ignore[attr-defined]
    stub.create_app = create_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ui.app", stub)


@pytest.fixture(autouse=True)
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CORPUS_QA_AUTH", "CORPUS_QA_AUTH_LOCKOUT_S", "CORPUS_QA_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["-1", "1.5", "nan", "inf", "high"])
@pytest.mark.parametrize("command", [["ask", QUESTION], ["eval", "q.json"]])
def test_abstain_below_outside_zero_to_one_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], no_app: None, command: list[str], value: str
) -> None:
    err = fails(capsys, [*command, "--abstain-below", value])
    assert "--abstain-below" in err
    assert "[0, 1]" in err
    assert "ValueError" not in err


@pytest.mark.parametrize("value", ["0", "1", "0.6"])
def test_abstain_below_in_range_is_accepted(value: str) -> None:
    args = build_parser().parse_args(["ask", QUESTION, "--abstain-below", value])
    assert args.abstain_below == float(value)


@pytest.mark.parametrize("value", ["-3", "-1", "2.5", "many"])
def test_k_must_be_a_whole_number_zero_or_more(capsys: pytest.CaptureFixture[str], value: str) -> None:
    err = fails(capsys, ["ask", QUESTION, "-k", value])
    assert "-k" in err
    assert "0 or more" in err or "whole number" in err


def test_k_zero_and_positive_are_accepted() -> None:
    assert build_parser().parse_args(["ask", QUESTION, "-k", "0"]).k == 0
    assert build_parser().parse_args(["ask", QUESTION, "-k", "5"]).k == 5


@pytest.mark.parametrize("value", ["0", "-1", "70000", "65536", "http"])
def test_port_is_checked_at_parse_time(capsys: pytest.CaptureFixture[str], no_app: None, value: str) -> None:
    err = fails(capsys, ["chat", "--port", value])
    assert "--port" in err
    assert "1-65535" in err or "whole number" in err
    assert "allowed-host" not in err.replace("usage:", "").split("error:")[1]


@pytest.mark.parametrize("value", ["1", "65535", "7860"])
def test_ports_in_range_are_accepted(value: str) -> None:
    assert build_parser().parse_args(["chat", "--port", value]).port == int(value)


@pytest.mark.parametrize(
    ("argv", "option", "words"),
    [
        (["chat", "--concurrency", "0"], "--concurrency", "1 or more"),
        (["chat", "--concurrency", "-2"], "--concurrency", "1 or more"),
        (["chat", "--max-queue", "0"], "--max-queue", "1 or more"),
        (["chat", "--staleness", "-1"], "--staleness", "0 or more"),
        (["ask", QUESTION, "--staleness", "nan"], "--staleness", "finite"),
        (["eval", "q.json", "--staleness", "-0.5"], "--staleness", "0 or more"),
        (["eval", "q.json", "--misses", "-2"], "--misses", "0 or more"),
    ],
)
def test_other_numbers_are_checked_at_parse_time(
    capsys: pytest.CaptureFixture[str], no_app: None, argv: list[str], option: str, words: str
) -> None:
    err = fails(capsys, argv)
    assert option in err and words in err


def test_number_defaults_and_edges_still_parse() -> None:
    chat = build_parser().parse_args(["chat", "--concurrency", "1", "--max-queue", "1", "--staleness", "0"])
    assert (chat.concurrency, chat.max_queue, chat.staleness, chat.port) == (1, 1, 0.0, 7860)
    ev = build_parser().parse_args(["eval", "q.json", "--misses", "0"])
    assert ev.misses == 0 and ev.abstain_below is None


# --- paths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["ask", QUESTION, "--corpus", ""], "--corpus"),
        (["ask", QUESTION, "--corpus", "  "], "--corpus"),
        (["chat", "--corpus", ""], "--corpus"),
        (["eval", "q.json", "--corpus", ""], "--corpus"),
        (["ask", QUESTION, "--store", ""], "--store"),
        (["chat", "--uploads", ""], "--uploads"),
        (["ingest", ""], "folder"),
        (["eval", ""], "questions"),
    ],
)
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    capsys: pytest.CaptureFixture[str], no_app: None, argv: list[str], option: str
) -> None:
    err = fails(capsys, argv)
    assert option in err and "must not be empty" in err


def test_ingest_refuses_two_different_folders(
    capsys: pytest.CaptureFixture[str], no_app: None, tmp_path: Path
) -> None:
    err = fails(capsys, ["ingest", str(tmp_path / "a"), "--corpus", str(tmp_path / "b")])
    assert "Two corpus folders given" in err and "give one" in err


@pytest.mark.slow
def test_ingest_takes_the_folder_as_corpus_flag_too(
    capsys: pytest.CaptureFixture[str], news: Path, tmp_path: Path
) -> None:
    from vectorstore import close_client

    store = tmp_path / "store"
    try:
        assert main(["ingest", "--corpus", str(news), "--store", str(store)]) == 0
        assert "2 added" in capsys.readouterr().out
        assert main(["ingest", str(news), "--corpus", str(news), "--store", str(store)]) == 0  # the same one
        assert "2 unchanged" in capsys.readouterr().out
    finally:
        close_client(path=store)


# --- the chat's port -----------------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "localhost"])
def test_chat_on_a_port_in_use_refuses_before_the_model_loads(
    capsys: pytest.CaptureFixture[str], no_app: None, busy_port: int, host: str
) -> None:
    err = fails(capsys, ["chat", "--host", host, "--port", str(busy_port)])
    assert f"port {busy_port} is in use" in err and "--port N" in err
    assert "OSError" not in err


def test_a_port_taken_during_start_up_is_one_line_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.launch

    stub = types.ModuleType("ui.app")
    stub.AppConfig = lambda **kwargs: kwargs  # type: ignore[attr-defined]
    stub.create_app = lambda config: types.SimpleNamespace(snapshot=types.SimpleNamespace(documents=[]))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ui.app", stub)
    monkeypatch.setattr(ui.launch, "port_problem", lambda host, port: None)

    def launch(*_args: object, **_kwargs: object) -> None:  # what Gradio raises when it loses the race
        raise OSError("Cannot find empty port in range: 7901-7901. You can specify a different port ...")

    monkeypatch.setattr(ui.launch, "launch", launch)
    err = fails(capsys, ["chat", "--port", "7901"])
    assert "port 7901 is in use" in err


# --- eval's questions file -----------------------------------------------------------------------


def test_eval_of_a_folder_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = fails(capsys, ["eval", str(tmp_path)])
    assert str(tmp_path) in err and "is a folder" in err
    assert "IsADirectoryError" not in err


BAD_FILES = [
    ({"questions": [{"question": 5}]}, ["questions[0]", "no 'q'", "the key is 'q'"]),
    ([{"id": "a"}], ["no 'questions' list"]),
    ([{"question": ""}], ["no 'questions' list"]),
    ({"questions": [{"q": ""}]}, ["questions[0]", "'q' is empty"]),
    ({"questions": [{"q": "ok", "answers": ["x"]}, {"q": "   "}]}, ["questions[1]", "'q' is empty"]),
    ({"questions": [{"q": 5}]}, ["questions[0]", "'q' must be a string"]),
    ({"questions": [{"id": "a"}]}, ["questions[0]", "no 'q'"]),
    ({"questions": [5]}, ["questions[0]", "not an object"]),
    (
        {"questions": [{"q": "Who?", "answers": "France"}]},
        ["questions[0]", "'answers' must be a list of strings"],
    ),
    ({"questions": [{"q": "Who?", "answers": ["France", 3]}]}, ["questions[0]", "'answers' must be a list"]),
    ({"questions": [{"q": "Who?", "answers": ["x"], "history": "Earlier?"}]}, ["'history' must be a list"]),
    ({"questions": [{"q": "Who?", "answers": ["x"], "doc": 7}]}, ["questions[0]", "'doc'"]),
    ({"questions": [], "unanswerable": [{"id": "u"}]}, ["unanswerable[0]", "no 'q'"]),
    ({"questions": [], "unanswerable": {"q": "Who?"}}, ["'unanswerable' must be a list"]),
]


@pytest.mark.parametrize(("data", "words"), BAD_FILES)
def test_a_malformed_questions_file_names_the_entry_and_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: object, words: list[str]
) -> None:
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(QAError) as raised:
        load_questions(path)
    assert str(path) in str(raised.value)
    err = fails(capsys, ["eval", str(path)])
    assert str(path) in err
    for word in words:
        assert word in err
    assert "KeyError" not in err


def test_entry_problems_are_invalid_question_errors(tmp_path: Path) -> None:
    path = tmp_path / "questions.json"
    path.write_text(json.dumps({"questions": [{"q": 5}]}), encoding="utf-8")
    with pytest.raises(InvalidQuestionError, match=r"questions\[0\]"):
        load_questions(path)


@pytest.mark.parametrize(
    "path",
    [
        SEED_DEV,
        SQUAD / "questions.json",
        *sorted((REPO / "tests" / "data").glob("*.json")),
        *sorted((REPO / "tests" / "data").glob("*/questions.json")),
    ],
    ids=lambda p: str(p.relative_to(REPO.parent)),
)
def test_every_shipped_questions_file_still_loads(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not here")
    data = json.loads(path.read_text(encoding="utf-8"))
    questions = load_questions(path)
    assert len(questions) == len(data["questions"]) + len(data.get("unanswerable", []))
    assert all(q.question.strip() for q in questions)


def test_ask_without_a_question_is_refused_before_anything_loads(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import qa

    def no_index(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the store was opened although the question was missing")

    monkeypatch.setattr(qa, "open_index", no_index)
    err = fails(capsys, ["ask", "--store", str(tmp_path / "store")])
    assert "Give a question" in err and not (tmp_path / "store").exists()


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("CORPUS_QA_UPLOAD_CACHE_S", "abc", "CORPUS_QA_UPLOAD_CACHE_S='abc' is not a number of seconds"),
        ("CORPUS_QA_UPLOAD_CACHE_S", "0", "CORPUS_QA_UPLOAD_CACHE_S='0' is not a number of seconds"),
        ("CORPUS_QA_ALLOWED_HOSTS", "x:notaport", "--allowed-host or CORPUS_QA_ALLOWED_HOSTS: 'x:notaport'"),
    ],
)
def test_a_bad_chat_environment_variable_is_named_before_the_app_loads(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, no_app: None, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    err = fails(capsys, ["chat", "--port", str(free_port())])
    assert words in err, err
