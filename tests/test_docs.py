"""The docs' settings tables are checked against the code, so they cannot drift."""

from __future__ import annotations

import re
from dataclasses import fields

from qa import AnswerSettings
from tests.conftest import REPO
from vectorstore import env


def test_every_answer_setting_is_documented_with_its_default() -> None:
    text = (REPO / "docs" / "quality.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", text, re.M))
    for f in fields(AnswerSettings):
        assert f.name in rows, f"docs/quality.md lacks a row for AnswerSettings.{f.name}"
        assert rows[f.name] == repr(f.default), f"{f.name}: docs say {rows[f.name]}, code says {f.default!r}"
    assert set(rows) == {f.name for f in fields(AnswerSettings)}


def test_every_environment_variable_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in env.ALL:
        assert re.search(rf"`{name}[`=]", readme), f"README does not document {name}"
    assert set(re.findall(r"CORPUS_QA_[A-Z0-9_]+", readme)) - set(env.ALL) <= {"CORPUS_QA_SCREENSHOT"}
