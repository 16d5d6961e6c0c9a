"""Where the model runs: a GPU when one is usable (or asked for), the CPU otherwise; never required."""

from __future__ import annotations

import onnxruntime
import pytest

from vectorstore import VectorStoreError
from vectorstore.embedding import resolve_device


def test_auto_uses_the_cpu_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORPUS_QA_DEVICE", raising=False)
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert resolve_device() == "cpu"


def test_auto_takes_a_usable_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUS_QA_DEVICE", "auto")
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: providers)
    assert resolve_device() == "cuda"
    assert resolve_device("cpu") == "cpu"  # an explicit choice wins


def test_asking_for_cuda_without_one_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(VectorStoreError, match="CORPUS_QA_DEVICE=cpu"):
        resolve_device("cuda")


def test_a_bad_device_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUS_QA_DEVICE", "tpu")
    with pytest.raises(VectorStoreError, match="not a device"):
        resolve_device()


@pytest.mark.slow
def test_the_default_embedder_runs_on_the_cpu_here(real_embedder) -> None:  # type: ignore[no-untyped-def]
    assert real_embedder.device == "cpu (onnxruntime)"
