"""The training helpers that need no training run: weight interpolation, overlap dropout, synonym swaps."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from training.finetune_embedder import drop_overlap, main, swap_synonyms
from training.interpolate_weights import interpolate
from training.wordnet import WordNetMissing, load_synonyms


def _model(folder: Path, weights: dict[str, torch.Tensor]) -> Path:
    folder.mkdir()
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def test_interpolation_mixes_float_weights_and_keeps_the_rest(tmp_path: Path) -> None:
    tuned = _model(
        tmp_path / "tuned",
        {"w": torch.tensor([1.0, 3.0], dtype=torch.float16), "ids": torch.tensor([0, 1, 2])},
    )
    base = _model(
        tmp_path / "base",
        {"w": torch.tensor([5.0, -1.0], dtype=torch.float16), "ids": torch.tensor([2, 1, 0])},
    )
    interpolate(tuned, base, 0.75, tmp_path / "out")
    mixed = load_file(str(tmp_path / "out" / "model.safetensors"))
    assert mixed["w"].dtype == torch.float16
    assert mixed["w"].tolist() == [2.0, 2.0]
    assert mixed["ids"].tolist() == [0, 1, 2]  # the tuned model's integer buffer, never mixed
    assert (tmp_path / "out" / "config.json").read_text(encoding="utf-8") == "{}"
    interpolate(tuned, base, 1.0, tmp_path / "out")  # an existing folder is replaced
    assert load_file(str(tmp_path / "out" / "model.safetensors"))["w"].tolist() == [1.0, 3.0]


def test_interpolation_refuses_other_architectures_and_shares(tmp_path: Path) -> None:
    tuned = _model(tmp_path / "tuned", {"w": torch.zeros(2)})
    other = _model(tmp_path / "other", {"v": torch.zeros(2)})
    with pytest.raises(ValueError, match="different tensors"):
        interpolate(tuned, other, 0.5, tmp_path / "out")
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        interpolate(tuned, tuned, 1.5, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_overlap_dropout_leaves_out_only_words_the_answer_shares() -> None:
    question = "In what year did Obama start the thaw with Cuba?"
    answer = "Trump rolled back a rapprochement with Cuba initiated in 2016 by his predecessor, Barack Obama."
    rng = random.Random(13)
    assert drop_overlap(question, answer, 0.0, rng) == question
    # Every shared word ("Obama", "Cuba?": stem-aware, punctuation aside) goes; stopwords and new words stay.
    assert drop_overlap(question, answer, 1.0, rng) == "In what year did start the thaw with"
    # A question made only of shared words is kept whole rather than emptied.
    assert drop_overlap("Obama Cuba", answer, 1.0, rng) == "Obama Cuba"


def test_overlap_dropout_outside_zero_to_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--overlap-dropout", "1.5", "--out", "unused"])
    assert "--overlap-dropout is a rate in [0, 1], not 1.5" in capsys.readouterr().err


def _wordnet(folder: Path) -> Path:
    """A WordNet database of four synsets, in the real files' format (licence header lines start with
    two spaces; a data line is offset, lexfile, type, hex word count, word / lex_id pairs, pointers)."""
    folder.mkdir()
    header = "  1 This software and database is being provided to you, the LICENSEE, by\n"
    (folder / "data.verb").write_text(
        header
        + "00000001 41 v 03 back 0 endorse 0 plump_for 0 000 | be behind; approve of\n"
        + "00000002 38 v 01 back 1 000 | travel backward\n"
        + "00000003 42 v 02 continue 0 keep 0 000 | continue a certain state\n",
        encoding="latin-1",
    )
    (folder / "index.verb").write_text(
        header
        + "back v 2 0 2 1 00000001 00000002  \n"
        + "continue v 1 0 1 1 00000003  \n"
        + "endorse v 1 0 1 0 00000001  \n"
        + "keep v 1 0 1 1 00000003  \n"
        + "plump_for v 1 0 1 0 00000001  \n",
        encoding="latin-1",
    )
    (folder / "data.noun").write_text(
        header + "00000004 04 n 02 clash 0 conflict 0 000 | a fight\n", encoding="latin-1"
    )
    (folder / "index.noun").write_text(
        header + "clash n 1 0 1 0 00000004  \nconflict n 1 0 1 0 00000004  \n", encoding="latin-1"
    )
    for pos in ("adj", "adv"):
        (folder / f"data.{pos}").write_text(header, encoding="latin-1")
        (folder / f"index.{pos}").write_text(header, encoding="latin-1")
    (folder / "verb.exc").write_text("kept keep\n", encoding="latin-1")
    for pos in ("noun", "adj", "adv"):
        (folder / f"{pos}.exc").write_text("", encoding="latin-1")
    return folder


def test_wordnet_synonyms_come_from_the_first_senses_of_every_form(tmp_path: Path) -> None:
    synonyms = load_synonyms(_wordnet(tmp_path / "wn"), senses=1)
    # "backing" -> "back" (morphy's -ing rule); its first sense only; collocations left out.
    assert synonyms.of("backing") == {"endorse"}
    assert synonyms.of("kept") == {"continue"}  # an irregular form, from verb.exc
    assert synonyms.of("clashes") == {"conflict"}
    assert synonyms.of("Sovereignty") == frozenset()
    # A vocabulary keeps its words only, on both sides.
    assert load_synonyms(tmp_path / "wn", vocabulary={"back", "keep", "continue"}).of("keep") == {"continue"}
    assert load_synonyms(tmp_path / "wn", vocabulary={"back", "keep", "continue"}).of("back") == frozenset()


def test_synonym_swap_replaces_only_shared_words_and_keeps_punctuation(tmp_path: Path) -> None:
    synonyms = load_synonyms(_wordnet(tmp_path / "wn"), senses=1)
    question = "Will Russia keep backing Cuba in the clash?"
    answer = "Russia will keep backing Cuba whatever the clash."
    rng = random.Random(13)
    assert swap_synonyms(question, answer, 0.0, synonyms, rng) == question
    assert (
        swap_synonyms(question, answer, 1.0, synonyms, rng)
        == "Will Russia continue endorse Cuba in the conflict?"
    )
    # A word the answer does not share stays, synonyms or not.
    assert swap_synonyms(question, "Russia and Cuba.", 1.0, synonyms, rng) == question


def test_synonym_swap_without_wordnet_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(WordNetMissing, match="apt-get install wordnet-base"):
        load_synonyms(tmp_path)
    with pytest.raises(SystemExit):
        main(["--synonym-swap", "0.5", "--wordnet", str(tmp_path), "--out", "unused"])
    assert "needs the WordNet database" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--synonym-swap", "2", "--out", "unused"])
    assert "--synonym-swap is a rate in [0, 1], not 2" in capsys.readouterr().err
