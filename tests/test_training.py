"""The training helpers that need no training run: weight interpolation and overlap dropout."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from training.finetune_embedder import drop_overlap, main
from training.interpolate_weights import interpolate


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
